package dev.tokenherd.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

final class PackageGraphTest {

  @Test
  void layeredPackages_haveNoCycle() {
    PackageGraph graph =
        PackageGraph.ofEdges(Map.of("top", Set.of("api", "engine"), "engine", Set.of("api")));

    assertThat(graph.cycles()).isEmpty();
    assertThat(graph.dependencies("top")).containsExactly("api", "engine");
    assertThat(graph.dependents("api")).containsExactly("engine", "top");
  }

  @Test
  void aCycleThroughThreePackages_isOneComponent_andALoopOnItselfIsNone() {
    PackageGraph graph =
        PackageGraph.ofEdges(
            Map.of(
                "api", Set.of("spi", "api"),
                "spi", Set.of("engine"),
                "engine", Set.of("api", "util"),
                "util", Set.of()));

    assertThat(graph.cycles()).isEqualTo(List.of(Set.of("api", "engine", "spi")));
    assertThat(graph.dependencies("api")).containsExactly("spi");
  }

  @Test
  void ofCompiledClasses_readsThisKitsOwnPackage() {
    PackageGraph graph = PackageGraph.of(Path.of("target/classes"), "dev.tokenherd");

    // One package: every edge stays inside it, so there is neither a dependency nor a cycle.
    assertThat(graph.dependencies("dev.tokenherd.testkit")).isEmpty();
    assertThat(graph.cycles()).isEmpty();
  }
}

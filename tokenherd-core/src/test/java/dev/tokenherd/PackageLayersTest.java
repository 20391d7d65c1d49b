package dev.tokenherd;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tokenherd.testkit.PackageGraph;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * The layers of the core, read from the compiled classes: the API depends on nothing, the SPI only
 * on the API, and the engine is named only by the entry point. module-info.java keeps the engine
 * from other modules; this keeps it from the core's own exported packages.
 */
final class PackageLayersTest {
  private static final String API = "dev.tokenherd.coordinator";
  private static final String SPI = "dev.tokenherd.coordinator.spi";
  private static final String ENGINE = "dev.tokenherd.coordinator.internal";

  private final PackageGraph graph = PackageGraph.of(Path.of("target/classes"), "dev.tokenherd");

  @Test
  void noPackageCycle() {
    assertThat(graph.cycles()).as("package cycles in %s", graph).isEmpty();
  }

  @Test
  void theApiDependsOnNothing_andTheSpiOnlyOnTheApi() {
    assertThat(graph.dependencies(API)).isEmpty();
    assertThat(graph.dependencies(SPI)).containsExactly(API);
  }

  @Test
  void onlyTheEntryPointNamesTheEngine() {
    assertThat(graph.dependents(ENGINE)).containsExactly("dev.tokenherd");
    assertThat(graph.dependents("dev.tokenherd")).isEmpty();
  }
}

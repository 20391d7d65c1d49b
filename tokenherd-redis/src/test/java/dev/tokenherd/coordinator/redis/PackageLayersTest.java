package dev.tokenherd.coordinator.redis;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tokenherd.testkit.PackageGraph;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** The Redis module's layers, read from its compiled classes. */
final class PackageLayersTest {
  private final PackageGraph graph = PackageGraph.of(Path.of("target/classes"), "dev.tokenherd");

  @Test
  void noPackageCycle_andTheMachineryNeverNamesTheRoles() {
    assertThat(graph.cycles()).isEmpty();
    assertThat(graph.dependents("dev.tokenherd.coordinator.redis.internal"))
        .containsExactly("dev.tokenherd.coordinator.redis");
    assertThat(graph.dependencies("dev.tokenherd.coordinator.redis.internal"))
        .doesNotContain("dev.tokenherd.coordinator.redis", "dev.tokenherd.coordinator.internal");
  }

  @Test
  void usesTheCoresApiAndSpiOnly() {
    assertThat(graph.dependencies("dev.tokenherd.coordinator.redis"))
        .doesNotContain("dev.tokenherd.coordinator.internal", "dev.tokenherd.coordinator.memory");
  }
}

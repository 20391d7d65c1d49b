package dev.tokenherd.chaos;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tokenherd.testkit.ProcessArguments;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The worker's Redis argument: what the harness writes, the worker reads back. */
final class WorkerTargetTest {
  private static WorkerTarget parse(String... args) {
    return WorkerTarget.parse(ProcessArguments.parse(args));
  }

  @Test
  void argument_readsBackAsTheSameTarget_forEachTopology() {
    List<WorkerTarget> targets =
        List.of(
            WorkerTarget.server("redis://127.0.0.1:6379"),
            WorkerTarget.sentinel("tokenherd", List.of("127.0.0.1:26379", "127.0.0.1:26380")),
            WorkerTarget.cluster(List.of("127.0.0.1:7000", "127.0.0.1:7001", "127.0.0.1:7002")));
    for (WorkerTarget target : targets) {
      assertThat(parse("workerId=w0", target.argument())).isEqualTo(target);
    }
    assertThat(targets.get(1).argument())
        .isEqualTo("sentinel=tokenherd@127.0.0.1:26379,127.0.0.1:26380");
    assertThat(parse("cluster= 127.0.0.1:7000 ,,127.0.0.1:7001").addresses())
        .containsExactly("127.0.0.1:7000", "127.0.0.1:7001");
  }

  @Test
  void parse_needsExactlyOneWellFormedTarget() {
    assertThatThrownBy(() -> parse("workerId=w0"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("exactly one");
    assertThatThrownBy(() -> parse("redis=redis://127.0.0.1:1", "cluster=127.0.0.1:2"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("[SERVER, CLUSTER]");
    assertThatThrownBy(() -> parse("sentinel=127.0.0.1:26379"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("<master>@");
    assertThatThrownBy(() -> parse("cluster=,"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("no host:port");
    assertThatThrownBy(() -> new WorkerTarget(WorkerTarget.Topology.CLUSTER, null, "m", List.of()))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void toString_showsNoServerUri_whichMayCarryAPassword() {
    assertThat(WorkerTarget.server("redis://:secret@127.0.0.1:6379").toString())
        .isEqualTo("server")
        .doesNotContain("secret");
    assertThat(WorkerTarget.cluster(List.of("127.0.0.1:7000")).toString())
        .isEqualTo("cluster [127.0.0.1:7000]");
  }
}

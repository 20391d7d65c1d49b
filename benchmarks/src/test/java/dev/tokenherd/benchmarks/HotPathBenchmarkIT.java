package dev.tokenherd.benchmarks;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Runs the Redis benchmark's set-up, a burst of calls and its command count once, without JMH,
 * against a real {@code redis-server}.
 */
final class HotPathBenchmarkIT {

  @Test
  void onRedis_freshCalls_sendNoCommands() throws Exception {
    HotPathBenchmark benchmark = new HotPathBenchmark();
    HotPathBenchmark.OnRedis state = new HotPathBenchmark.OnRedis();
    state.setUp();
    try {
      for (int i = 0; i < 10_000; i++) {
        assertThat(benchmark.accessTokenOnRedis(state)).isEqualTo(HotPathBenchmark.ACCESS_TOKEN);
      }

      Map<String, Long> delta = state.commandsSinceSetUp();

      assertThat(RedisCommandStats.hotPathCommands(delta)).as("commands: %s", delta).isZero();
      assertThat(delta).containsEntry("info", 1L); // the probe's own first snapshot
    } finally {
      state.close();
    }
  }
}

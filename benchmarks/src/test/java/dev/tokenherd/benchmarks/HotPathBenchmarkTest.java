package dev.tokenherd.benchmarks;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** Runs each in-JVM benchmark once, without JMH, so that a broken set-up fails the build. */
final class HotPathBenchmarkTest {
  private final HotPathBenchmark benchmark = new HotPathBenchmark();

  @Test
  void baselines_readTheirValues() {
    HotPathBenchmark.Baselines baselines = new HotPathBenchmark.Baselines();
    baselines.setUp();

    assertThat(benchmark.volatileRead(baselines)).isEqualTo(HotPathBenchmark.ACCESS_TOKEN);
    assertThat(benchmark.concurrentHashMapGet(baselines)).isEqualTo("token-7");
    assertThat(baselines.map).hasSize(16);
  }

  @Test
  void inMemory_servesTheSeededTokenWithoutRequests() {
    HotPathBenchmark.InMemory state = new HotPathBenchmark.InMemory();
    state.setUp();
    try {
      assertThat(benchmark.accessToken(state)).isEqualTo(HotPathBenchmark.ACCESS_TOKEN);
      assertThat(benchmark.tokenAsync(state).join().value())
          .isEqualTo(HotPathBenchmark.ACCESS_TOKEN);
      // The fresh path hands out one future per installed entry, not one per call.
      assertThat(benchmark.tokenAsync(state)).isSameAs(benchmark.tokenAsync(state));
      assertThat(state.endpoint.requests()).isZero();
    } finally {
      state.tearDown();
    }
  }
}

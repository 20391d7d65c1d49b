package dev.tokenherd.benchmarks;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

final class BenchRunnerTest {

  @Test
  void plan_describesItselfAsTheReportPrintsIt() {
    assertThat(BenchRunner.Plan.QUICK.describe())
        .isEqualTo("quick: 1 fork, 3 x 1 s warm-up, 3 x 1 s measurement");
    assertThat(BenchRunner.Plan.FULL.describe())
        .isEqualTo("full: 2 forks, 5 x 1 s warm-up, 5 x 2 s measurement");
  }
}

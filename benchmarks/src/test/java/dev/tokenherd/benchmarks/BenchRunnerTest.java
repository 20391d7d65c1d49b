package dev.tokenherd.benchmarks;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

final class BenchRunnerTest {

  @Test
  void plan_describesItselfAsTheReportPrintsIt() {
    assertThat(BenchRunner.Plan.QUICK.describe())
        .isEqualTo("quick: 1 fork, 3 x 1 s warm-up, 3 x 1 s measurement");
    assertThat(BenchRunner.Plan.FULL.describe())
        .isEqualTo("full: 2 forks, 5 x 1 s warm-up, 5 x 2 s measurement");
  }

  @Test
  void parseSuites_listWithSpacesAndCase_keepsOrder() {
    assertThat(BenchRunner.parseSuites(" Fleet, hotpath ,")).containsExactly("fleet", "hotpath");
  }

  @Test
  void parseSuites_unknownOrEmpty_throws() {
    assertThatThrownBy(() -> BenchRunner.parseSuites("hotpath,soak"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("soak");
    assertThatThrownBy(() -> BenchRunner.parseSuites(" , "))
        .isInstanceOf(IllegalArgumentException.class);
  }
}

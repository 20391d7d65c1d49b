package dev.tokenherd.benchmarks;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
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
    assertThat(BenchRunner.parseSuites("charts")).containsExactly("charts");
  }

  @Test
  void fleetRedis_parsesBothOrEither_andRejectsUnknownNames() {
    assertThat(FleetTopology.parseList("all"))
        .containsExactly(FleetTopology.STANDALONE, FleetTopology.CLUSTER);
    assertThat(FleetTopology.parseList(" Cluster ,cluster")).containsExactly(FleetTopology.CLUSTER);
    assertThatThrownBy(() -> FleetTopology.parseList("standalone,sentinel"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("sentinel");
  }

  @Test
  void fleetPlan_runsThePeersOnStandaloneOnly_tokenherdOnBothSideBySide() {
    FleetPlan plan =
        FleetPlan.QUICK
            .withStrategies(List.of(FleetStrategy.TOKENHERD, FleetStrategy.NAIVE))
            .withGrid(List.of(4), List.of(16));

    assertThat(plan.cells())
        .extracting(c -> c.strategy().id() + "@" + c.topology().id())
        .containsExactly("tokenherd@standalone", "tokenherd@cluster", "naive@standalone");
    assertThat(plan.withStrategies(List.of(FleetStrategy.LOCAL)).uses(FleetTopology.CLUSTER))
        .isFalse();
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

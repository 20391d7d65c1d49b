package dev.tokenherd.benchmarks;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tokenherd.benchmarks.HotPathReport.Measurement;
import dev.tokenherd.benchmarks.HotPathReport.Verdict;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

final class HotPathReportTest {
  private static final Machine MACHINE =
      new Machine("JVM 17", "Linux 6 amd64", "Some CPU", 2, "1.00 2.00 3.00");

  private static List<Measurement> run(double accessNanos, double accessBytes) {
    return List.of(
        new Measurement("volatileRead", 1, 0.5, 0.01, 0.0001),
        new Measurement("concurrentHashMapGet", 1, 2.0, 0.1, 0.0001),
        new Measurement("accessToken", 1, accessNanos, 0.1, accessBytes),
        new Measurement("tokenAsync", 1, 3.0, 0.1, 0.0001),
        new Measurement("accessTokenOnRedis", 1, 3.0, 0.1, 0.0001));
  }

  @Test
  void verdicts_withinTargets_allPass() {
    HotPathReport report = new HotPathReport(run(3.0, 0.0002), Map.of(1, Map.of("info", 1L)));

    assertThat(report.ratio("accessToken", "concurrentHashMapGet", 1)).hasValue(1.5);
    assertThat(report.verdicts(false)).allMatch(Verdict::pass).hasSize(5);
  }

  @Test
  void verdicts_slowButNotAllocating_failsOnlyTheNonGatingSpeedTarget() {
    HotPathReport report = new HotPathReport(run(5.0, 0.0002), Map.of(1, Map.of()));

    assertThat(report.verdicts(false))
        .filteredOn(v -> !v.pass())
        .singleElement()
        .satisfies(v -> assertThat(v.gating()).isFalse());
    assertThat(report.verdicts(true)).filteredOn(v -> !v.pass()).allMatch(Verdict::gating);
  }

  @Test
  void verdicts_allocationOrRedisCommand_gate() {
    HotPathReport report = new HotPathReport(run(3.0, 24.0), Map.of(1, Map.of("hgetall", 7L)));

    assertThat(report.verdicts(false))
        .filteredOn(v -> !v.pass())
        .extracting(Verdict::target)
        .containsExactly(
            "accessToken allocates 0 B/call", "accessTokenOnRedis sends 0 Redis commands");
  }

  @Test
  void verdicts_redisDeltaMissing_fails() {
    HotPathReport report = new HotPathReport(run(3.0, 0.0), Map.of());

    assertThat(report.verdicts(false))
        .filteredOn(v -> v.target().contains("Redis commands"))
        .singleElement()
        .satisfies(v -> assertThat(v.pass()).isFalse());
  }

  @Test
  void markdown_showsMachineRatiosAndVerdicts() {
    String md =
        new HotPathReport(run(3.0, 0.0002), Map.of(1, Map.of("info", 1L)))
            .markdown("Hot path", "Run now.", MACHINE, "0.50 1.00 2.00", false);

    assertThat(md)
        .contains("| CPU | Some CPU |")
        .contains("| processors (nproc) | 2 |")
        .contains("before 1.00 2.00 3.00, after 0.50 1.00 2.00")
        .contains("| accessToken | 1 | 3.00 | 0.10 | 1.50x | 6.00x | 0.0002 |")
        .contains("| accessTokenOnRedis sends 0 Redis commands | 1 | 0 (all: {info=1}) | PASS |");
  }
}

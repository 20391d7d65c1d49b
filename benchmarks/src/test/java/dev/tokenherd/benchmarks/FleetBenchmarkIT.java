package dev.tokenherd.benchmarks;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tokenherd.testkit.RedisServerProcess;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Runs one tiny cell per strategy (2 pods x 2 threads, one 1 s token lifetime) against a real
 * {@code redis-server} and checks the rows and the CSV they make.
 */
final class FleetBenchmarkIT {

  @Test
  void tinyCellPerStrategy_producesTheIssuesColumns() throws Exception {
    FleetPlan plan =
        new FleetPlan(
            "smoke",
            List.of(FleetStrategy.values()),
            List.of(FleetTopology.STANDALONE),
            List.of(2),
            List.of(2),
            Duration.ofSeconds(1),
            Duration.ofMillis(20),
            1);
    List<FleetRow> rows;
    ByteArrayOutputStream progress = new ByteArrayOutputStream();
    try (RedisServerProcess redis = RedisServerProcess.builder().appendOnly(false).start();
        PrintStream log = new PrintStream(progress, true, StandardCharsets.UTF_8)) {
      FleetBenchmark benchmark =
          new FleetBenchmark(
              plan, java.util.Map.of(FleetTopology.STANDALONE, FleetRedis.standalone(redis)), log);
      rows = new java.util.ArrayList<>();
      for (FleetPlan.Cell cell : plan.cells()) {
        rows.add(benchmark.runCell(cell, "fleet-it-" + cell.strategy().id()));
      }
    }

    assertThat(rows)
        .extracting(FleetRow::strategy)
        .containsExactly("tokenherd", "tokenherd-noahead", "naive", "local", "lockpoll");
    for (FleetRow row : rows) {
      assertThat(row.calls()).as(row.strategy()).isPositive();
      assertThat(row.redisRtt()).as(row.strategy()).isPositive();
      assertThat(row.redisCommands()).as(row.strategy()).isPositive();
      if (row.strategy().startsWith("tokenherd")) {
        assertThat(row.reuseDetected()).as(row.strategy()).isZero();
        assertThat(row.refreshEvents()).as(row.strategy()).isPositive();
        assertThat(row.tokenRequests()).as(row.strategy()).isEqualTo(row.refreshEvents());
        // behind the counting proxies: every refresh costs its holder a lock, a read, a write
        assertThat(row.roundTrips().refreshes()).as(row.strategy()).isPositive();
        assertThat(row.roundTrips().holderMean()).as(row.strategy()).isGreaterThanOrEqualTo(3);
        assertThat(row.roundTrips().holderByLabel())
            .as(row.strategy())
            .containsKeys("lock", "read", "write", "unlock");
      } else {
        assertThat(row.roundTrips()).as(row.strategy()).isEqualTo(RoundTrips.NONE);
      }
    }
    List<String> lines = FleetReport.csv(rows).lines().toList();
    assertThat(lines).hasSize(1 + rows.size());
    assertThat(List.of(lines.get(0).split(",", -1))).containsSubsequence(FleetReportTest.REQUIRED);
    for (String line : lines.subList(1, lines.size())) {
      assertThat(line.split(",", -1)).hasSize(FleetReport.COLUMNS.size());
    }
  }
}

package dev.tokenherd.benchmarks;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

final class FleetReportTest {
  /** The columns issue #6 asks for, in its order, with the Redis deployment in the cell's key. */
  static final List<String> REQUIRED =
      List.of(
          ("strategy,redis,pods,threads,refresh_events,token_requests,requests_per_refresh,"
                  + "reuse_detected,p50_wait_us,p99_wait_us,max_wait_us,propagation_p99_us,"
                  + "redis_cmds_per_refresh,redis_rtt_us")
              .split(",", -1));

  private static FleetRow row(String strategy, int pods, long refreshes, long requests) {
    return row(
        strategy, "standalone", pods, refreshes, requests, Map.of("evalsha", 96L, "hgetall", 24L));
  }

  private static FleetRow row(
      String strategy,
      String redis,
      int pods,
      long refreshes,
      long requests,
      Map<String, Long> commands) {
    return FleetRowBuilder.cell(strategy, pods, refreshes, requests)
        .redis(redis)
        .commands(commands)
        .build();
  }

  @Test
  void csv_headerStartsWithTheIssuesColumns_andRowsMatchIt() {
    FleetRow revoked =
        new FleetRow(
            "naive",
            "standalone",
            4,
            16,
            1,
            64,
            1,
            1,
            80,
            70,
            2_057,
            500,
            433.4,
            2_053.1,
            302_514.2,
            Double.NaN,
            0,
            72_200,
            Map.of("get", 72_200L),
            18.0,
            72_200,
            63,
            2_307,
            RoundTrips.NONE);

    String csv = FleetReport.csv(List.of(row("tokenherd", 4, 3, 3), revoked));

    List<String> lines = csv.lines().toList();
    assertThat(lines).hasSize(3);
    List<String> header = List.of(lines.get(0).split(",", -1));
    assertThat(header.subList(0, REQUIRED.size())).isEqualTo(REQUIRED);
    assertThat(lines.get(1).split(",", -1)).hasSameSizeAs(header.toArray());
    assertThat(lines.get(1))
        .startsWith("tokenherd,standalone,4,16,3,3,1.00,0,0.3,1.5,900.0,4200,40.0,30,0,3,0,,");
    assertThat(lines.get(2))
        .startsWith(
            "naive,standalone,4,16,1,64,64.00,1,433.4,2053.1,302514.2,,72200.0,18,1,80,70,2057,");
  }

  @Test
  void csv_noRefresh_leavesRatiosEmpty() {
    String line = FleetReport.csv(List.of(row("local", 1, 0, 2))).lines().toList().get(1);

    assertThat(line).startsWith("local,standalone,1,16,0,2,,0,");
  }

  @Test
  void table_oneLinePerRow_withRatioToRoundTrip() {
    String table = FleetReport.table(List.of(row("tokenherd", 8, 3, 3)));

    assertThat(table.lines()).hasSize(3);
    assertThat(table.lines().toList().get(2))
        .isEqualTo(
            "| tokenherd | standalone | 8 | 16 | 3 | 3 | 1.00 | 0 | – | 0.3 | 1.5 | 900 | 4200 | 140.0 | 40.0 |"
                + " 30 |");
  }

  @Test
  void csv_lastColumn_listsTheCommandsByName_withoutCommas() {
    String line = FleetReport.csv(List.of(row("tokenherd", 4, 3, 3))).lines().toList().get(1);

    assertThat(line).endsWith(",evalsha=96 hgetall=24");
  }

  @Test
  void commandBreakdown_perRefreshAndPod_mostFrequentFirst_skipsCellsWithoutRefresh() {
    String table =
        FleetReport.commandBreakdown(List.of(row("tokenherd", 4, 3, 3), row("local", 1, 0, 2)));

    assertThat(table.lines()).hasSize(3);
    // 120 commands over 3 refreshes and 4 pods: 10 per refresh and pod, 8 evalsha and 2 hgetall
    assertThat(table.lines().toList().get(2))
        .isEqualTo("| tokenherd | standalone | 4 | 16 | 10.0 | `evalsha` 8.0, `hgetall` 2.0 |");
  }

  @Test
  void topologyComparison_pairsEachCellWithItsClusterTwin_ratiosAgainstStandalone() {
    FleetRow standalone = row("tokenherd", "standalone", 4, 3, 3, Map.of("evalsha", 60L));
    FleetRow cluster =
        row(
            "tokenherd",
            "cluster",
            4,
            3,
            3,
            Map.of("evalsha", 60L, "cluster|nodes", 24L, "hello", 6L, "client|setname", 6L));

    String table =
        FleetReport.topologyComparison(
            List.of(standalone, cluster, row("naive", 4, 1, 64), row("tokenherd", 8, 3, 3)));

    assertThat(table.lines()).hasSize(3);
    // 60 and 96 commands over 3 refreshes; without the 36 topology reads and handshakes, 20 both
    assertThat(table.lines().toList().get(2))
        .isEqualTo(
            "| tokenherd | 4 | 16 | 3 / 3 | 1.00 / 1.00 | 0 / 0 | 1.5 / 1.5 | 900 / 900 (×1.00) |"
                + " 4200 / 4200 (×1.00) | 20.0 / 32.0 (×1.60) | 20.0 / 20.0 (×1.00) | 30 / 30 |");
    assertThat(FleetReport.topologyComparison(List.of(standalone))).isEmpty();
  }
}

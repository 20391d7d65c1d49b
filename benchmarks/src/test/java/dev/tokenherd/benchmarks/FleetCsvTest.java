package dev.tokenherd.benchmarks;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

final class FleetCsvTest {
  /**
   * A cell whose numbers the CSV holds exactly: measurements with no more decimals than {@link
   * FleetReport#csv} prints, round trips without the sequences and kinds it leaves out.
   */
  private static FleetRowBuilder row(String strategy, String redis, int pods, long refreshes) {
    return FleetRowBuilder.cell(strategy, pods, refreshes, refreshes)
        .redis(redis)
        .waits(0.5, 2.3, 115_016.0)
        .propagation(4_922.0);
  }

  private static RoundTrips counted(double other, int otherMax) {
    return new RoundTrips(3, 6.0, 6, other, otherMax, 2, "", "", Map.of(), Map.of(), Map.of(), 1);
  }

  @Test
  void parse_ofWhatCsvWrote_readsBackEqualRows() {
    List<FleetRow> rows =
        List.of(
            row("tokenherd", "standalone", 4, 3).roundTrips(counted(1.33, 4)).build(),
            row("tokenherd", "standalone", 1, 3).roundTrips(counted(Double.NaN, 0)).build(),
            row("tokenherd", "cluster", 4, 3)
                .commands(Map.of("cluster|nodes", 16L, "client|setname", 12L, "evalsha", 12L))
                .build(),
            FleetRowBuilder.cell("naive", 4, 1, 64)
                .revokedAfter(2_091)
                .waits(514.6, 1_435.6, 193_200.0)
                .propagation(Double.NaN)
                .commands(Map.of("hgetall", 74_871L))
                .build(),
            row("local", "standalone", 1, 0).commands(Map.of()).propagation(Double.NaN).build());

    FleetCsv read = FleetCsv.parse(FleetReport.csv(rows));

    assertThat(read.rows()).isEqualTo(rows);
    assertThat(read.absentColumns()).isEmpty();
  }

  @Test
  void parse_roundTripsWithSequences_keepsEveryCsvColumn() {
    RoundTrips measured =
        new RoundTrips(
            3,
            6.0,
            6,
            1.333_333,
            4,
            0,
            "read → lock (3 of 3)",
            "read (5 of 9)",
            Map.of("read", 2.0),
            Map.of("read", 1.33),
            Map.of(),
            0);
    String csv =
        FleetReport.csv(
            List.of(
                row("tokenherd", "standalone", 4, 3)
                    .propagation(4_922.4)
                    .roundTrips(measured)
                    .build()));

    FleetRow read = FleetCsv.parse(csv).rows().get(0);

    // the sequences and kinds are not in the CSV; what is, survives
    assertThat(FleetReport.csv(List.of(read))).isEqualTo(csv);
    assertThat(read.roundTrips().otherMean()).isEqualTo(1.33);
    assertThat(read.roundTrips().holderSequence()).isEmpty();
  }

  @Test
  void parse_csvOfARunBeforeClusterAndProxies_standaloneWithoutRoundTrips() {
    String older =
        "strategy,pods,threads,refresh_events,token_requests,requests_per_refresh,reuse_detected,"
            + "p50_wait_us,p99_wait_us,max_wait_us,propagation_p99_us,redis_cmds_per_refresh,"
            + "redis_rtt_us,families_revoked,token_requests_total,invalid_grants,"
            + "revoked_after_ms,window_calls,propagated_tokens,redis_cmds,calls,errors,"
            + "duration_ms,redis_cmds_by_name\n"
            + "lockpoll,2,16,3,3,1.00,0,0.1,0.8,115016.0,42896,202.7,22,0,3,0,,16000,3,608,"
            + "90000,0,6600,evalsha=99 hgetall=197\n";

    FleetCsv read = FleetCsv.parse(older);

    assertThat(read.absentColumns()).isEqualTo(FleetCsv.OPTIONAL);
    FleetRow row = read.rows().get(0);
    assertThat(row.redis()).isEqualTo("standalone");
    assertThat(row.maxWait()).isEqualTo(115_016.0);
    assertThat(row.revoked()).isFalse();
    assertThat(row.redisCommandsByName()).containsEntry("hgetall", 197L);
    assertThat(row.roundTrips()).isEqualTo(RoundTrips.NONE);
  }

  @Test
  void parse_missingColumnOrBadNumber_namesIt() {
    String csv = FleetReport.csv(List.of(row("tokenherd", "standalone", 1, 3).build()));

    assertThatThrownBy(() -> FleetCsv.parse(csv.replace("max_wait_us", "slowest")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("max_wait_us");
    assertThatThrownBy(() -> FleetCsv.parse(csv.replace("115016.0", "slow")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("line 2, column max_wait_us");
  }

  @Test
  void read_committedResults_everyRow() throws Exception {
    Path docs = Path.of("..", "docs", "benchmarks");

    FleetCsv full = FleetCsv.read(docs.resolve("fleet.csv"));
    FleetCsv quick = FleetCsv.read(docs.resolve("fleet-quick.csv"));

    assertThat(full.rows()).hasSize(60);
    assertThat(quick.rows()).hasSize(28);
    assertThat(quick.absentColumns()).isEmpty();
    assertThat(quick.rows()).anyMatch(r -> r.roundTrips().refreshes() > 0);
  }
}

package dev.tokenherd.benchmarks;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

final class FleetChartsTest {
  private static final RoundTrips COUNTED =
      new RoundTrips(3, 6.0, 6, 1.33, 4, 0, "", "", Map.of(), Map.of(), Map.of(), 0);

  /** Every line the suite can draw: each strategy on standalone, Tokenherd's on the cluster too. */
  private static List<FleetChartStyle> everyLine() {
    List<FleetChartStyle> styles = new ArrayList<>();
    for (FleetStrategy strategy : FleetStrategy.values()) {
      for (FleetTopology redis : FleetTopology.values()) {
        if (redis == FleetTopology.STANDALONE || strategy.isTokenHerd()) {
          styles.add(FleetChartStyle.of(strategy.id(), redis.id()));
        }
      }
    }
    return styles;
  }

  @Test
  void style_everyLine_hasItsOwnMarkerDashesColourAndSlot() {
    List<FleetChartStyle> styles = everyLine();

    assertThat(styles).hasSize(7);
    assertThat(styles).extracting(FleetChartStyle::shape).doesNotHaveDuplicates();
    assertThat(styles)
        .extracting(s -> Arrays.toString(s.line().getDashArray()))
        .doesNotHaveDuplicates();
    assertThat(styles).extracting(FleetChartStyle::color).doesNotHaveDuplicates();
    assertThat(styles).extracting(FleetChartStyle::slot).doesNotHaveDuplicates();
  }

  @Test
  void style_sameLine_sameLookOnEveryCall_andTokenherdDrawnFirstAndThickest() {
    FleetChartStyle tokenherd = FleetChartStyle.of("tokenherd", "standalone");

    assertThat(FleetChartStyle.of("tokenherd", "standalone")).isEqualTo(tokenherd);
    assertThat(FleetChartStyle.rank("tokenherd", "standalone")).isZero();
    for (FleetChartStyle other : everyLine()) {
      if (!other.equals(tokenherd)) {
        assertThat(other.line().getLineWidth()).isLessThan(tokenherd.line().getLineWidth());
      }
    }
    assertThat(FleetChartStyle.of("sharded", "standalone"))
        .isEqualTo(FleetChartStyle.of("sharded", "standalone"));
    assertThat(FleetChartStyle.rank("sharded", "standalone"))
        .isEqualTo(FleetChartStyle.ORDER.size());
  }

  @Test
  void style_otherPods_apartFromItsHolderAndFromEveryStrategy() {
    Set<String> looks = new HashSet<>();
    for (FleetChartStyle style : everyLine()) {
      looks.add(look(style));
    }
    for (FleetStrategy strategy : FleetStrategy.values()) {
      FleetChartStyle holder = FleetChartStyle.of(strategy.id(), "standalone");
      FleetChartStyle others = holder.otherPods();

      assertThat(others.color()).isNotEqualTo(holder.color());
      assertThat(looks).doesNotContain(look(others));
    }
  }

  private static String look(FleetChartStyle style) {
    return style.shape() + Arrays.toString(style.line().getDashArray());
  }

  @Test
  void series_oneLinePerStrategyAndDeployment() {
    assertThat(
            FleetCharts.series(FleetRowBuilder.cell("tokenherd", 4, 3, 3).redis("cluster").build()))
        .isEqualTo("tokenherd (cluster)");
    assertThat(FleetCharts.series(FleetRowBuilder.cell("tokenherd", 4, 3, 3).build()))
        .isEqualTo("tokenherd");
  }

  @Test
  void write_everyChart_readablePngs(@TempDir Path dir) throws Exception {
    List<FleetRow> rows =
        List.of(
            FleetRowBuilder.cell("tokenherd", 1, 3, 3).roundTrips(COUNTED).build(),
            FleetRowBuilder.cell("tokenherd", 4, 3, 3).roundTrips(COUNTED).build(),
            FleetRowBuilder.cell("tokenherd", 4, 3, 3).redis("cluster").build(),
            FleetRowBuilder.cell("naive", 1, 1, 16).waits(100, 0.05, 60_000).build(),
            FleetRowBuilder.cell("naive", 4, 1, 64).threads(64).build());

    List<FleetCharts.Drawn> drawn = FleetCharts.write(rows, 16, dir, "fleet");

    assertThat(drawn)
        .extracting(d -> d.file().getFileName().toString())
        .containsExactly(
            "fleet-requests-per-refresh-t16.png",
            "fleet-p99-wait-t16.png",
            "fleet-max-wait-t16.png",
            "fleet-redis-requests-per-refresh-t16.png",
            "fleet-redis-commands-per-refresh-t16.png");
    for (FleetCharts.Drawn d : drawn) {
      byte[] png = Files.readAllBytes(d.file());
      assertThat(png.length).isGreaterThan(1_000);
      assertThat(new String(png, 1, 3, StandardCharsets.US_ASCII)).isEqualTo("PNG");
    }
  }

  @Test
  void write_noProxyCounts_leavesTheRequestsChartOut_andTheReportSaysSo(@TempDir Path dir)
      throws Exception {
    List<FleetRow> rows = List.of(FleetRowBuilder.cell("lockpoll", 2, 3, 3).build());

    List<FleetCharts.Drawn> drawn = FleetCharts.write(rows, 16, dir, "fleet");
    String markdown = FleetReport.charts(drawn);

    assertThat(drawn)
        .extracting(FleetCharts.Drawn::chart)
        .doesNotContain(FleetCharts.Chart.REDIS_REQUESTS);
    assertThat(markdown)
        .contains("![fleet-max-wait-t16.png](fleet-max-wait-t16.png)")
        .contains("**Slowest caller**: ")
        .contains("no cell of this run ran behind the counting proxies");
  }

  @Test
  void redraw_csvBesideItsCharts_namedAfterIt(@TempDir Path dir) throws Exception {
    Path csv = dir.resolve("fleet-quick.csv");
    Files.writeString(
        csv,
        FleetReport.csv(
            List.of(
                FleetRowBuilder.cell("tokenherd", 4, 3, 3).threads(1).build(),
                FleetRowBuilder.cell("tokenherd", 4, 3, 3).roundTrips(COUNTED).build())));
    ByteArrayOutputStream log = new ByteArrayOutputStream();

    List<FleetCharts.Drawn> drawn =
        FleetCharts.redraw(csv, new PrintStream(log, true, StandardCharsets.UTF_8));

    // the proxies counted the 16-thread cell only
    assertThat(drawn).hasSize(9);
    assertThat(dir.resolve("fleet-quick-max-wait-t1.png")).exists();
    assertThat(dir.resolve("fleet-quick-redis-requests-per-refresh-t16.png")).exists();
    assertThat(dir.resolve("fleet-quick-redis-requests-per-refresh-t1.png")).doesNotExist();
    assertThat(log.toString(StandardCharsets.UTF_8)).startsWith("fleet-quick.csv: 2 rows; wrote");
  }
}

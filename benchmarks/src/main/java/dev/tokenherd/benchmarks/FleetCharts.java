package dev.tokenherd.benchmarks;

import java.awt.Color;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.DoubleSummaryStatistics;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.ToDoubleFunction;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.BitmapEncoder.BitmapFormat;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.XYSeries.XYSeriesRenderStyle;
import org.knowm.xchart.style.Styler.LegendLayout;
import org.knowm.xchart.style.Styler.LegendPosition;

/**
 * Draws the fleet suite's PNG charts with XChart (headless AWT): one metric against the number of
 * pods, one line per strategy and Redis deployment ({@link #series}), at one thread count per pod.
 * The y axis is logarithmic where the lines differ by orders of magnitude (1 token request per
 * refresh against hundreds; {@link #LOG_SPREAD}), else linear from 0, and its title says which.
 *
 * <p>Each line has its own {@link FleetChartStyle}, the same on every chart; its points are nudged
 * sideways by the style's slot, a step being {@value #NUDGE} of the pods axis, so that lines with
 * equal values show their markers side by side instead of one hiding the others. The x axis title
 * says so.
 */
final class FleetCharts {
  /** The smallest value drawn on a logarithmic axis; smaller ones are drawn there, and said so. */
  static final double FLOOR = 0.1;

  /** One slot's sideways nudge, as a fraction of the pods axis' range. */
  static final double NUDGE = 0.013;

  /**
   * The ratio of largest to smallest value from which the y axis is logarithmic: below it, the
   * values share a decade or two, which a log axis would leave with one or two labels.
   */
  static final double LOG_SPREAD = 30;

  /** The charts, each drawn once per thread count per pod. */
  enum Chart {
    /** Token requests per refresh: the stampede. */
    REQUESTS(
        "requests-per-refresh",
        "Token requests per refresh",
        "token requests the authorization server received per refresh that advanced the"
            + " credential (1 is ideal; more is a stampede, which rotation turns into a reuse"
            + " and a revoked family)"),
    /** The 99th percentile wait around expiries. */
    P99_WAIT(
        "p99-wait",
        "Caller wait p99",
        "the 99th percentile of `accessToken()`'s duration for calls within ±500 ms of an expiry"
            + " or a refresh: with many threads it hides the few callers that waited for a"
            + " refresh"),
    /** The slowest caller around expiries: what refresh-ahead buys. */
    MAX_WAIT(
        "max-wait",
        "Slowest caller",
        "the slowest of those calls: a caller that waited for a token endpoint round trip"
            + " (50 ms here) or a poll shows here, one served from memory while the token was"
            + " refreshed ahead does not"),
    /** What each pod's clients sent per refresh, from the counting proxies. */
    REDIS_REQUESTS(
        "redis-requests-per-refresh",
        "Redis requests per refresh, holder and other pods",
        "Redis requests each pod's clients sent per refresh, the refresh's holder and every other"
            + " pod apart, counted by a TCP proxy per pod (Tokenherd on the standalone Redis only: the peers"
            + " and the cluster ran without the proxies; commands a script runs are not"
            + " requests)"),
    /** What the server ran per refresh, from {@code INFO commandstats}. */
    REDIS_COMMANDS(
        "redis-commands-per-refresh",
        "Redis commands per refresh",
        "Redis commands the server ran per refresh, all pods together, from `INFO commandstats`:"
            + " the commands Lua scripts call count as well as the scripts, so these are not"
            + " round trips; on a cluster summed over the masters, topology reads included");

    private final String stem;
    private final String title;
    private final String caption;

    Chart(String stem, String title, String caption) {
      this.stem = stem;
      this.title = title;
      this.caption = caption;
    }

    /** Returns the file name of this chart at {@code threads} per pod, after {@code prefix}. */
    String fileName(String prefix, int threads) {
      return prefix + "-" + stem + "-t" + threads + ".png";
    }

    /** Returns the chart's name in the report. */
    String title() {
      return title;
    }

    /** Returns what the chart shows, a Markdown phrase for the report. */
    String caption() {
      return caption;
    }
  }

  /** One chart file written. */
  record Drawn(Chart chart, Path file) {}

  private FleetCharts() {}

  /**
   * The line a row belongs to: its strategy on a standalone Redis, {@code strategy (cluster)} on a
   * cluster.
   */
  static String series(FleetRow row) {
    return row.redis().equals(FleetTopology.STANDALONE.id())
        ? row.strategy()
        : row.strategy() + " (" + row.redis() + ")";
  }

  /**
   * Writes the charts for {@code threads} per pod into {@code dir}, each named {@link
   * Chart#fileName}: every chart but {@link Chart#REDIS_REQUESTS}, which only where a row at that
   * thread count has the proxies' counts (older CSVs and runs without Tokenherd have none).
   *
   * @return the files, in {@link Chart} order
   */
  static List<Drawn> write(List<FleetRow> rows, int threads, Path dir, String prefix)
      throws IOException {
    List<FleetRow> cells = rows.stream().filter(r -> r.threads() == threads).toList();
    String perPod = " (" + threads + " thread" + (threads == 1 ? "" : "s") + " per pod)";
    String window = " within ±500 ms of an expiry or refresh" + perPod;
    List<Drawn> drawn = new ArrayList<>();
    for (Chart chart : Chart.values()) {
      Plot plot =
          switch (chart) {
            case REQUESTS ->
                new Plot(
                    "Token requests per refresh" + perPod + "; 1 is ideal",
                    "token requests / refresh",
                    strategies(cells, FleetRow::requestsPerRefresh));
            case P99_WAIT ->
                new Plot(
                    "Caller wait p99" + window,
                    "p99 wait (µs)",
                    strategies(cells, FleetRow::p99Wait));
            case MAX_WAIT ->
                new Plot(
                    "Slowest caller" + window,
                    "max wait (µs)",
                    strategies(cells, FleetRow::maxWait));
            case REDIS_REQUESTS ->
                new Plot(
                    "Redis requests each pod's clients sent per refresh, Tokenherd on standalone"
                        + perPod,
                    "requests / refresh / pod (proxy count)",
                    roundTrips(cells));
            case REDIS_COMMANDS ->
                new Plot(
                    "Redis commands per refresh, all pods, from INFO commandstats" + perPod,
                    "commands / refresh (incl. inside Lua scripts)",
                    strategies(cells, FleetRow::redisCommandsPerRefresh));
          };
      if (plot.lines().isEmpty()) {
        continue; // nothing measured, such as the proxies' counts in an older CSV
      }
      Path file = dir.resolve(chart.fileName(prefix, threads));
      draw(plot, cells, file);
      drawn.add(new Drawn(chart, file));
    }
    return drawn;
  }

  /**
   * Redraws the charts of a {@code fleet.csv} ({@link FleetCsv}) beside it, one set per thread
   * count in it, named after it: {@code fleet-quick.csv} gives {@code fleet-quick-max-wait-t16.png}
   * and so on. Says on {@code out} what it wrote and which columns the file lacked.
   *
   * @return the files written
   * @throws IOException if the CSV cannot be read or a chart cannot be written
   */
  static List<Drawn> redraw(Path csv, PrintStream out) throws IOException {
    FleetCsv table = FleetCsv.read(csv);
    String name = csv.getFileName().toString();
    String prefix =
        name.endsWith(".csv") ? name.substring(0, name.length() - ".csv".length()) : name;
    Path dir = java.util.Objects.requireNonNull(csv.toAbsolutePath().getParent(), "directory");
    List<Drawn> drawn = new ArrayList<>();
    for (int threads : table.rows().stream().map(FleetRow::threads).distinct().sorted().toList()) {
      drawn.addAll(write(table.rows(), threads, dir, prefix));
    }
    out.println(
        name
            + ": "
            + table.rows().size()
            + " rows; wrote "
            + drawn.stream().map(d -> d.file().getFileName().toString()).toList());
    if (!table.absentColumns().isEmpty()) {
      out.println(
          name
              + " has no "
              + table.absentColumns()
              + (drawn.stream().noneMatch(d -> d.chart() == Chart.REDIS_REQUESTS)
                  ? ": no chart of the Redis requests per refresh"
                  : ""));
    }
    return drawn;
  }

  /** A chart's titles and lines. */
  private record Plot(String title, String yTitle, List<Line> lines) {}

  /** One line: its legend label, its look, and its points as (pods, value). */
  private record Line(String label, FleetChartStyle style, int rank, List<double[]> points) {}

  /** One line per strategy and deployment: {@code metric} of each cell; NaN (undefined) skipped. */
  private static List<Line> strategies(List<FleetRow> cells, ToDoubleFunction<FleetRow> metric) {
    List<Line> lines = new ArrayList<>();
    bySeries(cells)
        .forEach(
            (label, rows) -> {
              FleetRow first = rows.get(0);
              lines.add(
                  new Line(
                      label,
                      FleetChartStyle.of(first.strategy(), first.redis()),
                      2 * FleetChartStyle.rank(first.strategy(), first.redis()),
                      points(rows, metric)));
            });
    return lines.stream().filter(l -> !l.points().isEmpty()).toList();
  }

  /**
   * Two lines per strategy with the proxies' counts: the holder's requests per refresh, and every
   * other pod's (each, on average); a cell without a count, or with one pod for the others, is
   * skipped.
   */
  private static List<Line> roundTrips(List<FleetRow> cells) {
    List<FleetRow> counted = cells.stream().filter(r -> r.roundTrips().refreshes() > 0).toList();
    List<Line> lines = new ArrayList<>();
    bySeries(counted)
        .forEach(
            (label, rows) -> {
              FleetRow first = rows.get(0);
              FleetChartStyle holder = FleetChartStyle.of(first.strategy(), first.redis());
              int rank = 2 * FleetChartStyle.rank(first.strategy(), first.redis());
              lines.add(
                  new Line(
                      label + ": holder",
                      holder,
                      rank,
                      points(rows, r -> r.roundTrips().holderMean())));
              lines.add(
                  new Line(
                      label + ": each other pod",
                      holder.otherPods(),
                      rank + 1,
                      points(rows, r -> r.roundTrips().otherMean())));
            });
    return lines.stream().filter(l -> !l.points().isEmpty()).toList();
  }

  /** The cells by line ({@link #series}), in the order of their first cell. */
  private static Map<String, List<FleetRow>> bySeries(List<FleetRow> cells) {
    Map<String, List<FleetRow>> bySeries = new LinkedHashMap<>();
    for (FleetRow row : cells) {
      bySeries.computeIfAbsent(series(row), s -> new ArrayList<>()).add(row);
    }
    return bySeries;
  }

  private static List<double[]> points(List<FleetRow> rows, ToDoubleFunction<FleetRow> metric) {
    List<double[]> points = new ArrayList<>();
    rows.stream()
        .sorted(Comparator.comparingInt(FleetRow::pods))
        .forEach(
            r -> {
              double value = metric.applyAsDouble(r);
              if (!Double.isNaN(value)) {
                points.add(new double[] {r.pods(), value});
              }
            });
    return points;
  }

  private static void draw(Plot plot, List<FleetRow> cells, Path file) throws IOException {
    int minPods = cells.stream().mapToInt(FleetRow::pods).min().orElse(1);
    int maxPods = cells.stream().mapToInt(FleetRow::pods).max().orElse(1);
    double range = Math.max(1, maxPods - minPods);
    DoubleSummaryStatistics values =
        plot.lines().stream()
            .flatMap(l -> l.points().stream())
            .mapToDouble(p -> Math.max(FLOOR, p[1]))
            .summaryStatistics();
    // A log axis labels decades only: within one, a linear axis from 0 reads better.
    boolean log = values.getMax() / values.getMin() >= LOG_SPREAD;
    boolean floored =
        log && plot.lines().stream().flatMap(l -> l.points().stream()).anyMatch(p -> p[1] < FLOOR);
    String yTitle =
        plot.yTitle()
            + (log ? ", log scale" : "")
            + (floored ? "; below " + FLOOR + " drawn at " + FLOOR : "");
    XYChart chart =
        new XYChartBuilder()
            .width(1000)
            .height(600)
            .title(plot.title())
            .xAxisTitle(
                "pods (each line nudged sideways a little, so that equal values stay apart)")
            .yAxisTitle(yTitle)
            .build();
    var styler = chart.getStyler();
    styler.setDefaultSeriesRenderStyle(XYSeriesRenderStyle.Line);
    styler.setYAxisLogarithmic(log);
    if (!log) {
      styler.setYAxisMin(0.0);
    }
    styler.setLegendPosition(LegendPosition.OutsideS);
    styler.setLegendLayout(LegendLayout.Horizontal);
    styler.setXAxisMin(minPods - 0.06 * range);
    styler.setXAxisMax(maxPods + 0.06 * range);
    styler.setXAxisDecimalPattern("0");
    // Grouped thousands, and no trailing zeros on the log axes' 0.1 and 1 (their ticks are
    // decades).
    styler.setYAxisDecimalPattern("#,##0.##");
    styler.setChartBackgroundColor(Color.WHITE);

    // Drawn in rank order: Tokenherd's thick line first, under the others' thinner dashed ones.
    plot.lines().stream()
        .sorted(Comparator.comparingInt(Line::rank))
        .forEach(
            line -> {
              List<Double> x = new ArrayList<>();
              List<Double> y = new ArrayList<>();
              double nudge = line.style().slot() * NUDGE * range;
              for (double[] p : line.points()) {
                x.add(p[0] + nudge);
                y.add(log ? Math.max(FLOOR, p[1]) : p[1]);
              }
              XYSeries series = chart.addSeries(line.label(), x, y);
              series.setMarker(line.style().marker());
              series.setMarkerColor(line.style().color());
              series.setLineColor(line.style().color());
              series.setLineStyle(line.style().line());
            });
    String base = file.toString();
    BitmapEncoder.saveBitmap(
        chart, base.substring(0, base.length() - ".png".length()), BitmapFormat.PNG);
  }
}

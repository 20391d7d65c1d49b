package dev.tokenherd.benchmarks;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.ToDoubleFunction;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.BitmapEncoder.BitmapFormat;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries.XYSeriesRenderStyle;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * Draws the fleet suite's PNG charts with XChart (headless AWT): one metric against the number of
 * pods, one line per strategy and Redis deployment ({@link #series}), at one thread count per pod.
 * Both y axes are logarithmic, because the strategies differ by orders of magnitude (1 token
 * request per refresh against hundreds).
 */
final class FleetCharts {
  /** The smallest value drawn on a logarithmic axis; zero and below are drawn there. */
  static final double FLOOR = 0.1;

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

  /** File name of the chart of token requests per refresh at {@code threads} per pod. */
  static String requestsChartName(int threads) {
    return "fleet-requests-per-refresh-t" + threads + ".png";
  }

  /** File name of the chart of the p99 wait at {@code threads} per pod. */
  static String waitChartName(int threads) {
    return "fleet-p99-wait-t" + threads + ".png";
  }

  /** Writes both charts for {@code threads} per pod into {@code dir}; returns the files. */
  static List<Path> write(List<FleetRow> rows, int threads, Path dir) throws IOException {
    List<Path> files = new ArrayList<>();
    files.add(
        draw(
            rows,
            threads,
            "Token requests per refresh (" + threads + " threads per pod; 1 is ideal)",
            "token requests per refresh",
            FleetRow::requestsPerRefresh,
            dir.resolve(requestsChartName(threads))));
    files.add(
        draw(
            rows,
            threads,
            "Caller wait p99 within ±500 ms of each expiry/refresh ("
                + threads
                + " threads per pod)",
            "p99 wait (µs)",
            FleetRow::p99Wait,
            dir.resolve(waitChartName(threads))));
    return files;
  }

  private static Path draw(
      List<FleetRow> rows,
      int threads,
      String title,
      String yTitle,
      ToDoubleFunction<FleetRow> metric,
      Path file)
      throws IOException {
    XYChart chart =
        new XYChartBuilder()
            .width(900)
            .height(560)
            .title(title)
            .xAxisTitle("pods")
            .yAxisTitle(yTitle)
            .build();
    chart.getStyler().setDefaultSeriesRenderStyle(XYSeriesRenderStyle.Line);
    chart.getStyler().setYAxisLogarithmic(true);
    chart.getStyler().setLegendPosition(org.knowm.xchart.style.Styler.LegendPosition.OutsideS);
    chart.getStyler().setLegendLayout(org.knowm.xchart.style.Styler.LegendLayout.Horizontal);
    chart.getStyler().setMarkerSize(8);
    chart.getStyler().setXAxisDecimalPattern("0");
    chart.getStyler().setChartBackgroundColor(java.awt.Color.WHITE);

    // Tokenherd's lines go last, so that where several strategies sit at 1 request per refresh
    // its line is the one on top.
    Map<String, List<FleetRow>> byStrategy = new LinkedHashMap<>();
    List<FleetRow> ordered = new ArrayList<>(rows);
    ordered.sort(java.util.Comparator.comparing(r -> r.strategy().startsWith("tokenherd")));
    for (FleetRow row : ordered) {
      if (row.threads() == threads) {
        byStrategy.computeIfAbsent(series(row), s -> new ArrayList<>()).add(row);
      }
    }
    byStrategy.forEach(
        (strategy, series) -> {
          List<Double> x = new ArrayList<>();
          List<Double> y = new ArrayList<>();
          series.stream()
              .sorted(java.util.Comparator.comparingInt(FleetRow::pods))
              .forEach(
                  r -> {
                    double value = metric.applyAsDouble(r);
                    if (!Double.isNaN(value)) {
                      x.add((double) r.pods());
                      y.add(Math.max(FLOOR, value));
                    }
                  });
          if (!x.isEmpty()) {
            chart.addSeries(strategy, x, y).setMarker(SeriesMarkers.CIRCLE);
          }
        });
    String base = file.toString();
    BitmapEncoder.saveBitmap(
        chart, base.substring(0, base.length() - ".png".length()), BitmapFormat.PNG);
    return file;
  }
}

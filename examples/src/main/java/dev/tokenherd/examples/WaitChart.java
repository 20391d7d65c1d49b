package dev.tokenherd.examples;

import java.awt.BasicStroke;
import java.awt.Color;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.BitmapEncoder.BitmapFormat;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.XYSeries.XYSeriesRenderStyle;
import org.knowm.xchart.style.Styler.LegendPosition;
import org.knowm.xchart.style.markers.Marker;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * The demo's picture (XChart, headless): per strategy, the slowest caller at each moment around an
 * access token's expiry, all expiries of its run laid on top of each other. A strategy that
 * refreshes on demand shows a peak at zero; refresh-ahead shows none. Logarithmic, because the
 * strategies differ by orders of magnitude.
 */
final class WaitChart {
  /** What a slot without calls, or a call faster than this, is drawn at: 10 microseconds. */
  static final double FLOOR_MILLIS = 0.01;

  private WaitChart() {}

  /**
   * Draws the chart of {@code results} into {@code file} (PNG).
   *
   * @return the file
   * @throws IOException if it cannot be written
   */
  static Path write(List<RunResult> results, Path file) throws IOException {
    if (System.getProperty("java.awt.headless") == null) {
      System.setProperty("java.awt.headless", "true");
    }
    RunResult first = results.get(0);
    XYChart chart =
        new XYChartBuilder()
            .width(960)
            .height(560)
            .title(
                "Slowest caller around an access token's expiry ("
                    + first.pods()
                    + " pods x "
                    + first.threads()
                    + " threads)")
            .xAxisTitle("milliseconds from the expiry (every expiry of the run laid on top)")
            .yAxisTitle("slowest call starting in each 50 ms (ms, log scale)")
            .build();
    chart.getStyler().setDefaultSeriesRenderStyle(XYSeriesRenderStyle.Line);
    chart.getStyler().setYAxisLogarithmic(true);
    chart.getStyler().setYAxisMin(FLOOR_MILLIS);
    chart.getStyler().setLegendPosition(LegendPosition.OutsideS);
    chart.getStyler().setChartBackgroundColor(Color.WHITE);
    chart.getStyler().setMarkerSize(7);
    chart.getStyler().setXAxisDecimalPattern("0");
    List<Double> offsets = ExpiryWaits.profileOffsetsMillis();
    for (RunResult r : results) {
      List<Long> profile = r.atExpiries().profile();
      if (profile.isEmpty()) {
        continue;
      }
      // a bin without calls (a fleet already logged out) is left out, not drawn as fast
      List<Double> x = new ArrayList<>();
      List<Double> y = new ArrayList<>();
      for (int i = 0; i < profile.size(); i++) {
        if (profile.get(i) > 0) {
          x.add(offsets.get(i));
          y.add(Math.max(FLOOR_MILLIS, profile.get(i) / 1_000.0));
        }
      }
      if (x.isEmpty()) {
        continue;
      }
      XYSeries series = chart.addSeries(label(r), x, y);
      Look look = Look.of(r.strategy());
      series.setMarker(look.marker()).setMarkerColor(look.color()).setLineColor(look.color());
      series.setLineStyle(look.stroke());
      if (r.chaos() != null && r.chaos().fault() == ChaosFault.PAUSE) {
        // the pause runs in the colour of their strategy, with open markers
        series.setMarker(look.openMarker());
      }
    }
    Path parent = file.toAbsolutePath().getParent();
    if (parent != null) {
      Files.createDirectories(parent);
    }
    String base = file.toString();
    BitmapEncoder.saveBitmap(
        chart,
        base.endsWith(".png") ? base.substring(0, base.length() - ".png".length()) : base,
        BitmapFormat.PNG);
    return base.endsWith(".png") ? file : Path.of(base + ".png");
  }

  private static String label(RunResult r) {
    ExpiryWaits waits = r.atExpiries();
    ChaosOutcome chaos = r.chaos();
    return r.strategy().id()
        + (chaos == null ? "" : ", " + chaos.fault().id())
        + " ("
        + Words.count(waits.waitedCalls(), "call")
        + " waited at "
        + Words.count(waits.expiries(), "expiry", "expiries")
        + (r.loggedOut() ? "; logged out" : "")
        + ")";
  }

  /** A strategy's colour, marker and line, the same on every chart. */
  private record Look(Color color, Marker marker, BasicStroke stroke) {
    /** The marker of the same strategy's pause run: another shape in the same colour. */
    Marker openMarker() {
      return marker == SeriesMarkers.CIRCLE
          ? SeriesMarkers.DIAMOND
          : marker == SeriesMarkers.CROSS
              ? SeriesMarkers.PLUS
              : marker == SeriesMarkers.TRAPEZOID
                  ? SeriesMarkers.RECTANGLE
                  : SeriesMarkers.TRIANGLE_DOWN;
    }

    static Look of(Strategy strategy) {
      // the fleet benchmark's colours and markers (Okabe-Ito), so that a strategy looks the same
      // in the demo's picture and the benchmark's charts
      return switch (strategy) {
        case TOKENHERD ->
            new Look(new Color(0x0072B2), SeriesMarkers.CIRCLE, new BasicStroke(3.5f));
        case NAIVE -> new Look(new Color(0x4D4D4D), SeriesMarkers.CROSS, dashed(2f, 9f, 3f));
        case LOCAL -> new Look(new Color(0xCC79A7), SeriesMarkers.TRAPEZOID, dashed(2f, 2f, 4f));
        case LOCKPOLL ->
            new Look(new Color(0xD55E00), SeriesMarkers.TRIANGLE_UP, dashed(2.5f, 14f, 5f));
      };
    }

    private static BasicStroke dashed(float width, float dash, float gap) {
      return new BasicStroke(
          width, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10f, new float[] {dash, gap}, 0f);
    }
  }
}

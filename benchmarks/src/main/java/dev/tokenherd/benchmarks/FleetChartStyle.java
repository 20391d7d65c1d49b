package dev.tokenherd.benchmarks;

import static java.util.Objects.requireNonNull;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Graphics2D;
import java.util.List;
import java.util.Map;
import org.knowm.xchart.style.markers.Marker;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * How one line of the fleet charts looks: a colour, a marker shape and size, a line pattern and
 * width, and a sideways slot. Each strategy and Redis deployment has its own, fixed, so that a line
 * looks the same on every chart, and no two share a marker shape or a dash pattern, so that lines
 * lying on top of each other (several strategies at 1 token request per refresh) stay apart by
 * their markers even in grey.
 *
 * <p>Three things keep lines that coincide visible: every line's points are nudged sideways by its
 * {@link #slot()} (a fixed fraction of the x range, see {@link FleetCharts}), so equal values show
 * as markers side by side; the charts draw the lines in {@link #ORDER}, Tokenherd's first and
 * thickest, so the thinner, dashed lines drawn later run on top of it and its colour shows around
 * them; and colours follow the Okabe-Ito palette, told apart with the common colour-vision
 * deficiencies. A cluster line has its standalone twin's hue, lighter, with its own marker and
 * dashes.
 *
 * @param color the line's and the markers' colour
 * @param shape the marker shape, one of {@link SeriesMarkers}' (compared by identity: each is one
 *     instance)
 * @param markerSize the marker's width in pixels
 * @param line the line's width and dash pattern
 * @param slot the sideways nudge in steps (negative to the left), unique per line
 */
record FleetChartStyle(Color color, Marker shape, int markerSize, BasicStroke line, int slot) {
  /** The known lines, in drawing and legend order: key {@code strategy@redis}. */
  static final List<String> ORDER;

  private static final Map<String, FleetChartStyle> KNOWN;

  static {
    String tokenherd = FleetStrategy.TOKENHERD.id();
    String noAhead = FleetStrategy.TOKENHERD_NOAHEAD.id();
    Map<String, FleetChartStyle> known = new java.util.LinkedHashMap<>();
    known.put(
        key(tokenherd, FleetTopology.STANDALONE),
        new FleetChartStyle(rgb(0x0072B2), SeriesMarkers.CIRCLE, 12, solid(4.5f), -3));
    known.put(
        key(tokenherd, FleetTopology.CLUSTER),
        new FleetChartStyle(rgb(0x56B4E9), SeriesMarkers.DIAMOND, 13, dashed(3f, 10, 5), -2));
    known.put(
        key(noAhead, FleetTopology.STANDALONE),
        new FleetChartStyle(rgb(0x009E73), SeriesMarkers.SQUARE, 10, dashed(3f, 9, 3, 2, 3), -1));
    known.put(
        key(noAhead, FleetTopology.CLUSTER),
        new FleetChartStyle(
            lighter(rgb(0x009E73)), SeriesMarkers.TRIANGLE_DOWN, 11, dashed(2.5f, 4, 4), 0));
    known.put(
        key(FleetStrategy.LOCKPOLL.id(), FleetTopology.STANDALONE),
        new FleetChartStyle(rgb(0xD55E00), SeriesMarkers.TRIANGLE_UP, 11, dashed(2.5f, 14, 5), 1));
    known.put(
        key(FleetStrategy.LOCAL.id(), FleetTopology.STANDALONE),
        new FleetChartStyle(rgb(0xCC79A7), SeriesMarkers.TRAPEZOID, 11, dashed(2.5f, 2, 4), 2));
    known.put(
        key(FleetStrategy.NAIVE.id(), FleetTopology.STANDALONE),
        new FleetChartStyle(
            rgb(0x4D4D4D), SeriesMarkers.CROSS, 11, dashed(2.5f, 9, 3, 2, 3, 2, 3), 3));
    KNOWN = java.util.Collections.unmodifiableMap(known);
    ORDER = List.copyOf(known.keySet());
  }

  /** Markers of lines that {@link #ORDER} does not know, by a hash of their name. */
  private static final List<Marker> SPARE_SHAPES =
      List.of(SeriesMarkers.OVAL, SeriesMarkers.RECTANGLE, SeriesMarkers.PLUS);

  FleetChartStyle {
    requireNonNull(color, "color");
    requireNonNull(shape, "shape");
    requireNonNull(line, "line");
  }

  /**
   * Returns the style of {@code strategy}'s line on {@code redis}. A line the table does not know
   * (a strategy added later) gets a grey one picked by a hash of its name: still the same on every
   * chart, but not guaranteed apart from another unknown one.
   */
  static FleetChartStyle of(String strategy, String redis) {
    FleetChartStyle known = KNOWN.get(strategy + "@" + redis);
    if (known != null) {
      return known;
    }
    int hash = Math.floorMod((strategy + "@" + redis).hashCode(), 997);
    return new FleetChartStyle(
        new Color(0x99_99_99),
        SPARE_SHAPES.get(hash % SPARE_SHAPES.size()),
        10,
        dashed(2f, 6, 2 + hash % 5),
        4 + hash % 3);
  }

  /**
   * Returns where {@code strategy} on {@code redis} goes in the drawing order: known lines by
   * {@link #ORDER}, the others after them.
   */
  static int rank(String strategy, String redis) {
    int i = ORDER.indexOf(strategy + "@" + redis);
    return i < 0 ? ORDER.size() : i;
  }

  /**
   * Returns the style of the same strategy's "every other pod" line beside its holder's (the round
   * trips chart): the same marker in a lighter colour, on a dotted line no strategy uses, one slot
   * to the right.
   */
  FleetChartStyle otherPods() {
    return new FleetChartStyle(
        lighter(color),
        shape,
        markerSize,
        new BasicStroke(
            2.5f, BasicStroke.CAP_ROUND, BasicStroke.JOIN_ROUND, 10f, new float[] {0.5f, 5}, 0f),
        slot + 1);
  }

  /** Returns the marker to give XChart: {@link #shape()} at {@link #markerSize()}. */
  Marker marker() {
    return new SizedMarker(shape, markerSize);
  }

  private static String key(String strategy, FleetTopology redis) {
    return strategy + "@" + redis.id();
  }

  private static Color rgb(int rgb) {
    return new Color(rgb);
  }

  /** Half way to white: a lighter shade of the same hue. */
  private static Color lighter(Color c) {
    return new Color((c.getRed() + 255) / 2, (c.getGreen() + 255) / 2, (c.getBlue() + 255) / 2);
  }

  private static BasicStroke solid(float width) {
    return new BasicStroke(width, BasicStroke.CAP_ROUND, BasicStroke.JOIN_ROUND);
  }

  private static BasicStroke dashed(float width, float... dash) {
    return new BasicStroke(width, BasicStroke.CAP_BUTT, BasicStroke.JOIN_ROUND, 10f, dash, 0f);
  }

  /**
   * One of XChart's markers at a size of its own: XChart has one marker size per chart, and shapes
   * of one nominal size differ in weight (a cross is thinner than a circle).
   */
  private static final class SizedMarker extends Marker {
    private final Marker shape;
    private final int size;

    SizedMarker(Marker shape, int size) {
      this.shape = shape;
      this.size = size;
    }

    @Override
    public void paint(Graphics2D g, double x, double y, int ignoredChartSize) {
      shape.paint(g, x, y, size);
    }
  }
}

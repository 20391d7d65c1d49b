package dev.tokenherd.benchmarks;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.HdrHistogram.Histogram;

/** The computations behind a fleet cell's numbers: windows, wait percentiles, propagation. */
final class FleetStats {
  /** Half the width of the window around each expiry or refresh: "the second around" it. */
  static final long HALF_WINDOW_MICROS = 500_000;

  private FleetStats() {}

  /** A closed interval of cell microseconds. */
  record Window(long from, long to) {
    boolean contains(long t) {
      return from <= t && t <= to;
    }
  }

  /**
   * Caller waits in the windows: how many calls, and their 50th, 99th percentile and maximum in
   * microseconds (fractional: a cached token is served in well under one).
   */
  record Waits(long calls, double p50Micros, double p99Micros, double maxMicros) {
    static final Waits NONE = new Waits(0, Double.NaN, Double.NaN, Double.NaN);
  }

  /**
   * Returns the windows {@code [t - halfWidth, t + halfWidth]} around {@code instants}, sorted and
   * with overlapping ones merged, so that a call is counted once however many windows hold it.
   */
  static List<Window> windows(Collection<Long> instants, long halfWidth) {
    List<Long> sorted = instants.stream().sorted().toList();
    List<Window> merged = new ArrayList<>();
    for (long t : sorted) {
      long from = t - halfWidth;
      long to = t + halfWidth;
      if (!merged.isEmpty() && from <= merged.get(merged.size() - 1).to()) {
        Window last = merged.remove(merged.size() - 1);
        merged.add(new Window(last.from(), Math.max(last.to(), to)));
      } else {
        merged.add(new Window(from, to));
      }
    }
    return merged;
  }

  /** Returns whether {@code t} lies in one of the sorted, disjoint {@code windows}. */
  static boolean inAny(List<Window> windows, long t) {
    int lo = 0;
    int hi = windows.size() - 1;
    while (lo <= hi) {
      int mid = (lo + hi) >>> 1;
      Window w = windows.get(mid);
      if (t < w.from()) {
        hi = mid - 1;
      } else if (t > w.to()) {
        lo = mid + 1;
      } else {
        return true;
      }
    }
    return false;
  }

  /**
   * Returns the waits of the calls that started inside {@code windows} and before {@code
   * cutoffMicros} (the revocation, if the server revoked the family; after it, the fleet is down
   * and its calls fail fast, which says nothing about waiting for a refresh).
   */
  static Waits waits(Collection<CallLog> logs, List<Window> windows, long cutoffMicros) {
    Histogram histogram = new Histogram(TimeUnit.MINUTES.toNanos(5), 3);
    for (CallLog log : logs) {
      for (int i = 0; i < log.size(); i++) {
        long start = log.startMicros(i);
        if (start < cutoffMicros && inAny(windows, start)) {
          histogram.recordValue(Math.min(log.waitNanos(i), histogram.getHighestTrackableValue()));
        }
      }
    }
    if (histogram.getTotalCount() == 0) {
      return Waits.NONE;
    }
    return new Waits(
        histogram.getTotalCount(),
        histogram.getValueAtPercentile(50) / 1_000.0,
        histogram.getValueAtPercentile(99) / 1_000.0,
        histogram.getMaxValue() / 1_000.0);
  }

  /**
   * Returns the propagation time of each new token, in microseconds: from the moment the holder
   * received it ({@code answeredAt}) to the moment the last pod first served it. Only tokens that
   * the holder received before {@code cutoffMicros} and that every pod served count; a token that
   * some pod never served (superseded, or the fleet was revoked first) has no propagation time.
   *
   * @param answeredAt each new access token's arrival at its holder
   * @param firstServedByPod per pod, when it first served each access token
   * @param cutoffMicros the revocation, or {@link Long#MAX_VALUE}
   */
  static List<Long> propagation(
      Map<String, Long> answeredAt, List<Map<String, Long>> firstServedByPod, long cutoffMicros) {
    List<Long> times = new ArrayList<>();
    answeredAt.forEach(
        (token, answered) -> {
          if (answered >= cutoffMicros || firstServedByPod.isEmpty()) {
            return;
          }
          long last = Long.MIN_VALUE;
          for (Map<String, Long> pod : firstServedByPod) {
            Long served = pod.get(token);
            if (served == null) {
              return;
            }
            last = Math.max(last, served);
          }
          times.add(Math.max(0, last - answered));
        });
    times.sort(null);
    return times;
  }

  /**
   * Returns the nearest-rank percentile {@code p} (0-100] of {@code values}, or NaN if there are
   * none. With few values (a cell has a handful of refreshes) the 99th percentile is the maximum.
   */
  static double percentile(List<Long> values, double p) {
    if (values.isEmpty()) {
      return Double.NaN;
    }
    List<Long> sorted = values.stream().sorted().toList();
    int rank = (int) Math.ceil(p / 100.0 * sorted.size());
    return sorted.get(Math.max(0, Math.min(sorted.size() - 1, rank - 1)));
  }

  /** Returns the median of {@code values} (the lower middle for an even count), or NaN. */
  static double median(long[] values) {
    if (values.length == 0) {
      return Double.NaN;
    }
    long[] sorted = values.clone();
    java.util.Arrays.sort(sorted);
    return sorted[(sorted.length - 1) / 2];
  }
}

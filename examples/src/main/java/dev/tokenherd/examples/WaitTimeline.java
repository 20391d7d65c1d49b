package dev.tokenherd.examples;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Caller waits on the wall clock, in {@value #SLOT_MILLIS} ms slots: per slot, the slowest call
 * that started in it and how many calls took at least {@value #WAITED_MILLIS} ms. Small whatever
 * the call rate (a 20 s run is 2,000 slots), so a worker process can send it whole, and on the wall
 * clock so that the pods of every process and the authorization server's token expiries share one
 * time line (one machine, one clock). One writer per instance; {@link #add} merges.
 */
final class WaitTimeline {
  /** The width of a slot. */
  static final long SLOT_MILLIS = 10;

  /** A call that took this long or longer waited (a cached token is served in microseconds). */
  static final long WAITED_MILLIS = 1;

  private static final long WAITED_NANOS = WAITED_MILLIS * 1_000_000;

  private long origin = -1;
  private long[] slowestMicros = new long[0];
  private int[] waited = new int[0];

  /**
   * Notes one call.
   *
   * @param startMillis when it started, epoch milliseconds
   * @param waitNanos how long it took
   */
  void record(long startMillis, long waitNanos) {
    int i = index(startMillis / SLOT_MILLIS);
    slowestMicros[i] = Math.max(slowestMicros[i], Math.max(1, waitNanos / 1_000));
    if (waitNanos >= WAITED_NANOS) {
      waited[i]++;
    }
  }

  /** Adds {@code other}'s calls to this timeline. */
  void add(WaitTimeline other) {
    for (int j = 0; j < other.slowestMicros.length; j++) {
      if (other.slowestMicros[j] > 0 || other.waited[j] > 0) {
        int i = index(other.origin + j);
        slowestMicros[i] = Math.max(slowestMicros[i], other.slowestMicros[j]);
        waited[i] += other.waited[j];
      }
    }
  }

  /**
   * Returns the slowest call that started in {@code [fromMillis, toMillis)}, in microseconds; 0 if
   * none started there.
   */
  long slowestMicros(long fromMillis, long toMillis) {
    long slowest = 0;
    for (long slot = fromMillis / SLOT_MILLIS; slot < ceilSlot(toMillis); slot++) {
      slowest = Math.max(slowest, at(slowestMicros, slot));
    }
    return slowest;
  }

  /**
   * Returns how many calls that started in {@code [fromMillis, toMillis)} took at least {@value
   * #WAITED_MILLIS} ms.
   */
  long waited(long fromMillis, long toMillis) {
    long count = 0;
    for (long slot = fromMillis / SLOT_MILLIS; slot < ceilSlot(toMillis); slot++) {
      int i = (int) (slot - origin);
      if (origin >= 0 && i >= 0 && i < waited.length) {
        count += waited[i];
      }
    }
    return count;
  }

  /** The JSON form a worker process reports: the first slot and both series, to the last call. */
  Map<String, Object> toMap() {
    int used = slowestMicros.length;
    while (used > 0 && slowestMicros[used - 1] == 0 && waited[used - 1] == 0) {
      used--;
    }
    Map<String, Object> map = new LinkedHashMap<>();
    map.put("origin", origin);
    map.put("slowest_us", Arrays.copyOf(slowestMicros, used));
    map.put("waited", Arrays.copyOf(waited, used));
    return map;
  }

  /** Reads {@link #toMap()}'s form back; lists of numbers, as a JSON reader returns them. */
  static WaitTimeline fromMap(long origin, List<Long> slowest, List<Integer> waited) {
    if (slowest.size() != waited.size()) {
      throw new IllegalArgumentException(
          "a timeline's series differ in length: " + slowest.size() + " and " + waited.size());
    }
    WaitTimeline timeline = new WaitTimeline();
    timeline.origin = slowest.isEmpty() ? -1 : origin;
    timeline.slowestMicros = slowest.stream().mapToLong(Long::longValue).toArray();
    timeline.waited = waited.stream().mapToInt(Integer::intValue).toArray();
    return timeline;
  }

  private long at(long[] series, long slot) {
    int i = (int) (slot - origin);
    return origin < 0 || i < 0 || i >= series.length ? 0 : series[i];
  }

  private static long ceilSlot(long millis) {
    return (millis + SLOT_MILLIS - 1) / SLOT_MILLIS;
  }

  /** Returns the array index of {@code slot}, growing the arrays (at either end) to hold it. */
  private int index(long slot) {
    if (origin < 0) {
      origin = slot;
      slowestMicros = new long[256];
      waited = new int[256];
    }
    if (slot < origin) {
      int shift = (int) (origin - slot);
      slowestMicros = shifted(slowestMicros, shift);
      int[] moved = new int[waited.length + shift];
      System.arraycopy(waited, 0, moved, shift, waited.length);
      waited = moved;
      origin = slot;
    }
    int i = (int) (slot - origin);
    if (i >= slowestMicros.length) {
      int size = Math.max(slowestMicros.length * 2, i + 1);
      slowestMicros = Arrays.copyOf(slowestMicros, size);
      waited = Arrays.copyOf(waited, size);
    }
    return i;
  }

  private static long[] shifted(long[] series, int shift) {
    long[] moved = new long[series.length + shift];
    System.arraycopy(series, 0, moved, shift, series.length);
    return moved;
  }
}

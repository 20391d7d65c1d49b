package dev.tokenherd.examples;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * What callers went through around the access token's expiries: the moment every strategy that
 * refreshes on demand makes its callers wait, and the one refresh-ahead is there to hide.
 *
 * @param expiries how many expiries the run covered whole (their window inside the callers' run)
 * @param waitedCalls calls that started within {@link #HALF_WINDOW_MILLIS} of an expiry and took at
 *     least {@value WaitTimeline#WAITED_MILLIS} ms
 * @param slowestPerExpiry per expiry, in order, the slowest call that started within its window,
 *     microseconds
 * @param profile per {@value #BIN_MILLIS} ms from {@link #HALF_WINDOW_MILLIS} before an expiry to
 *     as long after, the slowest call that started then around any expiry, microseconds (0: no
 *     call)
 */
record ExpiryWaits(
    int expiries, long waitedCalls, List<Long> slowestPerExpiry, List<Long> profile) {
  /** Half the width of the window around an expiry: the second around it. */
  static final long HALF_WINDOW_MILLIS = 500;

  /** The width of a {@link #profile()} point: wide enough that each holds calls. */
  static final long BIN_MILLIS = 50;

  /** Nothing measured (no expiry in the run). */
  static final ExpiryWaits NONE = new ExpiryWaits(0, 0, List.of(), List.of());

  ExpiryWaits {
    slowestPerExpiry = List.copyOf(slowestPerExpiry);
    profile = List.copyOf(profile);
  }

  /**
   * Measures {@code timeline} around each of {@code expiries} whose window lies inside the callers'
   * run.
   *
   * @param timeline the fleet's calls
   * @param expiries when the access tokens expired, by the authorization server
   * @param from when the callers started
   * @param to when they stopped
   */
  static ExpiryWaits of(WaitTimeline timeline, List<Instant> expiries, Instant from, Instant to) {
    List<Long> inside =
        expiries.stream()
            .map(Instant::toEpochMilli)
            .filter(
                e ->
                    e - HALF_WINDOW_MILLIS >= from.toEpochMilli()
                        && e + HALF_WINDOW_MILLIS <= to.toEpochMilli())
            .sorted()
            .distinct()
            .toList();
    if (inside.isEmpty()) {
      return NONE;
    }
    long waited = 0;
    List<Long> slowest = new ArrayList<>();
    for (long e : inside) {
      waited += timeline.waited(e - HALF_WINDOW_MILLIS, e + HALF_WINDOW_MILLIS);
      slowest.add(timeline.slowestMicros(e - HALF_WINDOW_MILLIS, e + HALF_WINDOW_MILLIS));
    }
    List<Long> profile = new ArrayList<>();
    for (long bin = -HALF_WINDOW_MILLIS; bin < HALF_WINDOW_MILLIS; bin += BIN_MILLIS) {
      long worst = 0;
      for (long e : inside) {
        worst = Math.max(worst, timeline.slowestMicros(e + bin, e + bin + BIN_MILLIS));
      }
      profile.add(worst);
    }
    return new ExpiryWaits(inside.size(), waited, slowest, profile);
  }

  /** The slowest call around any expiry, microseconds; 0 without one. */
  long slowestMicros() {
    return slowestPerExpiry.stream().mapToLong(Long::longValue).max().orElse(0);
  }

  /** The milliseconds from the expiry of each {@link #profile()} point: its bin's middle. */
  static List<Double> profileOffsetsMillis() {
    List<Double> offsets = new ArrayList<>();
    for (long bin = -HALF_WINDOW_MILLIS; bin < HALF_WINDOW_MILLIS; bin += BIN_MILLIS) {
      offsets.add(bin + BIN_MILLIS / 2.0);
    }
    return offsets;
  }
}

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
 * @param awayWaited the baseline: calls of 1 ms or more in windows as wide, half a token lifetime
 *     before each expiry (where no strategy refreshes), for the expiries whose such window lies in
 *     the run, scaled to all of them by the waits at those expiries; what the machine's own pauses
 *     (GC, more threads than cores) cost; -1 if not measured (a lifetime under 2 s leaves no room)
 * @param awaySlowestMicros the slowest call in those windows; -1 if not measured
 */
record ExpiryWaits(
    int expiries,
    long waitedCalls,
    List<Long> slowestPerExpiry,
    List<Long> profile,
    long awayWaited,
    long awaySlowestMicros) {
  /** Half the width of the window around an expiry: the second around it. */
  static final long HALF_WINDOW_MILLIS = 500;

  /** The width of a {@link #profile()} point: wide enough that each holds calls. */
  static final long BIN_MILLIS = 50;

  /** Nothing measured (no expiry in the run). */
  static final ExpiryWaits NONE = new ExpiryWaits(0, 0, List.of(), List.of(), -1, -1);

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
   * @param lifetime the access token lifetime, for the baseline half a lifetime away
   */
  static ExpiryWaits of(
      WaitTimeline timeline,
      List<Instant> expiries,
      Instant from,
      Instant to,
      java.time.Duration lifetime) {
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
    long awayWaited = -1;
    long awaySlowest = -1;
    long half = lifetime.toMillis() / 2;
    if (half >= 2 * HALF_WINDOW_MILLIS) {
      // only expiries whose baseline window lies in the run are compared, both sides alike
      long nearWaited = 0;
      long awayCount = 0;
      long awayMax = 0;
      for (long e : inside) {
        long away = e - half;
        if (away - HALF_WINDOW_MILLIS >= from.toEpochMilli()) {
          nearWaited += timeline.waited(e - HALF_WINDOW_MILLIS, e + HALF_WINDOW_MILLIS);
          awayCount += timeline.waited(away - HALF_WINDOW_MILLIS, away + HALF_WINDOW_MILLIS);
          awayMax =
              Math.max(
                  awayMax,
                  timeline.slowestMicros(away - HALF_WINDOW_MILLIS, away + HALF_WINDOW_MILLIS));
        }
      }
      // scaled to all the expiries, so that it compares with waitedCalls
      if (nearWaited > 0 || awayCount > 0) {
        awayWaited =
            nearWaited == 0 ? awayCount : Math.round((double) awayCount * waited / nearWaited);
      } else {
        awayWaited = 0;
      }
      awaySlowest = awayMax;
    }
    return new ExpiryWaits(inside.size(), waited, slowest, profile, awayWaited, awaySlowest);
  }

  /**
   * Whether the expiries cost callers no more than the same time elsewhere did: at most twice the
   * waits of the baseline, plus a handful (one stall of a few threads), and no slower call than
   * twice the baseline's slowest. A machine's pauses then explain the waits, not the expiry.
   */
  boolean noWorseThanAway() {
    if (awayWaited < 0) {
      return false;
    }
    return waitedCalls <= 2 * awayWaited + 16
        && slowestMicros() <= Math.max(2 * awaySlowestMicros, 1_000);
  }

  /** The waits the expiries added over the baseline (all of them without one). */
  long excessWaited() {
    return awayWaited < 0 ? waitedCalls : Math.max(0, waitedCalls - 2 * awayWaited);
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

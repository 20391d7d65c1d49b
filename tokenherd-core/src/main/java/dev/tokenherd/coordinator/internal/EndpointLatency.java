package dev.tokenherd.coordinator.internal;

import java.time.Duration;
import java.util.Arrays;

/**
 * The token endpoint's observed latency, herd-wide, and the request timeout it implies: {@value
 * #FACTOR} times the {@value #PERCENTILE}th percentile of the last {@value #WINDOW} requests, never
 * below the configured endpoint timeout (the floor, and the timeout before anything is observed).
 * The caller trims it to what its lease has left.
 *
 * <p>Why it only ever raises the configured value: with a rotating server, a timeout that fires
 * while the server is still processing is an ambiguous failure, and retrying it presents a refresh
 * token the server may already have rotated. A timeout therefore exists to notice a request that
 * will never be answered, not to hurry a slow one; under load the latency grows, and the timeout
 * grows with it instead of turning the load into ambiguous failures.
 *
 * <p>Every request that was sent counts, whatever its outcome: a request that timed out counts with
 * the time it was given, a lower bound of its latency, so that when every request times out the
 * timeout still grows (by {@value #FACTOR} each time, up to the lease).
 */
final class EndpointLatency {
  static final int WINDOW = 128;
  static final int PERCENTILE = 99;
  static final int FACTOR = 3;

  private final long[] samples = new long[WINDOW]; // nanoseconds, a ring; guarded by this
  private int count; // guarded by this
  private int next; // guarded by this

  /** Records the latency of one request that was sent, whatever its outcome. */
  synchronized void record(Duration latency) {
    samples[next] = Math.max(0, latency.toNanos());
    next = (next + 1) % WINDOW;
    count = Math.min(count + 1, WINDOW);
  }

  /**
   * Returns the high percentile of the recorded latencies, or zero before any was recorded.
   *
   * @return the {@value #PERCENTILE}th percentile of the last {@value #WINDOW} requests
   */
  Duration highPercentile() {
    long[] copy;
    synchronized (this) {
      if (count == 0) {
        return Duration.ZERO;
      }
      copy = Arrays.copyOf(samples, count);
    }
    Arrays.sort(copy);
    int index = (int) Math.ceil(copy.length * PERCENTILE / 100.0) - 1;
    return Duration.ofNanos(copy[Math.max(0, index)]);
  }

  /**
   * Returns the timeout for the next request: {@value #FACTOR} times the high percentile, at least
   * {@code floor}.
   *
   * @param floor the configured endpoint timeout
   * @return the timeout, before trimming to the lease
   */
  Duration timeout(Duration floor) {
    Duration adaptive = highPercentile().multipliedBy(FACTOR);
    return adaptive.compareTo(floor) > 0 ? adaptive : floor;
  }
}

package dev.tokenherd.coordinator;

import static java.util.Objects.requireNonNull;

import java.time.Duration;
import java.util.random.RandomGenerator;

/**
 * Exponential backoff with jitter, as a pure function of the attempt number and a random source.
 *
 * <p>The delay before retry {@code n} (1-based) is {@code min(max, initial * multiplier^(n-1))},
 * then spread uniformly over {@code ±jitter} of itself, and never above {@code max}.
 *
 * @param initial the delay before the first retry
 * @param max the longest delay
 * @param multiplier how much each delay grows, at least 1
 * @param jitter the fraction of each delay that is randomized, from 0 (none) to 1
 */
public record Backoff(Duration initial, Duration max, double multiplier, double jitter) {
  /** The default for retrying token requests: 250 ms doubling to 30 s, ±50 %. */
  public static final Backoff DEFAULT_RETRY =
      new Backoff(Duration.ofMillis(250), Duration.ofSeconds(30), 2.0, 0.5);

  /** The default for waiters re-reading the store: 25 ms doubling to 1 s, ±20 %. */
  public static final Backoff DEFAULT_POLL =
      new Backoff(Duration.ofMillis(25), Duration.ofSeconds(1), 2.0, 0.2);

  /**
   * Validates the components.
   *
   * @param initial the delay before the first retry; positive
   * @param max the longest delay; at least {@code initial}
   * @param multiplier how much each delay grows; at least 1 and finite
   * @param jitter the fraction of each delay that is randomized, from 0 to 1
   * @throws IllegalArgumentException if a duration is not positive, {@code max < initial}, the
   *     multiplier is below 1 or the jitter outside [0, 1]
   */
  public Backoff {
    requireNonNull(initial, "initial");
    requireNonNull(max, "max");
    if (initial.isNegative() || initial.isZero()) {
      throw new IllegalArgumentException("initial must be positive: " + initial);
    }
    if (max.compareTo(initial) < 0) {
      throw new IllegalArgumentException("max " + max + " is below initial " + initial);
    }
    if (!(multiplier >= 1.0) || Double.isInfinite(multiplier)) {
      throw new IllegalArgumentException("multiplier must be at least 1: " + multiplier);
    }
    if (!(jitter >= 0.0 && jitter <= 1.0)) {
      throw new IllegalArgumentException("jitter must be within [0, 1]: " + jitter);
    }
  }

  /**
   * Returns the delay before retry {@code attempt}.
   *
   * @param attempt the retry's number, from 1
   * @param random the source of jitter
   * @return the delay, between 0 and {@link #max()}
   * @throws IllegalArgumentException if {@code attempt < 1}
   */
  public Duration delay(int attempt, RandomGenerator random) {
    if (attempt < 1) {
      throw new IllegalArgumentException("attempt must be at least 1: " + attempt);
    }
    double maxNanos = max.toNanos();
    double base = Math.min(maxNanos, initial.toNanos() * Math.pow(multiplier, attempt - 1.0));
    double spread = base * jitter * (2.0 * random.nextDouble() - 1.0);
    return Duration.ofNanos((long) Math.min(maxNanos, Math.max(0.0, base + spread)));
  }
}

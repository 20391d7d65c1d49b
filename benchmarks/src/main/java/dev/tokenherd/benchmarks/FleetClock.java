package dev.tokenherd.benchmarks;

import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;

/**
 * A cell's time base: microseconds since the cell began, from {@link System#nanoTime()} for the
 * callers, and wall-clock instants (the fake server's request log) converted onto the same axis.
 */
final class FleetClock {
  private final long baseNanos;
  private final Instant baseInstant;

  private FleetClock(long baseNanos, Instant baseInstant) {
    this.baseNanos = baseNanos;
    this.baseInstant = baseInstant;
  }

  /** Starts a time base now. */
  static FleetClock start() {
    Instant wall = Clock.systemUTC().instant();
    return new FleetClock(System.nanoTime(), wall);
  }

  /** Returns a time base whose zero is {@code baseInstant} (for tests). */
  static FleetClock at(long baseNanos, Instant baseInstant) {
    return new FleetClock(baseNanos, baseInstant);
  }

  /** Returns microseconds since the base, now. */
  long nowMicros() {
    return toMicros(System.nanoTime());
  }

  /** Returns {@code nanoTime} (a {@link System#nanoTime()} reading) on this base. */
  long toMicros(long nanoTime) {
    return (nanoTime - baseNanos) / 1_000;
  }

  /** Returns the wall-clock {@code instant} on this base. */
  long toMicros(Instant instant) {
    return ChronoUnit.MICROS.between(baseInstant, instant);
  }
}

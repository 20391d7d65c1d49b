package dev.tokenherd.coordinator.internal;

import static java.util.Objects.requireNonNull;

import dev.tokenherd.coordinator.ClockOffset;
import dev.tokenherd.coordinator.spi.FleetTime;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The herd's clock: this worker's clock plus its measured offset to the {@link FleetTime} the fleet
 * shares, so that every instant the engine stores, compares or waits for is on one time line for
 * the whole fleet. A worker whose clock is an hour ahead then neither serves a token it believes
 * has an hour left nor writes an expiry that makes other workers serve it.
 *
 * <p>An offset is measured from {@link #SAMPLES} round trips, keeping the shortest: the fleet time
 * read lies within that round trip, so half of it bounds the error. A measurement whose bound
 * exceeds {@link #MAX_UNCERTAINTY} is not trusted (the previous offset stays); an offset within its
 * bound is indistinguishable from zero and taken as zero, so that workers on one host (or in sync)
 * read exactly their own clock. Without a fleet time the clock is the worker's own.
 */
final class FleetClock extends Clock {
  private static final Logger log = LoggerFactory.getLogger(FleetClock.class);

  /** Round trips per measurement; the shortest one is kept. */
  static final int SAMPLES = 5;

  /** The largest error bound (half a round trip) a measurement may have to be used. */
  static final Duration MAX_UNCERTAINTY = Duration.ofMillis(500);

  /** How long building a herd waits for the first measurement. */
  static final Duration FIRST_MEASUREMENT_WAIT = Duration.ofSeconds(5);

  private final Clock base;
  private final @Nullable FleetTime fleetTime;
  private final Duration warningThreshold;
  private final AtomicBoolean measuring = new AtomicBoolean();
  private final AtomicLong failures = new AtomicLong();
  private final AtomicLong largeOffsets = new AtomicLong();
  private volatile ClockOffset status = ClockOffset.NONE;
  private volatile long offsetNanos;
  private @Nullable Duration lastWarned;
  private @Nullable ScheduledFuture<?> periodic;

  FleetClock(Clock base, @Nullable FleetTime fleetTime, Duration warningThreshold) {
    this.base = requireNonNull(base, "base");
    this.fleetTime = fleetTime;
    this.warningThreshold = requireNonNull(warningThreshold, "warningThreshold");
  }

  @Override
  public Instant instant() {
    long offset = offsetNanos;
    Instant local = base.instant();
    return offset == 0 ? local : local.plusNanos(offset);
  }

  @Override
  public long millis() {
    return instant().toEpochMilli();
  }

  @Override
  public ZoneId getZone() {
    return base.getZone();
  }

  @Override
  public Clock withZone(ZoneId zone) {
    return Clock.offset(base.withZone(zone), Duration.ofNanos(offsetNanos));
  }

  /**
   * Converts an instant read from this worker's own clock (a token set seeded by code that read it)
   * to the fleet's clock.
   */
  Instant toFleet(Instant local) {
    long offset = offsetNanos;
    return offset == 0 ? local : local.plusNanos(offset);
  }

  /** Returns the last measurement's result. */
  ClockOffset status() {
    return status;
  }

  /**
   * Measures the offset now, waiting up to {@link #FIRST_MEASUREMENT_WAIT} for it, then every
   * {@code interval} in the background. Does nothing without a fleet time.
   */
  void start(ScheduledExecutorService scheduler, Duration interval) {
    if (fleetTime == null) {
      return;
    }
    try {
      measure().toCompletableFuture().get(FIRST_MEASUREMENT_WAIT.toNanos(), TimeUnit.NANOSECONDS);
    } catch (TimeoutException | ExecutionException e) {
      log.warn(
          "could not measure this worker's offset to the fleet clock ({}); using the local clock"
              + " until a measurement succeeds",
          e.getClass().getSimpleName());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    long period = interval.toNanos();
    periodic =
        scheduler.scheduleWithFixedDelay(
            () -> {
              var unused = measure();
            },
            period,
            period,
            TimeUnit.NANOSECONDS);
  }

  /** Stops measuring. */
  void stop() {
    ScheduledFuture<?> task = periodic;
    if (task != null) {
      task.cancel(false);
    }
  }

  /** Takes one measurement, unless one is under way; the stage completes when it is adopted. */
  CompletionStage<Void> measure() {
    if (fleetTime == null || !measuring.compareAndSet(false, true)) {
      return CompletableFuture.completedFuture(null);
    }
    return sample(SAMPLES, null)
        .handle(
            (best, error) -> {
              measuring.set(false);
              if (error != null || best == null) {
                failures.incrementAndGet();
                log.debug("fleet clock measurement failed", error);
                publish(status.measuredAt());
                return null;
              }
              adopt(best);
              return null;
            });
  }

  private record Sample(long offsetNanos, long uncertaintyNanos) {}

  private CompletionStage<@Nullable Sample> sample(int left, @Nullable Sample best) {
    if (left == 0) {
      return CompletableFuture.completedFuture(best);
    }
    Instant sent = base.instant();
    return requireNonNull(fleetTime)
        .now()
        .thenCompose(
            fleetNow -> {
              Instant received = base.instant();
              long roundTrip = Math.max(0, Duration.between(sent, received).toNanos());
              Instant midpoint = sent.plusNanos(roundTrip / 2);
              Sample taken =
                  new Sample(Duration.between(midpoint, fleetNow).toNanos(), roundTrip / 2);
              Sample kept =
                  best == null || taken.uncertaintyNanos < best.uncertaintyNanos ? taken : best;
              return sample(left - 1, kept);
            });
  }

  private void adopt(Sample best) {
    if (best.uncertaintyNanos > MAX_UNCERTAINTY.toNanos()) {
      failures.incrementAndGet();
      log.warn(
          "fleet clock measurement discarded: its error bound {} (half the shortest round trip)"
              + " exceeds {}; keeping the offset {}",
          Duration.ofNanos(best.uncertaintyNanos),
          MAX_UNCERTAINTY,
          status.offset());
      publish(status.measuredAt());
      return;
    }
    long offset = Math.abs(best.offsetNanos) <= best.uncertaintyNanos ? 0 : best.offsetNanos;
    offsetNanos = offset;
    Duration measured = Duration.ofNanos(offset);
    if (measured.abs().compareTo(warningThreshold) > 0) {
      largeOffsets.incrementAndGet();
      warnOnce(measured, Duration.ofNanos(best.uncertaintyNanos));
    }
    status =
        new ClockOffset(
            measured,
            Duration.ofNanos(best.uncertaintyNanos),
            instant(),
            status.measurements() + 1,
            failures.get(),
            largeOffsets.get());
  }

  private synchronized void warnOnce(Duration offset, Duration uncertainty) {
    Duration last = lastWarned;
    if (last != null && offset.minus(last).abs().compareTo(warningThreshold) <= 0) {
      return; // the same skew as last logged: once is enough
    }
    lastWarned = offset;
    log.warn(
        "this worker's clock is {} {} the fleet clock (measured to within {}); the herd converts"
            + " every expiry to the fleet clock, but fix the host's time synchronization",
        offset.abs(),
        offset.isNegative() ? "ahead of" : "behind",
        uncertainty);
  }

  private void publish(@Nullable Instant measuredAt) {
    ClockOffset current = status;
    status =
        new ClockOffset(
            current.offset(),
            current.uncertainty(),
            measuredAt,
            current.measurements(),
            failures.get(),
            largeOffsets.get());
  }
}

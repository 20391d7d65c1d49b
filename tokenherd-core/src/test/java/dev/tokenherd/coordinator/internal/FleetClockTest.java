package dev.tokenherd.coordinator.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tokenherd.coordinator.ClockOffset;
import dev.tokenherd.coordinator.spi.FleetTime;
import dev.tokenherd.testkit.MutableClock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.junit.jupiter.api.Test;

/** The offset arithmetic of {@link FleetClock}, on a virtual worker clock. */
final class FleetClockTest {
  private static final Instant TRUE_TIME = Instant.parse("2026-12-02T12:00:00Z");

  /**
   * A fleet clock at {@link #TRUE_TIME} whose round trips take the queued durations: the worker's
   * clock advances by each, and the fleet time is read at the middle of it.
   */
  private static final class ScriptedFleetTime implements FleetTime {
    private final MutableClock worker;
    private final Duration workerSkew;
    private final Deque<Duration> roundTrips = new ArrayDeque<>();
    private boolean down;

    ScriptedFleetTime(MutableClock worker, Duration workerSkew) {
      this.worker = worker;
      this.workerSkew = workerSkew;
    }

    @Override
    public CompletionStage<Instant> now() {
      if (down) {
        return CompletableFuture.failedFuture(new IllegalStateException("connection refused"));
      }
      Duration roundTrip = roundTrips.isEmpty() ? Duration.ofMillis(2) : roundTrips.poll();
      worker.advance(roundTrip.dividedBy(2));
      Instant fleetNow = worker.instant().minus(workerSkew);
      worker.advance(roundTrip.dividedBy(2));
      return CompletableFuture.completedFuture(fleetNow);
    }
  }

  @Test
  void aWorkerAnHourAhead_readsTheFleetsTime_andTheMeasurementIsCountedAsLarge() {
    MutableClock worker = MutableClock.at(TRUE_TIME.plus(Duration.ofHours(1)));
    ScriptedFleetTime fleet = new ScriptedFleetTime(worker, Duration.ofHours(1));
    FleetClock clock = new FleetClock(worker, fleet, Duration.ofSeconds(1));

    clock.measure().toCompletableFuture().join();

    ClockOffset status = clock.status();
    assertThat(status.offset()).isEqualTo(Duration.ofHours(-1));
    assertThat(status.uncertainty()).isEqualTo(Duration.ofMillis(1));
    assertThat(status.largeOffsets()).isEqualTo(1);
    assertThat(status.measurements()).isEqualTo(1);
    assertThat(clock.instant()).isEqualTo(worker.instant().minus(Duration.ofHours(1)));
    assertThat(clock.toFleet(worker.instant())).isEqualTo(clock.instant());
  }

  @Test
  void theShortestRoundTripIsKept_andBoundsTheError() {
    MutableClock worker = MutableClock.at(TRUE_TIME.minusSeconds(30));
    ScriptedFleetTime fleet = new ScriptedFleetTime(worker, Duration.ofSeconds(-30));
    for (long millis : new long[] {400, 40, 4, 200, 100}) {
      fleet.roundTrips.add(Duration.ofMillis(millis));
    }
    FleetClock clock = new FleetClock(worker, fleet, Duration.ofSeconds(1));

    clock.measure().toCompletableFuture().join();

    assertThat(clock.status().uncertainty()).isEqualTo(Duration.ofMillis(2));
    assertThat(clock.status().offset()).isEqualTo(Duration.ofSeconds(30));
  }

  @Test
  void anOffsetWithinTheMeasurementsError_isTakenAsZero() {
    MutableClock worker = MutableClock.at(TRUE_TIME);
    // 0.3 ms off, measured with a 2 ms round trip: indistinguishable from in sync.
    ScriptedFleetTime fleet = new ScriptedFleetTime(worker, Duration.ofNanos(300_000));
    FleetClock clock = new FleetClock(worker, fleet, Duration.ofSeconds(1));

    clock.measure().toCompletableFuture().join();

    assertThat(clock.status().offset()).isZero();
    assertThat(clock.instant()).isEqualTo(worker.instant());
    assertThat(clock.status().largeOffsets()).isZero();
  }

  @Test
  void aMeasurementTooSlowToTrust_orFailed_keepsTheLastOffset_andIsCounted() {
    MutableClock worker = MutableClock.at(TRUE_TIME.plusSeconds(10));
    ScriptedFleetTime fleet = new ScriptedFleetTime(worker, Duration.ofSeconds(10));
    FleetClock clock = new FleetClock(worker, fleet, Duration.ofSeconds(1));
    clock.measure().toCompletableFuture().join();
    assertThat(clock.status().offset()).isEqualTo(Duration.ofSeconds(-10));

    // Every round trip of the next measurement takes two seconds.
    for (int i = 0; i < FleetClock.SAMPLES; i++) {
      fleet.roundTrips.add(Duration.ofSeconds(2));
    }
    clock.measure().toCompletableFuture().join();
    fleet.down = true;
    clock.measure().toCompletableFuture().join();

    ClockOffset status = clock.status();
    assertThat(status.offset()).isEqualTo(Duration.ofSeconds(-10));
    assertThat(status.measurements()).isEqualTo(1);
    assertThat(status.failedMeasurements()).isEqualTo(2);
  }

  @Test
  void withoutAFleetTime_theClockIsTheWorkersOwn() {
    MutableClock worker = MutableClock.at(TRUE_TIME);
    FleetClock clock = new FleetClock(worker, null, Duration.ofSeconds(1));

    clock.measure().toCompletableFuture().join();

    assertThat(clock.instant()).isEqualTo(TRUE_TIME);
    assertThat(clock.status()).isEqualTo(ClockOffset.NONE);
  }
}

package dev.tokenherd.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

final class VirtualSchedulerTest {
  private static final Instant T0 = Instant.parse("2030-01-01T00:00:00Z");

  private final MutableClock clock = MutableClock.at(T0);
  private final VirtualScheduler scheduler = new VirtualScheduler(clock);
  private final List<String> ran = new ArrayList<>();

  @Test
  void advance_runsDueTasksInOrderWithTheClockAtTheirDueInstant() {
    scheduler.schedule(() -> ran.add("b@" + clock.instant()), 2, TimeUnit.SECONDS);
    scheduler.schedule(() -> ran.add("a@" + clock.instant()), 1, TimeUnit.SECONDS);
    scheduler.schedule(() -> ran.add("c@" + clock.instant()), 5, TimeUnit.SECONDS);

    int count = scheduler.advance(Duration.ofSeconds(3));

    assertThat(count).isEqualTo(2);
    assertThat(ran).containsExactly("a@" + T0.plusSeconds(1), "b@" + T0.plusSeconds(2));
    assertThat(clock.instant()).isEqualTo(T0.plusSeconds(3));
    assertThat(scheduler.pending()).isEqualTo(1);
    assertThat(scheduler.nextDue()).isEqualTo(T0.plusSeconds(5));
  }

  @Test
  void advance_tasksScheduledWhileRunning_runWhenDueInTheSameAdvance() {
    scheduler.schedule(
        () -> {
          ran.add("first");
          scheduler.schedule(() -> ran.add("second"), 1, TimeUnit.SECONDS);
        },
        1,
        TimeUnit.SECONDS);

    scheduler.advance(Duration.ofSeconds(2));

    assertThat(ran).containsExactly("first", "second");
  }

  @Test
  void sameDueInstant_runsInSubmissionOrder() {
    for (int i = 0; i < 5; i++) {
      int n = i;
      scheduler.execute(() -> ran.add("t" + n));
    }

    scheduler.runDue();

    assertThat(ran).containsExactly("t0", "t1", "t2", "t3", "t4");
  }

  @Test
  void cancel_preventsTheRun() {
    ScheduledFuture<?> task = scheduler.schedule(() -> ran.add("x"), 1, TimeUnit.SECONDS);

    assertThat(task.cancel(false)).isTrue();
    scheduler.advance(Duration.ofSeconds(2));

    assertThat(ran).isEmpty();
    assertThat(scheduler.nextDue()).isNull();
  }

  @Test
  void callable_resultIsAvailableAfterItRuns() throws Exception {
    ScheduledFuture<String> task = scheduler.schedule(() -> "done", 1, TimeUnit.SECONDS);
    assertThat(task.getDelay(TimeUnit.MILLISECONDS)).isEqualTo(1000);
    assertThat(task.isDone()).isFalse();

    scheduler.advance(Duration.ofSeconds(1));

    assertThat(task.get()).isEqualTo("done");
  }

  @Test
  void periodic_runsEveryPeriodUntilCancelled() {
    ScheduledFuture<?> fixedRate =
        scheduler.scheduleAtFixedRate(() -> ran.add("rate"), 1, 2, TimeUnit.SECONDS);
    ScheduledFuture<?> fixedDelay =
        scheduler.scheduleWithFixedDelay(() -> ran.add("delay"), 0, 3, TimeUnit.SECONDS);

    scheduler.advance(Duration.ofSeconds(6));
    fixedRate.cancel(false);
    fixedDelay.cancel(false);
    scheduler.advance(Duration.ofSeconds(10));

    assertThat(ran.stream().filter("rate"::equals)).hasSize(3); // at 1, 3, 5
    assertThat(ran.stream().filter("delay"::equals)).hasSize(3); // at 0, 3, 6
    assertThatThrownBy(() -> scheduler.scheduleAtFixedRate(() -> {}, 0, 0, TimeUnit.SECONDS))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void shutdown_rejectsNewTasks() {
    scheduler.schedule(() -> ran.add("x"), 1, TimeUnit.SECONDS);

    assertThat(scheduler.shutdownNow()).hasSize(1);
    assertThat(scheduler.isShutdown()).isTrue();
    assertThat(scheduler.isTerminated()).isTrue();
    assertThat(scheduler.awaitTermination(1, TimeUnit.SECONDS)).isTrue();
    assertThatThrownBy(() -> scheduler.execute(() -> {}))
        .isInstanceOf(RejectedExecutionException.class);
    VirtualScheduler other = new VirtualScheduler(clock);
    other.shutdown();
    assertThat(other.isShutdown()).isTrue();
  }

  @Test
  void advance_negative_isRejected() {
    assertThatThrownBy(() -> scheduler.advance(Duration.ofSeconds(-1)))
        .isInstanceOf(IllegalArgumentException.class);
    assertThat(scheduler.clock()).isSameAs(clock);
  }

  @Test
  void mutableClock_movesOnlyWhenTold() {
    assertThat(clock.instant()).isEqualTo(T0);
    assertThat(clock.advance(Duration.ofMillis(5))).isEqualTo(T0.plusMillis(5));
    clock.set(T0);
    assertThat(clock.millis()).isEqualTo(T0.toEpochMilli());
    assertThat(clock.withZone(ZoneId.of("Europe/Paris")).instant()).isEqualTo(T0);
    assertThat(clock.getZone()).isEqualTo(java.time.ZoneOffset.UTC);
    assertThat(clock.toString()).contains(T0.toString());
    assertThatThrownBy(() -> clock.advance(Duration.ofSeconds(-1)))
        .isInstanceOf(IllegalArgumentException.class);
  }
}

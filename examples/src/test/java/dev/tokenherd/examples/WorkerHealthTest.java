package dev.tokenherd.examples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tokenherd.testkit.MutableClock;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** A worker's health against a clock that moves only when the test moves it. */
final class WorkerHealthTest {
  private final MutableClock clock = MutableClock.at(Instant.parse("2026-01-01T00:00:00Z"));
  private final WorkerHealth health = new WorkerHealth(clock, Duration.ofSeconds(10));
  private final AtomicReference<PodHandle.Counts> counts =
      new AtomicReference<>(PodHandle.Counts.ZERO);

  @Test
  void beforeThePodStarts_waitingForTheCredential_isUnhealthy() {
    clock.advance(Duration.ofMinutes(5));

    assertThat(health.get().healthy()).isFalse();
    assertThat(health.get().detail()).contains("waiting for the credential");
    health.sample(); // nothing to sample yet
    assertThat(health.get().healthy()).isFalse();
  }

  @Test
  void aNewPod_hasOneWindowToServeItsFirstToken() {
    health.started(counts::get);

    clock.advance(Duration.ofSeconds(10));
    assertThat(health.get().healthy()).isTrue();
    clock.advance(Duration.ofMillis(1));
    assertThat(health.get().healthy()).isFalse();
    assertThat(health.get().detail()).startsWith("served no token for 10001ms");
  }

  @Test
  void servingCalls_keepsItHealthy() {
    health.started(counts::get);
    for (int second = 1; second <= 60; second++) {
      clock.advance(Duration.ofSeconds(1));
      counts.set(new PodHandle.Counts(second * 100L, 0, 0));
      health.sample();
    }

    HealthServer.Status status = health.get();
    assertThat(status.healthy()).isTrue();
    assertThat(status.detail())
        .isEqualTo("served a token within the last 10s; calls 6000, errors 0, re-login required 0");
  }

  @Test
  void callsStopGrowing_unhealthyAfterTheWindow_healthyAgainWhenTheyResume() {
    health.started(counts::get);
    clock.advance(Duration.ofSeconds(1));
    counts.set(new PodHandle.Counts(500, 0, 0));
    health.sample();

    // the credential is revoked: every call fails from here on
    for (int second = 1; second <= 10; second++) {
      clock.advance(Duration.ofSeconds(1));
      counts.set(new PodHandle.Counts(500, second * 40L, second * 40L));
      health.sample();
    }
    assertThat(health.get().healthy()).isTrue(); // exactly one window since the last call
    clock.advance(Duration.ofSeconds(1));
    counts.set(new PodHandle.Counts(500, 440, 440));
    HealthServer.Status status = health.get();
    assertThat(status.healthy()).isFalse();
    assertThat(status.detail())
        .isEqualTo("served no token for 11s; calls 500, errors 440, re-login required 440");

    counts.set(new PodHandle.Counts(501, 440, 440));
    assertThat(health.get().healthy()).isTrue(); // a probe samples too
  }

  @Test
  void progressBetweenProbes_isSeenByTheNextProbe_withoutASample() {
    health.started(counts::get);
    clock.advance(Duration.ofSeconds(9));
    counts.set(new PodHandle.Counts(10, 0, 0));
    assertThat(health.get().healthy()).isTrue();
    clock.advance(Duration.ofSeconds(10));
    assertThat(health.get().healthy()).isTrue();
    clock.advance(Duration.ofSeconds(1));
    assertThat(health.get().healthy()).isFalse();
  }

  @Test
  void aClockStepBackwards_doesNotMakeItUnhealthy() {
    health.started(counts::get);
    clock.set(Instant.parse("2025-12-31T23:00:00Z"));

    assertThat(health.get().healthy()).isTrue();
  }

  @Test
  void stopping_isUnhealthy() {
    health.started(counts::get);
    counts.set(new PodHandle.Counts(10, 0, 0));
    health.stopping();

    assertThat(health.get()).isEqualTo(HealthServer.Status.down("stopping"));
  }

  @Test
  void theWindow_mustBePositive() {
    assertThatThrownBy(() -> new WorkerHealth(clock, Duration.ZERO))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new WorkerHealth(clock, Duration.ofSeconds(-1)))
        .isInstanceOf(IllegalArgumentException.class);
  }
}

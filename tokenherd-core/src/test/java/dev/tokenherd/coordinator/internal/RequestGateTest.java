package dev.tokenherd.coordinator.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tokenherd.coordinator.testing.VirtualFleet;
import dev.tokenherd.testkit.MutableClock;
import dev.tokenherd.testkit.VirtualScheduler;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

final class RequestGateTest {
  private static final Instant T = VirtualFleet.EPOCH;
  private static final Duration MINUTE = Duration.ofMinutes(1);

  private final VirtualScheduler scheduler = new VirtualScheduler(MutableClock.at(T));
  private final RequestGate gate = new RequestGate(1, scheduler, Runnable::run);

  private CompletableFuture<Optional<RequestGate.Permit>> acquire(Instant expiry, Duration wait) {
    return gate.acquire(expiry, wait).toCompletableFuture();
  }

  @Test
  void waiterThatGaveUp_isSkipped_andThePermitGoesToTheNext() {
    RequestGate.Permit held = acquire(T, MINUTE).join().orElseThrow();
    var early = acquire(T.plusSeconds(1), Duration.ofSeconds(10));
    var late = acquire(T.plusSeconds(2), MINUTE);

    scheduler.advance(Duration.ofSeconds(10));
    assertThat(early).isCompletedWithValue(Optional.empty());

    held.release();
    held.release(); // a second release does nothing
    assertThat(late.join()).isPresent();
    assertThat(gate.inUse()).isEqualTo(1);
    late.join().orElseThrow().release();
    assertThat(gate.inUse()).isZero();
  }

  @Test
  void noPermitFree_andNoTimeToWait_returnsEmptyAtOnce() {
    RequestGate.Permit held = acquire(T, MINUTE).join().orElseThrow();

    assertThat(acquire(T, Duration.ZERO)).isCompletedWithValue(Optional.empty());
    held.release();
    assertThat(acquire(T, Duration.ZERO).join()).isPresent();
  }
}

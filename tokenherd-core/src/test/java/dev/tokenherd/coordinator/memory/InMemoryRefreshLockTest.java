package dev.tokenherd.coordinator.memory;

import dev.tokenherd.coordinator.spi.RefreshLock;
import dev.tokenherd.coordinator.testing.RefreshLockContract;
import dev.tokenherd.testkit.MutableClock;
import java.time.Duration;
import java.time.Instant;

final class InMemoryRefreshLockTest extends RefreshLockContract {
  private final MutableClock clock = MutableClock.at(Instant.parse("2030-01-01T00:00:00Z"));
  private final InMemoryRefreshLock lock = new InMemoryRefreshLock(clock);

  @Override
  protected RefreshLock lock() {
    return lock;
  }

  @Override
  protected RefreshLock otherWorkersLock() {
    return lock;
  }

  @Override
  protected Duration leaseTime() {
    return Duration.ofSeconds(30);
  }

  @Override
  protected void letLeaseExpire() {
    clock.advance(Duration.ofSeconds(31));
  }
}

package dev.tokenherd.coordinator.spi;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tokenherd.coordinator.TokenKey;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** What every {@link RefreshLock} must do. */
public abstract class RefreshLockContract {
  private static final AtomicInteger KEYS = new AtomicInteger();

  protected final TokenKey key = TokenKey.of("lock-contract-" + KEYS.incrementAndGet());

  /** Returns the lock under test; two calls may return views of the same lock service. */
  protected abstract RefreshLock lock();

  /** Returns a second client of the same lock service (another worker). */
  protected abstract RefreshLock otherWorkersLock();

  /** The lease time the tests use; short enough for {@link #letLeaseExpire()}. */
  protected abstract Duration leaseTime();

  /** Makes more than {@link #leaseTime()} pass for the lock service. */
  protected abstract void letLeaseExpire();

  private static Optional<LockLease> acquire(RefreshLock lock, TokenKey key, Duration lease) {
    return lock.tryAcquire(key, lease).toCompletableFuture().join();
  }

  @Test
  void tryAcquire_free_returnsALeaseWithAPositiveFence() {
    Optional<LockLease> lease = acquire(lock(), key, leaseTime());

    assertThat(lease).isPresent();
    assertThat(lease.get().fence()).isPositive();
  }

  @Test
  void tryAcquire_heldByAnotherWorker_returnsEmptyAtOnce() {
    assertThat(acquire(lock(), key, leaseTime())).isPresent();

    assertThat(acquire(otherWorkersLock(), key, leaseTime())).isEmpty();
  }

  @Test
  void release_thenAcquire_givesAStrictlyHigherFence() {
    LockLease first = acquire(lock(), key, leaseTime()).orElseThrow();
    first.release().toCompletableFuture().join();

    LockLease second = acquire(otherWorkersLock(), key, leaseTime()).orElseThrow();

    assertThat(second.fence()).isGreaterThan(first.fence());
  }

  @Test
  void tryAcquire_otherKey_isIndependent() {
    assertThat(acquire(lock(), key, leaseTime())).isPresent();

    assertThat(acquire(otherWorkersLock(), TokenKey.of(key.name() + "-other"), leaseTime()))
        .isPresent();
  }

  @Test
  void leaseExpiry_letsAnotherWorkerAcquireWithAHigherFence() {
    LockLease stalled = acquire(lock(), key, leaseTime()).orElseThrow();

    letLeaseExpire();
    LockLease next = acquire(otherWorkersLock(), key, leaseTime()).orElseThrow();

    assertThat(next.fence()).isGreaterThan(stalled.fence());
  }

  @Test
  void release_ofAnExpiredLease_doesNotFreeTheNewHoldersLock() {
    LockLease stalled = acquire(lock(), key, leaseTime()).orElseThrow();
    letLeaseExpire();
    LockLease current = acquire(otherWorkersLock(), key, leaseTime()).orElseThrow();

    stalled.release().toCompletableFuture().join();

    assertThat(acquire(lock(), key, leaseTime())).isEmpty();
    current.release().toCompletableFuture().join();
  }
}

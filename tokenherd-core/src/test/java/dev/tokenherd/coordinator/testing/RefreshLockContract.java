package dev.tokenherd.coordinator.testing;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tokenherd.coordinator.TokenKey;
import dev.tokenherd.coordinator.spi.LockLease;
import dev.tokenherd.coordinator.spi.RefreshLock;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** What every {@link RefreshLock} must do. */
public abstract class RefreshLockContract {
  /** For the contract's subclasses, one per implementation. */
  protected RefreshLockContract() {}

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

  private static Optional<LockLease> advance(LockLease lease, long stored) {
    return lease.advancePast(stored).toCompletableFuture().join();
  }

  @Test
  void advancePast_whileHeld_issuesAFenceAboveTheMarginAndKeepsTheLock() {
    LockLease lease = acquire(lock(), key, leaseTime()).orElseThrow();
    long stored = lease.fence() + 57;

    LockLease refenced = advance(lease, stored).orElseThrow();

    assertThat(refenced.fence()).isGreaterThan(stored + LockLease.REFENCE_MARGIN);
    assertThat(acquire(otherWorkersLock(), key, leaseTime())).isEmpty();
  }

  @Test
  void advancePast_raisesTheCounterForEveryLaterLease() {
    LockLease lease = acquire(lock(), key, leaseTime()).orElseThrow();
    LockLease refenced = advance(lease, lease.fence() + 3).orElseThrow();
    lease.release().toCompletableFuture().join(); // the original lease releases the same lock

    LockLease next = acquire(otherWorkersLock(), key, leaseTime()).orElseThrow();

    assertThat(next.fence()).isGreaterThan(refenced.fence());
  }

  @Test
  void advancePast_aStoredFenceBelowTheCounter_stillIssuesAFreshFence() {
    LockLease lease = acquire(lock(), key, leaseTime()).orElseThrow();

    LockLease refenced = advance(lease, 0).orElseThrow();

    assertThat(refenced.fence()).isGreaterThan(lease.fence());
  }

  @Test
  void advancePast_afterTheLeaseRanOut_isEmptyAndLeavesTheNewHolderAlone() {
    LockLease stale = acquire(lock(), key, leaseTime()).orElseThrow();
    letLeaseExpire();
    LockLease holder = acquire(otherWorkersLock(), key, leaseTime()).orElseThrow();

    assertThat(advance(stale, holder.fence())).isEmpty();

    LockLease afterHolder = acquireAfterRelease(holder);
    assertThat(afterHolder.fence()).isEqualTo(holder.fence() + 1);
  }

  private LockLease acquireAfterRelease(LockLease holder) {
    holder.release().toCompletableFuture().join();
    return acquire(lock(), key, leaseTime()).orElseThrow();
  }
}

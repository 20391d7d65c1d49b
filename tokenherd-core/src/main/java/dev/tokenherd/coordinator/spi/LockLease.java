package dev.tokenherd.coordinator.spi;

import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * A held refresh lock. The lease ends at {@link #release()} or when its lease time runs out,
 * whichever is first.
 */
public interface LockLease {
  /**
   * How far above a stored fence {@link #advancePast} puts the lock's counter: more leases than
   * could ever have been taken between the last stored write and the loss of the counter, so the
   * repaired fence is above every fence issued before the loss, held by a paused worker or not.
   */
  long REFENCE_MARGIN = 1L << 32;

  /**
   * Returns the fencing token: strictly greater than that of every earlier lease on the same key.
   *
   * @return the fencing token, written with every record this lease's holder stores
   */
  long fence();

  /**
   * Re-fences this lease after the lock's fence counter was lost or rolled back (its key deleted or
   * evicted, a restore of an older backup, a failover to a lagging replica), which the engine sees
   * as the store rejecting this lease's refresh mark for a fence that is not below the stored one
   * although the lock is held. Atomically, if this lease still holds the lock: raises the counter
   * to at least {@code fence + }{@link #REFENCE_MARGIN} and takes the next value, so the returned
   * lease's fence, and every later lease's, is above every fence issued before the loss.
   *
   * <p>Called from the engine's executor; must not block. The returned lease holds the same lock:
   * releasing either lease releases it.
   *
   * <p>The default implementation completes exceptionally with {@link
   * UnsupportedOperationException}: a lock that cannot be re-fenced leaves the credential
   * unrefreshable until an operator repairs the counter, which the engine reports as a typed error.
   *
   * @param fence the stored fence that the new fence must exceed
   * @return the lease with its new fence, or empty if this lease no longer holds the lock (its
   *     lease time ran out, and another worker may hold it now)
   */
  default CompletionStage<Optional<LockLease>> advancePast(long fence) {
    return CompletableFuture.failedFuture(
        new UnsupportedOperationException(
            getClass().getName() + " cannot re-fence a lease (LockLease.advancePast)"));
  }

  /**
   * Releases the lock if this lease still holds it; does nothing otherwise.
   *
   * @return a stage that completes when the lock is released
   */
  CompletionStage<Void> release();
}

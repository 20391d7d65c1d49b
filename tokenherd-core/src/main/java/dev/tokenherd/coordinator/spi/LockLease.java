package dev.tokenherd.coordinator.spi;

import java.util.concurrent.CompletionStage;

/**
 * A held refresh lock. The lease ends at {@link #release()} or when its lease time runs out,
 * whichever is first.
 */
public interface LockLease {

  /**
   * Returns the fencing token: strictly greater than that of every earlier lease on the same key.
   *
   * @return the fencing token, written with every record this lease's holder stores
   */
  long fence();

  /**
   * Releases the lock if this lease still holds it; does nothing otherwise.
   *
   * @return a stage that completes when the lock is released
   */
  CompletionStage<Void> release();
}

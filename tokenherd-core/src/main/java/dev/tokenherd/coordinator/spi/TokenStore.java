package dev.tokenherd.coordinator.spi;

import static java.util.Objects.requireNonNull;

import dev.tokenherd.coordinator.TokenKey;
import java.util.Optional;
import java.util.concurrent.CompletionStage;

/**
 * Where the fleet keeps each credential's {@link TokenRecord}.
 *
 * <p>All writes go through one atomic {@link #compareAndSet compare-and-set}, which enforces the
 * invariants every worker relies on: the stored version only moves forward, a writer whose fencing
 * token is lower than the last accepted one is rejected, and a record of a newer schema is never
 * replaced by an older worker.
 *
 * <p>Implementations must be thread-safe and must not block the calling thread.
 *
 * <p><b>Failures.</b> A store that cannot be reached fails with its own exception (the engine
 * reports it as a {@link dev.tokenherd.coordinator.StoreUnavailableException}, and retries) or with
 * a {@code StoreUnavailableException} itself. A store that is reachable but misconfigured (a key of
 * the wrong type, a command its user may not run) fails with {@link
 * dev.tokenherd.coordinator.StoreMisconfiguredException}, which the engine does not retry. A write
 * whose outcome the store could not learn fails with {@link
 * dev.tokenherd.coordinator.AmbiguousStoreWriteException}.
 */
public interface TokenStore {

  /**
   * Reads a credential's record.
   *
   * @param key the credential
   * @return the record, or empty if none was ever written; fails with {@link
   *     dev.tokenherd.coordinator.UnreadableRecordException} if the stored record cannot be read
   *     (which leaves it in place), with {@link
   *     dev.tokenherd.coordinator.StoreMisconfiguredException} if the store refuses the read for
   *     good, or with the store's own exception if it cannot be reached
   */
  CompletionStage<Optional<TokenRecord>> read(TokenKey key);

  /**
   * Atomically replaces the record if nothing changed underneath.
   *
   * <p>The write is applied only when all of these hold: the stored version equals {@code
   * expectedVersion} (0: no record is stored), and the stored {@linkplain TokenRecord#generation()
   * generation} equals {@code next.generation()} (a record created again since the writer read it
   * counts as a moved version); {@code next.fence()} is at least the stored fence; the stored
   * schema is not newer than {@code next.schemaVersion()}; and, if {@code next} carries a
   * {@linkplain TokenRecord#refreshing() refresh mark}, the stored record carries no live mark with
   * another {@linkplain RefreshMark#id() id} ({@link WriteOutcome.Result#MARK_HELD} otherwise). A
   * mark is live until the store's own clock passes the moment the store applied it plus its
   * {@linkplain RefreshMark#window() window}; the store keeps that moment with the record, and a
   * mark of the same id written again restarts it. {@code next.version()} must be {@code
   * expectedVersion} (a change of metadata only, such as a refresh mark: where the store can, it
   * {@linkplain ChangeFeed#announceRefreshing announces} the mark's window, or zero for a record
   * that no longer carries a live mark, as part of the same step; no version notice) or {@code
   * expectedVersion + 1} (a change of content, which is published on the change feed as part of the
   * same atomic step where the store can do so).
   *
   * @param key the credential
   * @param expectedVersion the version the writer read
   * @param next the record to store
   * @return the outcome; a lost race is an outcome, not a failure. A store that finds exactly
   *     {@code next} already stored (a retry of a write that was applied but whose answer was lost)
   *     reports it as applied. Fails as {@link #read} does, or with {@link
   *     dev.tokenherd.coordinator.AmbiguousStoreWriteException} if the write may have been applied
   * @throws IllegalArgumentException if {@code next.version()} is neither {@code expectedVersion}
   *     nor {@code expectedVersion + 1}
   */
  CompletionStage<WriteOutcome> compareAndSet(TokenKey key, long expectedVersion, TokenRecord next);

  /**
   * Checks the arguments of a {@link #compareAndSet compare-and-set} as its contract requires: the
   * first thing an implementation does, on the calling thread, before it writes anything.
   *
   * @param key the credential
   * @param expectedVersion the version the writer read
   * @param next the record to store
   * @throws IllegalArgumentException if {@code next.version()} is neither {@code expectedVersion}
   *     nor {@code expectedVersion + 1}
   */
  static void checkCompareAndSet(TokenKey key, long expectedVersion, TokenRecord next) {
    requireNonNull(key, "key");
    requireNonNull(next, "next");
    if (next.version() != expectedVersion && next.version() != expectedVersion + 1) {
      throw new IllegalArgumentException(
          "next version " + next.version() + " must be " + expectedVersion + " or one more");
    }
  }
}

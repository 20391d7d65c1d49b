package dev.tokenherd.coordinator.internal;

import dev.tokenherd.coordinator.PermanentRefreshException;
import dev.tokenherd.coordinator.TokenKey;
import dev.tokenherd.coordinator.spi.LockLease;
import dev.tokenherd.coordinator.spi.RefreshMark;
import dev.tokenherd.coordinator.spi.TokenRecord;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A lease of the refresh lock that this worker holds. Its fence is read here and nowhere else in
 * the engine: every record written under the lease is {@linkplain #stamp stamped} with it, every
 * refresh mark is {@linkplain #mark made} with it (its id noted by the {@link FeedFollower}, so
 * that the mark's announcement is known for this worker's own), and a lease {@linkplain #refence
 * re-fenced} after the lock's fence counter went back is another {@code FencedLease}. Outside, the
 * fence appears only in logs, messages and listener events ({@link #fence()}).
 *
 * <p>Why one owner: a fence guards a write only if the write carries the lease's own fence. The
 * mark was once stamped with {@code max(lease fence, stored fence)}, which let a holder whose fence
 * was below the stored one send its request anyway (docs/architecture.md, "Fences"); with one place
 * that reads the fence, no other code can make that mistake again.
 */
final class FencedLease {
  private static final Logger log = LoggerFactory.getLogger(FencedLease.class);

  private final LockLease lease;
  private final String workerId;
  private final FeedFollower feed;

  FencedLease(LockLease lease, String workerId, FeedFollower feed) {
    this.lease = lease;
    this.workerId = workerId;
    this.feed = feed;
  }

  /** Returns {@code record} stamped with this lease's fence. */
  TokenRecord stamp(TokenRecord record) {
    return record.withFence(lease.fence());
  }

  /**
   * Returns a new refresh mark of this lease, with a new id, which the {@link FeedFollower} learns
   * first: the mark's announcement is this worker's own, not another's refresh.
   */
  RefreshMark mark(Instant startedAt, String presented, Duration window) {
    String id = markId();
    feed.ownMark(id); // its announcement is this worker's own, not another's refresh
    return new RefreshMark(lease.fence(), workerId, startedAt, presented, id, window);
  }

  /**
   * Asks the lock for a fence above {@code stored}, the fence of the record that refused this
   * lease's mark; empty if the lease ran out. A lock that cannot re-fence, or a stored fence too
   * large to re-fence above, fails the attempt with a typed, permanent error naming the cause.
   */
  CompletionStage<Optional<FencedLease>> refence(TokenKey key, long stored) {
    if (!canRefenceAbove(stored)) {
      return CompletableFuture.failedFuture(
          behind(key, stored, "the stored fence is too large to re-fence above", null));
    }
    return advancePast(stored)
        .handle(
            (renewed, error) -> {
              if (error == null) {
                renewed.ifPresent(
                    next ->
                        log.warn(
                            "credential '{}': the lock's fence counter went back (lease fence"
                                + " {} is not above the stored fence {} while the lock is"
                                + " held: its key was lost, evicted or rolled back); re-fenced"
                                + " to {}",
                            key,
                            lease.fence(),
                            stored,
                            next.fence()));
                return CompletableFuture.completedFuture(renewed);
              }
              Throwable cause = Failures.unwrap(error);
              if (cause instanceof UnsupportedOperationException) {
                return CompletableFuture.<Optional<FencedLease>>failedFuture(
                    behind(key, stored, String.valueOf(cause.getMessage()), cause));
              }
              return CompletableFuture.<Optional<FencedLease>>failedFuture(cause);
            })
        .thenCompose(stage -> stage);
  }

  /** Whether a fence far enough above {@code stored} can still be issued. */
  private static boolean canRefenceAbove(long stored) {
    return stored <= Long.MAX_VALUE - LockLease.REFENCE_MARGIN - 1;
  }

  /** Re-fences this lease above {@code stored}; empty if it no longer holds the lock. */
  private CompletionStage<Optional<FencedLease>> advancePast(long stored) {
    return lease
        .advancePast(stored)
        .thenApply(renewed -> renewed.map(next -> new FencedLease(next, workerId, feed)));
  }

  CompletionStage<Void> release() {
    return lease.release();
  }

  /** The fence, for logs and listener events only: writes take it through stamp and mark. */
  long fence() {
    return lease.fence();
  }

  /**
   * Returns the error for a lock whose fence counter is behind the store while this lease holds it
   * and that cannot be re-fenced above it ({@code why}): nothing is sent, and only an operator can
   * repair the counter.
   */
  private PermanentRefreshException behind(
      TokenKey key, long stored, String why, @Nullable Throwable cause) {
    return new PermanentRefreshException(
        key,
        "the refresh lock's fence counter is behind the store (lease fence "
            + lease.fence()
            + " is not above the stored fence "
            + stored
            + " while the lock is held) and "
            + why
            + ": set the lock's counter above "
            + stored
            + " to resume; no token request was sent",
        null,
        cause);
  }

  /** A new mark id: random, so that no two attempts share one, whatever their fences. */
  private static String markId() {
    return UUID.randomUUID().toString();
  }
}

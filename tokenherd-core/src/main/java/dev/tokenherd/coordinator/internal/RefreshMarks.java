package dev.tokenherd.coordinator.internal;

import static java.util.Objects.requireNonNull;

import dev.tokenherd.coordinator.RefreshPolicy;
import dev.tokenherd.coordinator.spi.RefreshMark;
import dev.tokenherd.coordinator.spi.TokenRecord;
import java.time.Duration;
import java.time.Instant;
import org.jspecify.annotations.Nullable;

/**
 * The refresh mark as a record sees it, and the time it promises. A holder writes its mark (made by
 * its {@link FencedLease}) before it sends, and the mark promises that the holder sends nothing
 * after its lease and stores nothing after the {@linkplain #rotationDeadline rotation deadline}
 * that follows it; the store refuses every other mark until then. When the request is over the mark
 * is {@linkplain #settled settled} (the server may have rotated: the next holder must know) or
 * {@linkplain #takenBack taken back} (it certainly did not).
 */
final class RefreshMarks {
  private RefreshMarks() {}

  /**
   * Returns {@code base} with {@code mark} and the mark's own fence: never the stored fence, which
   * would let a lease whose fence is lower pass the store's check.
   */
  static TokenRecord marked(TokenRecord base, RefreshMark mark) {
    return withMark(base, mark, mark.fence());
  }

  /** Returns {@code marked} with its mark settled: the request is over, the mark stays. */
  static TokenRecord settled(TokenRecord marked) {
    return marked(marked, requireNonNull(marked.refreshing()).settled());
  }

  /**
   * Returns {@code marked} with this attempt's mark taken back (its request certainly did not
   * rotate): no mark if none was found under the lease, else this mark settled, which still tells
   * the next holder that the earlier attempt's rotation may have been lost. (Putting the found mark
   * back would carry another id, which the store refuses while this attempt's own mark is live.)
   */
  static TokenRecord takenBack(TokenRecord marked, @Nullable RefreshMark found) {
    return found == null ? withMark(marked, null, marked.fence()) : settled(marked);
  }

  /**
   * Until when a holder whose lease ends at {@code leaseEnd} may still store a rotation it
   * received: a lease time after its lease (the budget of {@link RotationRetry}).
   */
  static Instant rotationDeadline(Instant leaseEnd, RefreshPolicy policy) {
    return leaseEnd.plus(policy.leaseTime());
  }

  /**
   * What a holder keeps between a request's backstop and its lease's end, and between its last
   * store write and its mark's end: a sixteenth of the lease.
   */
  static Duration sendMargin(RefreshPolicy policy) {
    return policy.leaseTime().dividedBy(16);
  }

  private static TokenRecord withMark(TokenRecord base, @Nullable RefreshMark mark, long fence) {
    return base.toBuilder().fence(fence).refreshing(mark).build();
  }
}

package dev.tokenherd.coordinator.spi;

import static java.util.Objects.requireNonNull;

import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;

/**
 * A write-ahead "refresh in progress" mark, stored before a holder sends a token request and
 * cleared by the write that stores the answer. A holder that finds a mark it did not write knows an
 * earlier refresh may have rotated the refresh token without storing the result.
 *
 * <p>A mark is also a promise with a deadline: its holder sends its request, and that request ends,
 * within {@link #window()} of the store applying the mark. Until then the mark is <em>live</em>,
 * and the store refuses another mark over it ({@link WriteOutcome.Result#MARK_HELD}), timed by the
 * store's own clock: so a worker that took the lock after the lock's key was lost (evicted, a
 * failover) does not send while the holder it cannot see may still be sending.
 *
 * @param fence the fencing token of the holder that wrote the mark
 * @param holder the identity of that holder (see {@link TokenRecord#writer()})
 * @param startedAt when the holder started the request
 * @param presented the fingerprint of the refresh token it presented ("none" for
 *     client_credentials)
 * @param id what tells this mark from every other, whatever the fences (random, one per attempt)
 * @param window how long after the store applies the mark the holder may still be sending; {@link
 *     Duration#ZERO} for a settled mark (the request is over, or never went out)
 */
public record RefreshMark(
    long fence, String holder, Instant startedAt, String presented, String id, Duration window) {
  /**
   * Validates the components.
   *
   * @param fence the fencing token of the holder that wrote the mark
   * @param holder the identity of that holder
   * @param startedAt when the holder started the request
   * @param presented the fingerprint of the refresh token it presented, never the token itself
   * @param id what tells this mark from every other; not empty
   * @param window how long after the store applies the mark the holder may still be sending; not
   *     negative, whole milliseconds
   */
  public RefreshMark {
    requireNonNull(holder, "holder");
    requireNonNull(startedAt, "startedAt");
    requireNonNull(presented, "presented");
    requireNonNull(id, "id");
    requireNonNull(window, "window");
    if (id.isEmpty()) {
      throw new IllegalArgumentException("a refresh mark's id must not be empty");
    }
    if (window.isNegative()) {
      throw new IllegalArgumentException("a refresh mark's window must not be negative: " + window);
    }
    if (!window.truncatedTo(ChronoUnit.MILLIS).equals(window)) {
      // Stores keep milliseconds: a finer window would not read back equal to what was written.
      throw new IllegalArgumentException(
          "a refresh mark's window must be whole milliseconds: " + window);
    }
  }

  /**
   * Creates a settled mark (window zero) whose id is made of its fence and holder: the mark of a
   * request that is over, as written by versions before marks had ids.
   *
   * @param fence the fencing token of the holder that wrote the mark
   * @param holder the identity of that holder
   * @param startedAt when the holder started the request
   * @param presented the fingerprint of the refresh token it presented, never the token itself
   */
  public RefreshMark(long fence, String holder, Instant startedAt, String presented) {
    this(fence, holder, startedAt, presented, fence + "@" + holder, Duration.ZERO);
  }

  /**
   * Returns this mark with its window closed: the holder's request is over (answered, failed, or
   * never sent), so the mark no longer holds off other holders, but still tells them that a
   * rotation may have been lost.
   *
   * @return the same mark, settled
   */
  public RefreshMark settled() {
    return new RefreshMark(fence, holder, startedAt, presented, id, Duration.ZERO);
  }
}

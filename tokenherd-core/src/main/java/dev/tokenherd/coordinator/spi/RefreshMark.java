package dev.tokenherd.coordinator.spi;

import static java.util.Objects.requireNonNull;

import java.time.Instant;

/**
 * A write-ahead "refresh in progress" mark, stored before a holder sends a token request and
 * cleared by the write that stores the answer. A holder that finds a mark it did not write knows an
 * earlier refresh may have rotated the refresh token without storing the result.
 *
 * @param fence the fencing token of the holder that wrote the mark
 * @param holder the identity of that holder (see {@link TokenRecord#writer()})
 * @param startedAt when the holder started the request
 * @param presented the fingerprint of the refresh token it presented ("none" for
 *     client_credentials)
 */
public record RefreshMark(long fence, String holder, Instant startedAt, String presented) {
  /**
   * Validates the components.
   *
   * @param fence the fencing token of the holder that wrote the mark
   * @param holder the identity of that holder
   * @param startedAt when the holder started the request
   * @param presented the fingerprint of the refresh token it presented, never the token itself
   */
  public RefreshMark {
    requireNonNull(holder, "holder");
    requireNonNull(startedAt, "startedAt");
    requireNonNull(presented, "presented");
  }
}

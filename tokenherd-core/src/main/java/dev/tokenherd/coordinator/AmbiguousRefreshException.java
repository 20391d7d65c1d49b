package dev.tokenherd.coordinator;

import org.jspecify.annotations.Nullable;

/**
 * A token request was sent but no answer was read (a timeout or a reset after sending, or a reply
 * that could not be parsed): the server may have rotated the refresh token.
 *
 * <p>Tokenherd retries with the stored refresh token (the only one it has). If the server did
 * rotate and detects the reuse, the retry fails with {@code invalid_grant} and is reported as a
 * {@link LostRotationException}. Ambiguous failures are counted on their own.
 */
public final class AmbiguousRefreshException extends TransientRefreshException {
  private static final long serialVersionUID = 1L;

  /**
   * Creates the exception.
   *
   * @param key the credential
   * @param message what happened, without secrets
   * @param cause the underlying failure, if any
   */
  public AmbiguousRefreshException(TokenKey key, String message, @Nullable Throwable cause) {
    super(key, message, null, cause);
  }
}

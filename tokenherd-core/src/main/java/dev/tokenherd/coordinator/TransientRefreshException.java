package dev.tokenherd.coordinator;

import java.time.Duration;
import org.jspecify.annotations.Nullable;

/**
 * A failure that a later call may not see: the token endpoint or the store was unreachable, slow or
 * overloaded, or the caller's deadline passed while a refresh was under way.
 */
public sealed class TransientRefreshException extends TokenRefreshException
    permits AmbiguousRefreshException, RefreshTimeoutException, StoreUnavailableException {
  private static final long serialVersionUID = 1L;

  /** How long the token endpoint asked clients to wait, or {@code null} if it did not say. */
  private final @Nullable Duration retryAfter;

  /**
   * Creates the exception.
   *
   * @param key the credential
   * @param message what happened, without secrets
   * @param retryAfter how long the server asked clients to wait, if it said
   * @param cause the underlying failure, if any
   */
  public TransientRefreshException(
      TokenKey key, String message, @Nullable Duration retryAfter, @Nullable Throwable cause) {
    super(key, message, cause);
    this.retryAfter = retryAfter;
  }

  /**
   * Returns how long the token endpoint asked clients to wait ({@code Retry-After}), if it did.
   *
   * @return the wait the server asked for, or {@code null} if it did not say
   */
  public @Nullable Duration retryAfter() {
    return retryAfter;
  }

  @Override
  public final boolean isRetryable() {
    return true;
  }
}

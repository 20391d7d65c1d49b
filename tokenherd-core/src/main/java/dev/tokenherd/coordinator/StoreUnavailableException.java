package dev.tokenherd.coordinator;

import org.jspecify.annotations.Nullable;

/**
 * The token store, refresh lock or change feed could not be reached. Workers keep serving their
 * cached token until it expires; after that callers get this exception until the store is back.
 */
public final class StoreUnavailableException extends TransientRefreshException {
  private static final long serialVersionUID = 1L;

  /**
   * Creates the exception.
   *
   * @param key the credential
   * @param message what failed, without secrets
   * @param cause the underlying failure, if any
   */
  public StoreUnavailableException(TokenKey key, String message, @Nullable Throwable cause) {
    super(key, message, null, cause);
  }
}

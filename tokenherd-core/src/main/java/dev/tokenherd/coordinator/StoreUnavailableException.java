package dev.tokenherd.coordinator;

import org.jspecify.annotations.Nullable;

/**
 * The token store, refresh lock or change feed could not be reached, or did not answer in time.
 * Workers keep serving their cached token until it expires; after that callers get this exception
 * until the store is back. Its subtype {@link AmbiguousStoreWriteException} says that a write may
 * have been applied.
 */
public sealed class StoreUnavailableException extends TransientRefreshException
    permits AmbiguousStoreWriteException {
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

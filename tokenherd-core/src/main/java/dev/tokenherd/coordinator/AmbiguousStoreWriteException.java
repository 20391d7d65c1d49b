package dev.tokenherd.coordinator;

import org.jspecify.annotations.Nullable;

/**
 * A write to the store got no answer in time, and re-reading the record to learn whether it was
 * applied failed too: the write may or may not have taken effect.
 *
 * <p>Retrying the same compare-and-set is safe: the store applies it only if nothing changed, and a
 * store that finds the very record the retry carries already stored reports it as applied. The
 * engine therefore keeps retrying the write of a rotation it received (for up to a lease time),
 * instead of dropping the only copy of the new refresh token.
 */
public final class AmbiguousStoreWriteException extends StoreUnavailableException {
  private static final long serialVersionUID = 1L;

  /**
   * Creates the exception.
   *
   * @param key the credential
   * @param message what happened, without secrets
   * @param cause the underlying failure, if any
   */
  public AmbiguousStoreWriteException(TokenKey key, String message, @Nullable Throwable cause) {
    super(key, message, cause);
  }
}

package dev.tokenherd.coordinator;

import static java.util.Objects.requireNonNull;

import org.jspecify.annotations.Nullable;

/**
 * A credential could not produce a valid access token.
 *
 * <p>Unchecked, because failures travel in futures. The hierarchy is closed: every failure is
 * either {@linkplain PermanentRefreshException permanent} (retrying cannot help; a person or an
 * operator must act) or {@linkplain TransientRefreshException transient} (a later call may
 * succeed). Messages name the credential and, where there is one, the OAuth 2.0 error code; they
 * never contain a token, a secret or a response body.
 */
public abstract sealed class TokenRefreshException extends RuntimeException
    permits PermanentRefreshException, TransientRefreshException {
  private static final long serialVersionUID = 1L;

  /** The name of the credential that failed ({@link TokenKey} itself is not serializable). */
  private final String key;

  TokenRefreshException(TokenKey key, String message, @Nullable Throwable cause) {
    super("credential '" + requireNonNull(key, "key").name() + "': " + message, cause);
    this.key = key.name();
  }

  /**
   * Returns the credential that failed.
   *
   * @return the credential's key
   */
  public TokenKey key() {
    return TokenKey.of(key);
  }

  /**
   * Returns whether a later call may succeed without anyone acting first.
   *
   * @return {@code true} for a {@link TransientRefreshException}, {@code false} for a {@link
   *     PermanentRefreshException}
   */
  public abstract boolean isRetryable();
}

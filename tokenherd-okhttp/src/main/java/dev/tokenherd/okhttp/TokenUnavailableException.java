package dev.tokenherd.okhttp;

import static java.util.Objects.requireNonNull;

import dev.tokenherd.coordinator.TokenRefreshException;
import java.io.IOException;

/**
 * An OkHttp call failed because the coordinator had no valid access token for it: none could be had
 * for the request, or none to replace one the server rejected.
 *
 * <p>OkHttp lets interceptors and authenticators throw only {@link IOException}s, so the
 * coordinator's typed error travels as this exception's cause: {@link #refreshException()} (also
 * {@link #getCause()}) tells a revoked credential ({@link
 * dev.tokenherd.coordinator.PermanentRefreshException}, a person must act) from a passing failure
 * ({@link dev.tokenherd.coordinator.TransientRefreshException}, a later call may succeed). The
 * message is the cause's: it names the credential, never a token.
 */
public final class TokenUnavailableException extends IOException {
  private static final long serialVersionUID = 1L;

  /** The coordinator's error; also the cause. */
  private final TokenRefreshException refreshException;

  TokenUnavailableException(TokenRefreshException refreshException) {
    super(requireNonNull(refreshException, "refreshException").getMessage(), refreshException);
    this.refreshException = refreshException;
  }

  /**
   * Returns the coordinator's error, the cause of this exception.
   *
   * @return the typed refresh failure
   */
  public TokenRefreshException refreshException() {
    return refreshException;
  }

  /**
   * Returns whether a later call may succeed without anyone acting first.
   *
   * @return the cause's {@link TokenRefreshException#isRetryable()}
   */
  public boolean isRetryable() {
    return refreshException.isRetryable();
  }
}

package dev.tokenherd.coordinator;

import java.time.Duration;
import org.jspecify.annotations.Nullable;

/**
 * A caller's deadline passed before a valid token was available. The refresh it waited for may
 * still complete; a later call can succeed.
 */
public final class RefreshTimeoutException extends TransientRefreshException {
  private static final long serialVersionUID = 1L;

  /**
   * Creates the exception.
   *
   * @param key the credential
   * @param waited how long the caller waited
   * @param cause the last failure of the refresh, if any
   */
  public RefreshTimeoutException(TokenKey key, Duration waited, @Nullable Throwable cause) {
    super(key, "no valid token within " + waited, null, cause);
  }
}

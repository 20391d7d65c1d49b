package dev.tokenherd.coordinator;

import org.jspecify.annotations.Nullable;

/**
 * A failure that retrying cannot fix: the credential was revoked, is missing, its stored record
 * cannot be read, or the store itself is misconfigured. Tokenherd stops calling the token endpoint
 * for the credential until it changes.
 */
public sealed class PermanentRefreshException extends TokenRefreshException
    permits ReauthenticationRequiredException,
        CredentialNotFoundException,
        UnreadableRecordException,
        StoreMisconfiguredException {
  private static final long serialVersionUID = 1L;

  /**
   * The token endpoint's error response, or {@code null}. {@link OAuth2Error} is not serializable:
   * an exception that holds one cannot be serialized.
   */
  @SuppressWarnings("serial") // records are serializable in practice; the field is diagnostics
  private final @Nullable OAuth2Error error;

  /**
   * Creates the exception.
   *
   * @param key the credential
   * @param message what happened, without secrets
   * @param error the token endpoint's error, if any
   * @param cause the underlying failure, if any
   */
  public PermanentRefreshException(
      TokenKey key, String message, @Nullable OAuth2Error error, @Nullable Throwable cause) {
    super(key, message, cause);
    this.error = error;
  }

  /**
   * Returns the token endpoint's error response, if this failure came from one.
   *
   * @return the error response, or {@code null} if the failure did not come from one
   */
  public @Nullable OAuth2Error error() {
    return error;
  }

  @Override
  public final boolean isRetryable() {
    return false;
  }
}

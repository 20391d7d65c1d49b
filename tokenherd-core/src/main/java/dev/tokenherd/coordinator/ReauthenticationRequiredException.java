package dev.tokenherd.coordinator;

import static java.util.Objects.requireNonNull;

import org.jspecify.annotations.Nullable;

/**
 * The credential can no longer be renewed; a new token set must be {@linkplain
 * TokenCoordinator#seed(TokenSet) seeded} (for example after a new authorization-code login).
 *
 * <p>The state is shared: the worker that learns it marks the credential "re-authentication
 * required" in the store, every worker is told, and every caller fails with this exception at once,
 * without calling the token endpoint again, until a new token set is seeded.
 */
public sealed class ReauthenticationRequiredException extends PermanentRefreshException
    permits LostRotationException {
  private static final long serialVersionUID = 1L;

  /** Why the credential needs re-authentication. */
  private final ReauthenticationReason reason;

  /**
   * Creates the exception.
   *
   * @param key the credential
   * @param reason why re-authentication is required
   * @param error the token endpoint's error, if known
   */
  public ReauthenticationRequiredException(
      TokenKey key, ReauthenticationReason reason, @Nullable OAuth2Error error) {
    this(key, reason, error, null);
  }

  ReauthenticationRequiredException(
      TokenKey key,
      ReauthenticationReason reason,
      @Nullable OAuth2Error error,
      @Nullable Throwable cause) {
    super(key, describe(reason, error), error, cause);
    this.reason = requireNonNull(reason, "reason");
  }

  private static String describe(ReauthenticationReason reason, @Nullable OAuth2Error error) {
    return "re-authentication required ("
        + reason.name().toLowerCase(java.util.Locale.ROOT)
        + (error == null ? "" : ", token endpoint said " + error.error())
        + "); seed a new token set to resume";
  }

  /**
   * Returns why the credential needs re-authentication.
   *
   * @return the reason
   */
  public ReauthenticationReason reason() {
    return reason;
  }
}

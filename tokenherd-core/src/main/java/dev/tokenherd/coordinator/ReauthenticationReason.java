package dev.tokenherd.coordinator;

/**
 * Why a credential needs re-authentication: carried by {@link ReauthenticationRequiredException}
 * and stored with the credential, so every worker reports the same cause.
 */
public enum ReauthenticationReason {
  /** The token endpoint rejected the refresh token ({@code invalid_grant}) and no newer exists. */
  REVOKED,
  /**
   * A rotated refresh token was lost: an earlier refresh may have been answered by the server but
   * never stored (a holder died or timed out after sending), and the server now rejects the old
   * refresh token. See {@link LostRotationException}.
   */
  LOST_ROTATION,
  /**
   * The token endpoint rejected the client itself ({@code invalid_client}, {@code
   * unauthorized_client}, {@code unsupported_grant_type}, {@code invalid_scope}, or another
   * permanent 4xx): the configuration must change.
   */
  CLIENT_REJECTED,
  /** The stored token set has no refresh token and the credential is not client_credentials. */
  NOT_RENEWABLE
}

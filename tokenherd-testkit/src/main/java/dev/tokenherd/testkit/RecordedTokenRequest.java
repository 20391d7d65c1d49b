package dev.tokenherd.testkit;

import static java.util.Objects.requireNonNull;

import dev.tokenherd.testkit.Fault.Kind;
import java.time.Instant;
import org.jspecify.annotations.Nullable;

/**
 * One {@code POST /token} as a {@link FakeAuthorizationServer} saw it. Holds no secret: the
 * presented refresh token appears only as a fingerprint.
 *
 * @param receivedAt when the request arrived, by the server's clock (before any latency or delay)
 * @param grantType the {@code grant_type} parameter, or empty if missing
 * @param refreshTokenFingerprint the fingerprint of the presented refresh token, or {@code none}
 * @param outcome what the server did
 * @param status the HTTP status sent, or 0 if the connection was closed without an answer
 * @param fault the injected fault, or {@code null}
 */
public record RecordedTokenRequest(
    Instant receivedAt,
    String grantType,
    String refreshTokenFingerprint,
    Outcome outcome,
    int status,
    @Nullable Kind fault) {

  /**
   * Validates the components.
   *
   * @param receivedAt when the request arrived, by the server's clock
   * @param grantType the {@code grant_type} parameter, or empty if missing
   * @param refreshTokenFingerprint the fingerprint of the presented refresh token, or {@code none}
   * @param outcome what the server did
   * @param status the HTTP status sent, or 0 if none was sent
   * @param fault the injected fault, or {@code null}
   */
  public RecordedTokenRequest {
    requireNonNull(receivedAt, "receivedAt");
    requireNonNull(grantType, "grantType");
    requireNonNull(refreshTokenFingerprint, "refreshTokenFingerprint");
    requireNonNull(outcome, "outcome");
  }

  /**
   * Returns whether the server processed the request, so that its grant may have changed the
   * server's state.
   *
   * @return {@code false} only if an injected fault answered or dropped the request first
   */
  public boolean processed() {
    return outcome != Outcome.NOT_PROCESSED;
  }

  /** What the server did with a token request. */
  public enum Outcome {
    /** A refresh_token grant succeeded and advanced the credential. */
    REFRESHED,
    /** A rotated-away refresh token was accepted within the grace period. */
    GRACE_REUSE,
    /** A client_credentials grant succeeded. */
    CLIENT_CREDENTIALS_ISSUED,
    /** A rotated-away refresh token was presented: {@code invalid_grant}. */
    REUSE_DETECTED,
    /** An unknown or revoked refresh token: {@code invalid_grant}. */
    INVALID_GRANT,
    /** Missing or wrong client authentication: {@code invalid_client}. */
    INVALID_CLIENT,
    /** A malformed request: {@code invalid_request}. */
    INVALID_REQUEST,
    /** A grant type the server does not issue: {@code unsupported_grant_type}. */
    UNSUPPORTED_GRANT_TYPE,
    /** client_credentials while they are switched off: {@code unauthorized_client}. */
    UNAUTHORIZED_CLIENT,
    /** An injected fault answered (or dropped) the request before it was processed. */
    NOT_PROCESSED
  }
}

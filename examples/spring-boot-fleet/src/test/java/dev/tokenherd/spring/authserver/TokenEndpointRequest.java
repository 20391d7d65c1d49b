package dev.tokenherd.spring.authserver;

import static java.util.Objects.requireNonNull;

import java.time.Instant;
import org.jspecify.annotations.Nullable;

/**
 * One request to a {@link SpringAuthorizationServer}'s token endpoint, as the server answered it.
 * Holds no secret: refresh tokens appear only as fingerprints ({@code sha256:} and 12 hex digits).
 *
 * @param sequence the request's position in arrival order, from 1, unique per server
 * @param receivedAt when the request reached the server
 * @param grantType the {@code grant_type} parameter, or empty if missing
 * @param clientId the client that authenticated (or tried to), from the {@code Basic} header or the
 *     {@code client_id} parameter; empty if neither
 * @param status the HTTP status the server sent
 * @param error the OAuth {@code error} code of the response (such as {@code invalid_grant}), or
 *     {@code null} for a success
 * @param presentedRefreshToken the fingerprint of the {@code refresh_token} parameter of a
 *     refresh_token grant, or {@code none}
 * @param issuedRefreshToken the fingerprint of the refresh token in a successful response, or
 *     {@code none}
 * @param refreshTokenReused whether this refresh_token grant presented a refresh token that the
 *     server had rotated away for another request, or that another request rotated concurrently
 *     (see {@link SpringAuthorizationServer#reusedRefreshTokens()})
 */
public record TokenEndpointRequest(
    long sequence,
    Instant receivedAt,
    String grantType,
    String clientId,
    int status,
    @Nullable String error,
    String presentedRefreshToken,
    String issuedRefreshToken,
    boolean refreshTokenReused) {

  /**
   * Validates the components.
   *
   * @param sequence the request's position in arrival order
   * @param receivedAt when the request reached the server
   * @param grantType the {@code grant_type} parameter, or empty
   * @param clientId the client, or empty
   * @param status the HTTP status sent
   * @param error the OAuth error code, or {@code null}
   * @param presentedRefreshToken the presented refresh token's fingerprint, or {@code none}
   * @param issuedRefreshToken the issued refresh token's fingerprint, or {@code none}
   * @param refreshTokenReused whether a rotated-away refresh token was presented
   */
  public TokenEndpointRequest {
    requireNonNull(receivedAt, "receivedAt");
    requireNonNull(grantType, "grantType");
    requireNonNull(clientId, "clientId");
    requireNonNull(presentedRefreshToken, "presentedRefreshToken");
    requireNonNull(issuedRefreshToken, "issuedRefreshToken");
  }

  /**
   * Returns whether the server issued tokens.
   *
   * @return whether the status was 200
   */
  public boolean succeeded() {
    return status == 200;
  }

  /**
   * Returns whether the server answered {@code invalid_grant}.
   *
   * @return whether the error code was {@code invalid_grant}
   */
  public boolean invalidGrant() {
    return "invalid_grant".equals(error);
  }
}

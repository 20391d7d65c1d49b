package dev.tokenherd.coordinator.spi;

import static java.util.Objects.requireNonNull;

import dev.tokenherd.coordinator.Redaction;
import java.time.Instant;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * A successful token endpoint response (RFC 6749 sec. 5.1), with lifetimes already turned into
 * instants. Omitted fields stay {@code null} so that the coordinator can keep the previous refresh
 * token and scope (sec. 6: the server "MAY issue a new refresh token"; sec. 3.3: an omitted scope
 * means the requested one). {@link #toString()} reveals no secret.
 *
 * @param accessToken the new access token
 * @param tokenType the token type
 * @param refreshToken the new refresh token, or {@code null} if the response omitted it
 * @param scopes the granted scopes, or {@code null} if the response omitted them
 * @param issuedAt when the response was received
 * @param expiresAt when the access token expires
 */
public record TokenResponse(
    String accessToken,
    String tokenType,
    @Nullable String refreshToken,
    @Nullable Set<String> scopes,
    Instant issuedAt,
    Instant expiresAt) {

  /**
   * Validates the components.
   *
   * @param accessToken the new access token
   * @param tokenType the token type
   * @param refreshToken the new refresh token, or {@code null} if the response omitted it
   * @param scopes the granted scopes, or {@code null} if the response omitted them; copied
   * @param issuedAt when the response was received
   * @param expiresAt when the access token expires; not before {@code issuedAt}
   * @throws IllegalArgumentException if {@code expiresAt} is before {@code issuedAt}
   */
  public TokenResponse {
    requireNonNull(accessToken, "accessToken");
    requireNonNull(tokenType, "tokenType");
    requireNonNull(issuedAt, "issuedAt");
    requireNonNull(expiresAt, "expiresAt");
    scopes = scopes == null ? null : Set.copyOf(scopes);
    if (expiresAt.isBefore(issuedAt)) {
      // Equal is allowed: a token the server issued already expired (expires_in 0), whose
      // rotated refresh token must still be kept.
      throw new IllegalArgumentException(
          "expiresAt " + expiresAt + " is before issuedAt " + issuedAt);
    }
  }

  @Override
  public String toString() {
    return "TokenResponse[accessToken="
        + Redaction.fingerprint(accessToken)
        + ", refreshToken="
        + (refreshToken == null ? "omitted" : Redaction.fingerprint(refreshToken))
        + ", tokenType="
        + tokenType
        + ", scopes="
        + (scopes == null ? "omitted" : scopes)
        + ", expiresAt="
        + expiresAt
        + "]";
  }
}

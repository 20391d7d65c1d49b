package dev.tokenherd.spring.authserver;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import org.jspecify.annotations.Nullable;

/**
 * A successful token response of a {@link SpringAuthorizationServer} (RFC 6749 section 5.1). {@link
 * #toString()} shows the tokens only as fingerprints.
 *
 * @param accessToken the access token: a JWT signed by the server's RSA key
 * @param tokenType the token type, {@code Bearer}
 * @param expiresIn the {@code expires_in} the server sent
 * @param refreshToken the refresh token, or {@code null} (client_credentials)
 * @param scope the granted scope, space-separated; empty if the response named none
 */
public record GrantedTokens(
    String accessToken,
    String tokenType,
    Duration expiresIn,
    @Nullable String refreshToken,
    String scope) {
  private static final ObjectMapper JSON = new ObjectMapper();

  /**
   * Validates the components.
   *
   * @param accessToken the access token
   * @param tokenType the token type
   * @param expiresIn the {@code expires_in} the server sent
   * @param refreshToken the refresh token, or {@code null}
   * @param scope the granted scope, space-separated
   */
  public GrantedTokens {
    requireNonNull(accessToken, "accessToken");
    requireNonNull(tokenType, "tokenType");
    requireNonNull(expiresIn, "expiresIn");
    requireNonNull(scope, "scope");
  }

  /**
   * Returns the access token's {@code exp} claim: the instant from which a resource server with
   * zero clock skew refuses it. The server writes whole seconds, so this may lie up to a second
   * before {@code issue time + expires_in}.
   *
   * @return the expiry the access token itself carries
   * @throws IllegalStateException if the access token is not a JWT with an {@code exp} claim
   */
  public Instant accessTokenExpiry() {
    String[] parts = accessToken.split("\\.", -1);
    if (parts.length != 3) {
      throw new IllegalStateException("the access token is not a JWS compact serialization");
    }
    try {
      JsonNode exp = JSON.readTree(Base64.getUrlDecoder().decode(parts[1])).get("exp");
      if (exp == null || !exp.canConvertToLong()) {
        throw new IllegalStateException("the access token has no numeric exp claim");
      }
      return Instant.ofEpochSecond(exp.asLong());
    } catch (IOException e) {
      throw new UncheckedIOException("unreadable JWT claims", e);
    }
  }

  @Override
  public String toString() {
    return "GrantedTokens[accessToken="
        + Fingerprints.of(accessToken)
        + ", refreshToken="
        + Fingerprints.of(refreshToken)
        + ", tokenType="
        + tokenType
        + ", expiresIn="
        + expiresIn
        + ", scope="
        + scope
        + "]";
  }
}

package dev.tokenherd.testkit;

import static java.util.Objects.requireNonNull;

import java.time.Instant;
import org.jspecify.annotations.Nullable;

/**
 * Tokens issued by a {@link FakeAuthorizationServer}. {@link #toString()} shows the tokens only as
 * fingerprints.
 *
 * @param accessToken the access token
 * @param refreshToken the refresh token, or {@code null} for a client_credentials grant
 * @param expiresAt when the access token expires, by the server's clock
 * @param scope the granted scope, space-separated; empty for none
 */
public record TokenGrant(
    String accessToken, @Nullable String refreshToken, Instant expiresAt, String scope) {

  /**
   * Validates the components.
   *
   * @param accessToken the access token
   * @param refreshToken the refresh token, or {@code null}
   * @param expiresAt when the access token expires, by the server's clock
   * @param scope the granted scope, space-separated; empty for none
   */
  public TokenGrant {
    requireNonNull(accessToken, "accessToken");
    requireNonNull(expiresAt, "expiresAt");
    requireNonNull(scope, "scope");
  }

  @Override
  public String toString() {
    return "TokenGrant[accessToken="
        + Fingerprint.of(accessToken)
        + ", refreshToken="
        + Fingerprint.of(refreshToken)
        + ", expiresAt="
        + expiresAt
        + ", scope="
        + scope
        + "]";
  }
}

package dev.tokenherd.testkit;

import static java.util.Objects.requireNonNull;

import java.time.Instant;
import java.util.Arrays;
import java.util.Set;
import java.util.stream.Collectors;
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

  /**
   * Returns the granted scopes, one per element.
   *
   * @return the scope tokens of {@link #scope()}; empty for none
   */
  public Set<String> scopes() {
    return Arrays.stream(scope.split(" "))
        .filter(s -> !s.isEmpty())
        .collect(Collectors.toUnmodifiableSet());
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

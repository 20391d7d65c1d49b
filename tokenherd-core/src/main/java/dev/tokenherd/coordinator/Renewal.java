package dev.tokenherd.coordinator;

import static java.util.Objects.requireNonNull;

import java.util.Set;

/**
 * How a credential is renewed.
 *
 * @param grantType {@link GrantType#REFRESH_TOKEN}: the credential is seeded with a token set (for
 *     example after an authorization-code login) and renewed with its refresh token; {@link
 *     GrantType#CLIENT_CREDENTIALS}: the client fetches tokens as itself, including the first one
 * @param scopes the scopes to request; empty for the server's default or the originally granted
 *     ones
 */
public record Renewal(GrantType grantType, Set<String> scopes) {

  /**
   * Validates and copies the components.
   *
   * @param grantType how the credential is renewed
   * @param scopes the scopes to request; copied, empty for the default or originally granted ones
   */
  public Renewal {
    requireNonNull(grantType, "grantType");
    scopes = Set.copyOf(scopes);
  }

  /**
   * Returns the refresh_token renewal, requesting the originally granted scopes. This is what
   * {@link dev.tokenherd.TokenHerd#coordinator(TokenKey,
   * dev.tokenherd.coordinator.spi.TokenEndpoint)} uses.
   *
   * @return the renewal, with no scopes
   */
  public static Renewal refreshToken() {
    return new Renewal(GrantType.REFRESH_TOKEN, Set.of());
  }

  /**
   * Returns the client_credentials renewal for the given scopes.
   *
   * @param scopes the scopes to request; none for the server's default
   * @return the renewal
   * @throws IllegalArgumentException if a scope is given twice
   */
  public static Renewal clientCredentials(String... scopes) {
    return new Renewal(GrantType.CLIENT_CREDENTIALS, Set.of(scopes));
  }
}

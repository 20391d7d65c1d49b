package dev.tokenherd.coordinator.spi;

import static java.util.Objects.requireNonNull;

import dev.tokenherd.coordinator.GrantType;
import dev.tokenherd.coordinator.Redaction;
import java.time.Duration;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * A request to a token endpoint. {@link #toString()} never reveals the refresh token.
 *
 * @param grantType the grant
 * @param refreshToken the refresh token; required for {@link GrantType#REFRESH_TOKEN}, absent for
 *     {@link GrantType#CLIENT_CREDENTIALS}
 * @param scopes the scopes to request; empty to request the default (or, on refresh, the originally
 *     granted) scopes
 * @param timeout how long the whole exchange may take; the endpoint fails with an ambiguous or
 *     transient error after it
 */
public record TokenRequest(
    GrantType grantType, @Nullable String refreshToken, Set<String> scopes, Duration timeout) {

  /**
   * Validates the components.
   *
   * @param grantType the grant
   * @param refreshToken the refresh token for {@link GrantType#REFRESH_TOKEN}, {@code null} for
   *     {@link GrantType#CLIENT_CREDENTIALS}
   * @param scopes the scopes to request; copied
   * @param timeout how long the whole exchange may take; positive
   * @throws IllegalArgumentException if the refresh token does not fit the grant or the timeout is
   *     not positive
   */
  public TokenRequest {
    requireNonNull(grantType, "grantType");
    requireNonNull(timeout, "timeout");
    scopes = Set.copyOf(scopes);
    if ((grantType == GrantType.REFRESH_TOKEN) != (refreshToken != null)) {
      throw new IllegalArgumentException(
          "a refresh token is required for, and only for, the refresh_token grant");
    }
    if (timeout.isNegative() || timeout.isZero()) {
      throw new IllegalArgumentException("timeout must be positive: " + timeout);
    }
  }

  /**
   * Returns a refresh_token grant request.
   *
   * @param refreshToken the refresh token to present
   * @param scopes the scopes to request; empty for the originally granted ones
   * @param timeout how long the whole exchange may take; positive
   * @return the request
   * @throws IllegalArgumentException if the timeout is not positive
   */
  public static TokenRequest refresh(String refreshToken, Set<String> scopes, Duration timeout) {
    return new TokenRequest(GrantType.REFRESH_TOKEN, refreshToken, scopes, timeout);
  }

  /**
   * Returns a client_credentials grant request.
   *
   * @param scopes the scopes to request; empty for the server's default
   * @param timeout how long the whole exchange may take; positive
   * @return the request
   * @throws IllegalArgumentException if the timeout is not positive
   */
  public static TokenRequest clientCredentials(Set<String> scopes, Duration timeout) {
    return new TokenRequest(GrantType.CLIENT_CREDENTIALS, null, scopes, timeout);
  }

  @Override
  public String toString() {
    return "TokenRequest[grantType="
        + grantType.wireName()
        + ", refreshToken="
        + Redaction.fingerprint(refreshToken)
        + ", scopes="
        + scopes
        + ", timeout="
        + timeout
        + "]";
  }
}

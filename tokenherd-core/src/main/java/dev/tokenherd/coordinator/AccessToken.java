package dev.tokenherd.coordinator;

import static java.util.Objects.requireNonNull;

import java.time.Instant;
import java.util.Set;

/**
 * An access token served by a {@link TokenCoordinator}. {@link #toString()} never reveals it.
 *
 * @param value the access token
 * @param tokenType the token type, usually {@code Bearer}
 * @param expiresAt when the token expires, on the fleet's clock (see {@link
 *     dev.tokenherd.TokenHerd#clockOffset()}; this worker's own clock when the herd has no fleet
 *     time)
 * @param scopes the granted scopes; empty when unknown
 * @param version the version of the stored record this token came from; versions only grow
 */
public record AccessToken(
    String value, String tokenType, Instant expiresAt, Set<String> scopes, long version) {

  /**
   * Validates and copies the components.
   *
   * @param value the access token
   * @param tokenType the token type, usually {@code Bearer}
   * @param expiresAt when the token expires
   * @param scopes the granted scopes; copied
   * @param version the version of the stored record this token came from
   */
  public AccessToken {
    requireNonNull(value, "value");
    requireNonNull(tokenType, "tokenType");
    requireNonNull(expiresAt, "expiresAt");
    scopes = Set.copyOf(scopes);
  }

  /**
   * Returns the value of an HTTP {@code Authorization} header, for example {@code Bearer abc}.
   *
   * <p>The scheme is written as {@code Bearer} whatever case the server used (RFC 6750 sec. 2.1).
   *
   * @return the scheme (the token type) and the token, separated by one space; it holds the token,
   *     so it must not be logged
   */
  public String authorizationHeader() {
    String scheme = tokenType.equalsIgnoreCase("bearer") ? "Bearer" : tokenType;
    return scheme + " " + value;
  }

  @Override
  public String toString() {
    return "AccessToken[value="
        + Redaction.fingerprint(value)
        + ", tokenType="
        + tokenType
        + ", expiresAt="
        + expiresAt
        + ", scopes="
        + scopes
        + ", version="
        + version
        + "]";
  }
}

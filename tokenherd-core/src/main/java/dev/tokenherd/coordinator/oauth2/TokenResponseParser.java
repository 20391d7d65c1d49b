package dev.tokenherd.coordinator.oauth2;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tokenherd.coordinator.spi.TokenResponse;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Parses a successful token response (RFC 6749 sec. 5.1) into a {@link TokenResponse}.
 *
 * <table>
 *   <caption>Members</caption>
 *   <tr><th>member</th><th>accepted</th><th>result</th></tr>
 *   <tr><td>{@code access_token}</td><td>required non-empty string of VSCHARs (App. A.12)</td>
 *       <td>the access token</td></tr>
 *   <tr><td>{@code token_type}</td><td>required non-empty string</td>
 *       <td>{@code Bearer} for any case of "bearer" (sec. 5.1: case-insensitive), else as sent</td>
 *       </tr>
 *   <tr><td>{@code expires_in}</td><td>optional JSON number or numeric string; fractions are
 *       floored to the millisecond</td><td>missing: the default lifetime; above the maximum
 *       lifetime: clamped (logged at WARN once per endpoint); zero, negative or below a
 *       millisecond: a token already expired (logged at WARN once per endpoint), whose refresh
 *       token is kept like any other: the server has rotated, and the response is the only place
 *       the new refresh token exists</td></tr>
 *   <tr><td>the access token's JWT claims</td><td>when the access token is a signed JWT (three
 *       base64url parts, the second a JSON object) with a numeric {@code exp}</td><td>an upper
 *       bound on the lifetime: {@code exp - iat} when {@code iat} is there, else {@code exp} minus
 *       the time the request was sent (ignored if not positive: the clocks disagree); it replaces
 *       a missing {@code expires_in} and shortens a longer one (logged at WARN once per
 *       endpoint). The signature is not checked: a hint that can only shorten a lifetime needs no
 *       trust. Anything else in the token is never read.</td></tr>
 *   <tr><td>{@code refresh_token}</td><td>optional string of VSCHARs (App. A.17)</td>
 *       <td>empty or missing: {@code null}, so the caller keeps its refresh token</td></tr>
 *   <tr><td>{@code scope}</td><td>optional space-delimited string</td>
 *       <td>blank or missing: {@code null}, so the caller keeps the scope it had</td></tr>
 * </table>
 *
 * <p>Anything else (not one JSON object, a member of the wrong type, trailing content, duplicate
 * members) fails with {@link InvalidTokenResponseException}. Unknown members are ignored. Messages
 * name the member and the rule it broke, never a value.
 */
final class TokenResponseParser {
  private static final Logger LOG = LoggerFactory.getLogger(TokenResponseParser.class);
  private static final Pattern SPACES = Pattern.compile(" +");
  private static final String BEARER = "Bearer";
  private static final int MAX_NUMBER_LENGTH = 100;
  private static final BigDecimal MILLISECOND = new BigDecimal("0.001");

  private final URI tokenUri;
  private final Duration defaultLifetime;
  private final Duration maxLifetime;
  private final BigDecimal maxLifetimeSeconds;
  private final AtomicBoolean clampLogged = new AtomicBoolean();
  private final AtomicBoolean expiredLogged = new AtomicBoolean();
  private final AtomicBoolean jwtShorterLogged = new AtomicBoolean();

  /**
   * Creates a parser for one endpoint.
   *
   * @param tokenUri the endpoint, named in the clamp warning
   * @param defaultLifetime the lifetime assumed when {@code expires_in} is missing
   * @param maxLifetime the largest lifetime accepted; larger ones are clamped to it
   */
  TokenResponseParser(URI tokenUri, Duration defaultLifetime, Duration maxLifetime) {
    this.tokenUri = requireNonNull(tokenUri, "tokenUri");
    this.defaultLifetime = requireNonNull(defaultLifetime, "defaultLifetime");
    this.maxLifetime = requireNonNull(maxLifetime, "maxLifetime");
    this.maxLifetimeSeconds = BigDecimal.valueOf(maxLifetime.toSeconds());
  }

  /**
   * Parses a response body.
   *
   * @param body the body of a 2xx response
   * @param receivedAt when the response was received: the issue time, and the base of the expiry
   * @return the response
   * @throws InvalidTokenResponseException if the body is not a valid token response
   */
  TokenResponse parse(byte[] body, Instant receivedAt) {
    ObjectNode json = Json.parseObject(body);
    if (json == null) {
      throw new InvalidTokenResponseException("the body is not a JSON object");
    }
    try {
      String accessToken = Json.optionalString(json, "access_token");
      if (accessToken == null || accessToken.isEmpty()) {
        throw new InvalidTokenResponseException("access_token is missing or empty");
      }
      requireVsChars("access_token", accessToken);
      String tokenType = Json.optionalString(json, "token_type");
      if (tokenType == null || tokenType.isBlank()) {
        throw new InvalidTokenResponseException("token_type is missing or empty");
      }
      String refreshToken = Json.optionalString(json, "refresh_token");
      if (refreshToken != null && refreshToken.isEmpty()) {
        refreshToken = null; // some servers send "" for "no new refresh token"
      }
      if (refreshToken != null) {
        requireVsChars("refresh_token", refreshToken);
      }
      Duration lifetime = boundedByJwt(lifetime(json.get("expires_in")), accessToken, receivedAt);
      return new TokenResponse(
          accessToken,
          normalizeTokenType(tokenType),
          refreshToken,
          scopes(Json.optionalString(json, "scope")),
          receivedAt,
          receivedAt.plus(lifetime));
    } catch (Json.WrongTypeException e) {
      throw new InvalidTokenResponseException(e.problem());
    }
  }

  /**
   * Returns the lifetime that {@code expiresIn} (null: missing) and the access token's own claims
   * together allow: the shorter of the two, or whichever is known, or the default.
   */
  private Duration boundedByJwt(@Nullable Duration expiresIn, String accessToken, Instant sentAt) {
    Duration claimed = JwtClaims.lifetime(accessToken, sentAt);
    if (claimed == null || claimed.isNegative()) {
      return expiresIn == null ? defaultLifetime : expiresIn;
    }
    if (claimed.compareTo(maxLifetime) > 0) {
      claimed = maxLifetime;
    }
    if (expiresIn == null) {
      return claimed;
    }
    if (claimed.compareTo(expiresIn) < 0) {
      if (jwtShorterLogged.compareAndSet(false, true)) {
        LOG.warn(
            "Token endpoint {} returned expires_in={} but an access token whose exp claim gives"
                + " {}: using the shorter (logged once per endpoint)",
            tokenUri,
            expiresIn,
            claimed);
      }
      return claimed;
    }
    return expiresIn;
  }

  private @Nullable Duration lifetime(@Nullable JsonNode node) {
    if (node == null || node.isNull()) {
      return null;
    }
    BigDecimal seconds;
    if (node.isNumber()) {
      seconds = node.decimalValue();
    } else if (node.isTextual()) {
      String text = node.textValue().strip();
      if (text.length() > MAX_NUMBER_LENGTH) {
        // Parsing a long digit string is superlinear; no real lifetime needs this many characters.
        throw new InvalidTokenResponseException("expires_in is a string that is not a number");
      }
      try {
        seconds = new BigDecimal(text);
      } catch (NumberFormatException e) {
        throw new InvalidTokenResponseException("expires_in is a string that is not a number");
      }
    } else {
      throw new InvalidTokenResponseException("expires_in is not a number");
    }
    // Compare before flooring: setScale on a value like 1e-999999999 would be very expensive.
    if (seconds.compareTo(MILLISECOND) < 0) {
      if (expiredLogged.compareAndSet(false, true)) {
        LOG.warn(
            "Token endpoint {} returned expires_in={}s: the access token counts as already expired"
                + " (callers are not served it; the next call refreshes), and the rotated refresh"
                + " token in the response is kept (logged once per endpoint)",
            tokenUri,
            seconds); // BigDecimal's own string: short even for -1e999999999
      }
      return Duration.ZERO;
    }
    if (seconds.compareTo(maxLifetimeSeconds) > 0) {
      if (clampLogged.compareAndSet(false, true)) {
        LOG.warn(
            "Token endpoint {} returned expires_in={}s, more than the maximum lifetime {};"
                + " clamping to the maximum (logged once per endpoint)",
            tokenUri,
            // BigDecimal's own string, never toBigInteger(): 1e999999999 has a billion digits.
            seconds,
            maxLifetime);
      }
      return maxLifetime;
    }
    return Duration.ofMillis(
        seconds.movePointRight(3).setScale(0, RoundingMode.FLOOR).longValueExact());
  }

  private static @Nullable Set<String> scopes(@Nullable String scope) {
    if (scope == null || scope.isBlank()) {
      return null; // RFC 6749 sec. 5.1: omitted means "identical to the scope requested"
    }
    return SPACES
        .splitAsStream(scope.strip())
        .collect(Collectors.toSet()); // not toUnmodifiableSet: it throws on "a a"
  }

  private static String normalizeTokenType(String tokenType) {
    // RFC 6749 sec. 5.1: "The value is case insensitive"; RFC 6750 spells it "Bearer".
    return tokenType.toLowerCase(Locale.ROOT).equals("bearer") ? BEARER : tokenType;
  }

  /**
   * Rejects a token with characters outside %x20-7E (RFC 6749 App. A.12, A.17): a control character
   * in a token would end up inside an {@code Authorization} header.
   */
  private static void requireVsChars(String member, String token) {
    for (int i = 0; i < token.length(); i++) {
      char c = token.charAt(i);
      if (c < 0x20 || c > 0x7E) {
        throw new InvalidTokenResponseException(member + " contains a character outside %x20-7E");
      }
    }
  }

  /** The body is not a valid token response. The message never contains a value from the body. */
  static final class InvalidTokenResponseException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    InvalidTokenResponseException(String message) {
      super(message, null, /* enableSuppression= */ false, /* writableStackTrace= */ false);
    }
  }
}

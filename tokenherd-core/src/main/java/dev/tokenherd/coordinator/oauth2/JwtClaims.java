package dev.tokenherd.coordinator.oauth2;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import org.jspecify.annotations.Nullable;

/**
 * The lifetime an access token states about itself, when it is a signed JWT (RFC 7519): its {@code
 * exp} and {@code iat} claims, read without checking the signature, because the result is only ever
 * used to shorten the lifetime {@code expires_in} gave. Never reads or returns anything else from
 * the token.
 */
final class JwtClaims {
  /** The longest payload read: access tokens are small, and a lifetime is only a hint. */
  private static final int MAX_PAYLOAD_CHARS = 16 * 1024;

  private static final BigDecimal THOUSAND = BigDecimal.valueOf(1000);

  private JwtClaims() {}

  /**
   * Returns the lifetime the token's claims give: {@code exp - iat}, or without {@code iat}, {@code
   * exp - sentAt}; {@code null} if the token is not a JWS with a numeric {@code exp}. A negative
   * result means the claims contradict themselves or this worker's clock; callers ignore it.
   *
   * @param accessToken the access token
   * @param sentAt when the request was sent, on the clock the endpoint stamped the response with
   * @return the lifetime, or {@code null} if the token states none
   */
  static @Nullable Duration lifetime(String accessToken, Instant sentAt) {
    int first = accessToken.indexOf('.');
    int second = first < 0 ? -1 : accessToken.indexOf('.', first + 1);
    if (second < 0 || accessToken.indexOf('.', second + 1) >= 0) {
      return null; // not three parts: opaque, or an encrypted JWT (five parts) we cannot read
    }
    String payload = accessToken.substring(first + 1, second);
    if (payload.isEmpty() || payload.length() > MAX_PAYLOAD_CHARS) {
      return null;
    }
    ObjectNode claims;
    try {
      claims = Json.parseObject(Base64.getUrlDecoder().decode(payload));
    } catch (IllegalArgumentException e) {
      return null;
    }
    if (claims == null) {
      return null;
    }
    BigDecimal exp = numericDate(claims.get("exp"));
    if (exp == null) {
      return null;
    }
    BigDecimal iat = numericDate(claims.get("iat"));
    BigDecimal start =
        iat != null
            ? iat
            : BigDecimal.valueOf(sentAt.getEpochSecond())
                .add(BigDecimal.valueOf(sentAt.getNano(), 9));
    long millis =
        exp.subtract(start).multiply(THOUSAND).setScale(0, RoundingMode.FLOOR).longValue();
    return Duration.ofMillis(millis);
  }

  /** A NumericDate (RFC 7519 sec. 2) of a sane size, or {@code null}. */
  private static @Nullable BigDecimal numericDate(@Nullable JsonNode node) {
    if (node == null || !node.isNumber()) {
      return null;
    }
    BigDecimal value = node.decimalValue();
    // Seconds since 1970 below the year 10000: anything else is not a date (and 1e999999999
    // would be expensive to subtract).
    if (value.signum() < 0 || value.compareTo(BigDecimal.valueOf(253_402_300_800L)) > 0) {
      return null;
    }
    return value;
  }
}

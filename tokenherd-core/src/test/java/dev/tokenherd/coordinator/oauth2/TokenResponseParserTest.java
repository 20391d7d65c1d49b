package dev.tokenherd.coordinator.oauth2;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tokenherd.coordinator.oauth2.TokenResponseParser.InvalidTokenResponseException;
import dev.tokenherd.coordinator.spi.TokenResponse;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

final class TokenResponseParserTest {
  private static final Instant NOW = Instant.parse("2030-01-01T00:00:00Z");
  private static final Duration DEFAULT_LIFETIME = Duration.ofMinutes(5);
  private static final Duration MAX_LIFETIME = Duration.ofHours(24);

  private final TokenResponseParser parser =
      new TokenResponseParser(
          URI.create("https://idp.example/token"), DEFAULT_LIFETIME, MAX_LIFETIME);

  private TokenResponse parse(String json) {
    return parser.parse(json.getBytes(StandardCharsets.UTF_8), NOW);
  }

  private static String withExpiresIn(String expiresIn) {
    return "{\"access_token\":\"at\",\"token_type\":\"Bearer\",\"expires_in\":" + expiresIn + "}";
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "3600          | 3600000",
        "'\"3600\"'    | 3600000",
        "'\" 60 \"'    | 60000",
        "3599.9        | 3599900",
        "'\"3599.9\"'  | 3599900",
        "1             | 1000",
        "1.5           | 1500",
        "0.5           | 500",
        "0.0019        | 1",
        "1e3           | 1000000",
        "86400         | 86400000"
      })
  void parse_expiresIn_flooredToTheMillisecond(String expiresIn, long millis) {
    TokenResponse response = parse(withExpiresIn(expiresIn));

    assertThat(response.issuedAt()).isEqualTo(NOW);
    assertThat(response.expiresAt()).isEqualTo(NOW.plusMillis(millis));
  }

  @ParameterizedTest
  @ValueSource(strings = {"0", "-1", "\"-3600\"", "0.0", "0.0009", "1e-999999999", "-1e999999999"})
  void parse_expiresInZeroNegativeOrBelowAMillisecond_isATokenAlreadyExpired_notAnError(
      String expiresIn) {
    TokenResponse response =
        parse(
            "{\"access_token\":\"at\",\"token_type\":\"Bearer\",\"refresh_token\":\"rt-2\","
                + "\"expires_in\":"
                + expiresIn
                + "}");

    assertThat(response.expiresAt()).isEqualTo(NOW);
    assertThat(response.refreshToken()).isEqualTo("rt-2");
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "86401",
        "3600000000",
        "1e400",
        // An 11-byte value that must not be expanded to its billion digits anywhere.
        "1e999999999",
        "\"1e999999999\"",
        "99999999999999999999999999",
        "\"1e12\""
      })
  void parse_expiresInAboveMax_clampsToMaxLifetime(String expiresIn) {
    TokenResponse response = parse(withExpiresIn(expiresIn));

    assertThat(response.expiresAt()).isEqualTo(NOW.plus(MAX_LIFETIME));
  }

  @ParameterizedTest
  @ValueSource(strings = "null")
  void parse_expiresInNullOrMissing_usesDefaultLifetime(String expiresIn) {
    assertThat(parse(withExpiresIn(expiresIn)).expiresAt()).isEqualTo(NOW.plus(DEFAULT_LIFETIME));
    assertThat(parse("{\"access_token\":\"at\",\"token_type\":\"Bearer\"}").expiresAt())
        .isEqualTo(NOW.plus(DEFAULT_LIFETIME));
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "'\"soon\"'     | expires_in is a string that is not a number",
        "'\"\"'         | expires_in is a string that is not a number",
        "true           | expires_in is not a number",
        "{}             | expires_in is not a number",
        "[3600]         | expires_in is not a number"
      })
  void parse_badExpiresIn_isInvalid(String expiresIn, String message) {
    assertThatThrownBy(() -> parse(withExpiresIn(expiresIn)))
        .isInstanceOf(InvalidTokenResponseException.class)
        .hasMessage(message);
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "bearer | Bearer",
        "BEARER | Bearer",
        "Bearer | Bearer",
        "DPoP   | DPoP",
        "mac    | mac"
      })
  void parse_tokenType_normalizesBearerCaseInsensitively(String tokenType, String expected) {
    TokenResponse response =
        parse("{\"access_token\":\"at\",\"token_type\":\"" + tokenType + "\"}");

    assertThat(response.tokenType()).isEqualTo(expected);
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "'{\"token_type\":\"Bearer\"}'                              | access_token is missing or empty",
        "'{\"access_token\":null,\"token_type\":\"Bearer\"}'        | access_token is missing or empty",
        "'{\"access_token\":\"\",\"token_type\":\"Bearer\"}'        | access_token is missing or empty",
        "'{\"access_token\":1,\"token_type\":\"Bearer\"}'           | access_token is not a string",
        "'{\"access_token\":\"a\\nb\",\"token_type\":\"Bearer\"}'   | access_token contains a character outside %x20-7E",
        "'{\"access_token\":\"at\"}'                                | token_type is missing or empty",
        "'{\"access_token\":\"at\",\"token_type\":\"  \"}'          | token_type is missing or empty",
        "'{\"access_token\":\"at\",\"token_type\":[]}'              | token_type is not a string",
        "'{\"access_token\":\"at\",\"token_type\":\"Bearer\",\"refresh_token\":\"r\\u00e9\"}' | refresh_token contains a character outside %x20-7E",
        "'{\"access_token\":\"at\",\"token_type\":\"Bearer\",\"refresh_token\":{}}' | refresh_token is not a string",
        "'{\"access_token\":\"at\",\"token_type\":\"Bearer\",\"scope\":1}' | scope is not a string",
        "'[]'                                                        | the body is not a JSON object",
        "'{} {}'                                                     | the body is not a JSON object",
        "'{\"a\":1,\"a\":2}'                                         | the body is not a JSON object"
      })
  void parse_invalidBody_failsWithMessageNamingTheRule(String json, String message) {
    assertThatThrownBy(() -> parse(json))
        .isInstanceOf(InvalidTokenResponseException.class)
        .hasMessage(message);
  }

  @Test
  void parse_expiresInAsVeryLongNumericString_isInvalid() {
    assertThatThrownBy(() -> parse(withExpiresIn("\"" + "9".repeat(101) + "\"")))
        .isInstanceOf(InvalidTokenResponseException.class)
        .hasMessage("expires_in is a string that is not a number");
  }

  @Test
  void parse_scope_splitsOnSpacesAndKeepsDistinctTokens() {
    TokenResponse response =
        parse(
            "{\"access_token\":\"at\",\"token_type\":\"Bearer\",\"scope\":\" read  write read \"}");

    assertThat(response.scopes()).containsExactlyInAnyOrder("read", "write");
  }

  @Test
  void parse_nullRefreshTokenAndScope_areOmitted() {
    TokenResponse response =
        parse(
            "{\"access_token\":\"at\",\"token_type\":\"Bearer\",\"refresh_token\":null,"
                + "\"scope\":null,\"id_token\":\"ignored\",\"extra\":{\"nested\":[1,2]}}");

    assertThat(response.refreshToken()).isNull();
    assertThat(response.scopes()).isNull();
  }

  @Test
  void parse_utf16Body_isDetected() {
    TokenResponse response =
        parser.parse(
            "{\"access_token\":\"at\",\"token_type\":\"Bearer\"}"
                .getBytes(StandardCharsets.UTF_16BE),
            NOW);

    assertThat(response.accessToken()).isEqualTo("at");
  }

  /** A JWS-shaped access token whose payload is {@code claims} (the signature is never read). */
  private static String jwt(String claims) {
    Base64.Encoder encoder = Base64.getUrlEncoder().withoutPadding();
    return encoder.encodeToString("{\"alg\":\"RS256\",\"typ\":\"at+jwt\"}".getBytes(UTF_8))
        + "."
        + encoder.encodeToString(claims.getBytes(UTF_8))
        + ".c2lnbmF0dXJl";
  }

  private TokenResponse parseJwt(String claims, @Nullable String expiresIn) {
    return parse(
        "{\"access_token\":\""
            + jwt(claims)
            + "\",\"token_type\":\"Bearer\""
            + (expiresIn == null ? "" : ",\"expires_in\":" + expiresIn)
            + "}");
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      nullValues = "none",
      value = {
        // exp - iat shortens a longer expires_in, replaces a missing one, never lengthens one
        "'{\"iat\":1000,\"exp\":1004}'     | 3600 | 4000",
        "'{\"iat\":1000,\"exp\":1004}'     | none | 4000",
        "'{\"iat\":1000,\"exp\":1004}'     | 2    | 2000",
        "'{\"iat\":1000.5,\"exp\":1004}'   | 3600 | 3500",
        // exp alone counts from when the request was sent (NOW is 1893456000)
        "'{\"exp\":1893456030}'             | 3600 | 30000",
        // exp alone in the past (clocks disagree), exp before iat, or no usable exp: ignored
        "'{\"exp\":1893455000}'             | 3600 | 3600000",
        "'{\"iat\":1004,\"exp\":1000}'     | 60   | 60000",
        "'{\"iat\":1000,\"exp\":\"1004\"}' | 60   | 60000",
        "'{\"iat\":1000,\"exp\":1e999}'    | 60   | 60000",
        "'{\"iat\":1000}'                   | none | 300000",
        "'[1,2]'                            | 60   | 60000"
      })
  void parse_jwtAccessToken_expBoundsTheLifetime(
      String claims, @Nullable String expiresIn, long millis) {
    TokenResponse response = parseJwt(claims, expiresIn);

    assertThat(response.expiresAt()).isEqualTo(NOW.plusMillis(millis));
  }

  @ParameterizedTest
  @ValueSource(strings = {"a.b", "a.b.c.d.e", "x.!!!.y", "x..y", "opaque"})
  void parse_accessTokenThatIsNoReadableJws_keepsExpiresIn(String accessToken) {
    TokenResponse response =
        parse(
            "{\"access_token\":\""
                + accessToken
                + "\",\"token_type\":\"Bearer\",\"expires_in\":60}");

    assertThat(response.expiresAt()).isEqualTo(NOW.plusSeconds(60));
  }
}

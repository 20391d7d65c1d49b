package dev.tokenherd.coordinator.oauth2;

import static dev.tokenherd.coordinator.oauth2.Futures.result;
import static dev.tokenherd.coordinator.oauth2.TokenServer.ACCESS_TOKEN;
import static dev.tokenherd.coordinator.oauth2.TokenServer.CLIENT_ID;
import static dev.tokenherd.coordinator.oauth2.TokenServer.CLIENT_SECRET;
import static dev.tokenherd.coordinator.oauth2.TokenServer.NOW;
import static dev.tokenherd.coordinator.oauth2.TokenServer.REFRESH_TOKEN;
import static dev.tokenherd.coordinator.oauth2.TokenServer.body;
import static org.assertj.core.api.Assertions.assertThat;

import dev.tokenherd.coordinator.spi.TokenEndpointException;
import dev.tokenherd.coordinator.spi.TokenRequest;
import dev.tokenherd.coordinator.spi.TokenResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.Map;
import java.util.Set;
import mockwebserver3.MockResponse;
import mockwebserver3.RecordedRequest;
import mockwebserver3.SocketEffect;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

final class OAuth2TokenEndpointTest {
  private static final Duration TIMEOUT = Duration.ofSeconds(5);

  private final TokenServer server;

  OAuth2TokenEndpointTest() throws Exception {
    server = new TokenServer();
  }

  @AfterEach
  void stop() {
    server.close();
  }

  @Test
  void requestToken_refreshGrantWithBasicAuth_postsFormAndParsesResponse() throws Exception {
    server.enqueueJson(200, TokenServer.tokenJson());
    OAuth2TokenEndpoint endpoint = server.endpoint().build();

    TokenResponse response =
        result(endpoint.requestToken(TokenRequest.refresh(REFRESH_TOKEN, Set.of(), TIMEOUT)));

    RecordedRequest request = server.takeRequest();
    assertThat(request.getMethod()).isEqualTo("POST");
    assertThat(request.getUrl().encodedPath()).isEqualTo("/oauth2/token");
    assertThat(request.getHeaders().get("Content-Type"))
        .isEqualTo("application/x-www-form-urlencoded");
    assertThat(request.getHeaders().get("Accept")).isEqualTo("application/json");
    assertThat(request.getHeaders().get("Authorization"))
        .isEqualTo(basic(CLIENT_ID + ":" + CLIENT_SECRET));
    assertThat(body(request)).isEqualTo("grant_type=refresh_token&refresh_token=" + REFRESH_TOKEN);
    assertThat(response.accessToken()).isEqualTo(ACCESS_TOKEN);
    assertThat(response.tokenType()).isEqualTo("Bearer");
    assertThat(response.refreshToken()).isEqualTo(REFRESH_TOKEN + "2");
    assertThat(response.scopes()).containsExactlyInAnyOrder("read", "write");
    assertThat(response.issuedAt()).isEqualTo(NOW);
    assertThat(response.expiresAt()).isEqualTo(NOW.plusSeconds(3600));
  }

  @Test
  void requestToken_clientCredentialsWithPostAuth_putsCredentialsInBody() throws Exception {
    server.enqueueJson(200, TokenServer.tokenJson());
    OAuth2TokenEndpoint endpoint =
        server.endpoint().clientAuthentication(ClientAuthentication.CLIENT_SECRET_POST).build();

    var unused = result(endpoint.requestToken(TokenRequest.clientCredentials(Set.of(), TIMEOUT)));

    RecordedRequest request = server.takeRequest();
    assertThat(request.getHeaders().get("Authorization")).isNull();
    assertThat(body(request))
        .isEqualTo(
            "grant_type=client_credentials&client_id="
                + CLIENT_ID
                + "&client_secret="
                + CLIENT_SECRET);
  }

  @Test
  void requestToken_publicClient_sendsOnlyClientId() throws Exception {
    server.enqueueJson(200, TokenServer.tokenJson());
    OAuth2TokenEndpoint endpoint =
        OAuth2TokenEndpoint.builder()
            .tokenUri(server.tokenUri())
            .clientId(CLIENT_ID)
            .clientAuthentication(ClientAuthentication.NONE)
            .build();

    var unused =
        result(endpoint.requestToken(TokenRequest.refresh(REFRESH_TOKEN, Set.of(), TIMEOUT)));

    RecordedRequest request = server.takeRequest();
    assertThat(request.getHeaders().get("Authorization")).isNull();
    assertThat(body(request))
        .isEqualTo(
            "grant_type=refresh_token&refresh_token=" + REFRESH_TOKEN + "&client_id=" + CLIENT_ID);
  }

  @Test
  void requestToken_basicAuthWithReservedCharacters_formEncodesBeforeBase64() throws Exception {
    server.enqueueJson(200, TokenServer.tokenJson());
    OAuth2TokenEndpoint endpoint =
        OAuth2TokenEndpoint.builder()
            .tokenUri(server.tokenUri())
            .clientId("my client:1")
            .clientSecret("p@ss w%rd+&=é")
            .build();

    var unused = result(endpoint.requestToken(TokenRequest.clientCredentials(Set.of(), TIMEOUT)));

    // RFC 6749 sec. 2.3.1: each part is application/x-www-form-urlencoded, then Base64'd.
    assertThat(server.takeRequest().getHeaders().get("Authorization"))
        .isEqualTo(basic("my+client%3A1:p%40ss+w%25rd%2B%26%3D%C3%A9"));
  }

  @Test
  void requestToken_postAuthWithReservedCharacters_formEncodesParameters() throws Exception {
    server.enqueueJson(200, TokenServer.tokenJson());
    OAuth2TokenEndpoint endpoint =
        OAuth2TokenEndpoint.builder()
            .tokenUri(server.tokenUri())
            .clientId("my client:1")
            .clientSecret("p@ss w%rd+&=é")
            .clientAuthentication(ClientAuthentication.CLIENT_SECRET_POST)
            .build();

    var unused = result(endpoint.requestToken(TokenRequest.refresh("rt+/=&x", Set.of(), TIMEOUT)));

    assertThat(body(server.takeRequest()))
        .isEqualTo(
            "grant_type=refresh_token&refresh_token=rt%2B%2F%3D%26x"
                + "&client_id=my+client%3A1&client_secret=p%40ss+w%25rd%2B%26%3D%C3%A9");
  }

  @Test
  void requestToken_withScopes_sendsThemSortedAndSpaceJoined() throws Exception {
    server.enqueueJson(200, TokenServer.tokenJson());
    OAuth2TokenEndpoint endpoint = server.endpoint().build();

    var unused =
        result(
            endpoint.requestToken(
                TokenRequest.clientCredentials(Set.of("write", "admin", "read:all"), TIMEOUT)));

    assertThat(body(server.takeRequest()))
        .isEqualTo("grant_type=client_credentials&scope=admin+read%3Aall+write");
  }

  @Test
  void requestToken_withInvalidScopeToken_failsPermanentlyWithoutSending() {
    OAuth2TokenEndpoint endpoint = server.endpoint().build();

    var failure =
        Futures.endpointFailure(
            endpoint.requestToken(TokenRequest.clientCredentials(Set.of("a b"), TIMEOUT)));

    assertThat(failure.kind()).isEqualTo(TokenEndpointException.Kind.PERMANENT);
    assertThat(server.requestCount()).isZero();
  }

  @Test
  void requestToken_withAdditionalParametersAndUserAgent_sendsThem() throws Exception {
    server.enqueueJson(200, TokenServer.tokenJson());
    OAuth2TokenEndpoint endpoint =
        server
            .endpoint()
            .additionalParameters(Map.of("resource", "https://api.example/v1", "audience", "api"))
            .userAgent("tokenherd-test/1.0")
            .build();

    var unused = result(endpoint.requestToken(TokenRequest.clientCredentials(Set.of(), TIMEOUT)));

    RecordedRequest request = server.takeRequest();
    assertThat(request.getHeaders().get("User-Agent")).isEqualTo("tokenherd-test/1.0");
    assertThat(body(request))
        .isEqualTo(
            "grant_type=client_credentials&audience=api&resource=https%3A%2F%2Fapi.example%2Fv1");
  }

  @Test
  void requestToken_refreshTokenAndScopeOmitted_returnsNullForBoth() throws Exception {
    server.enqueueJson(
        200, "{\"access_token\":\"at\",\"token_type\":\"bearer\",\"expires_in\":60}");
    OAuth2TokenEndpoint endpoint = server.endpoint().build();

    TokenResponse response =
        result(endpoint.requestToken(TokenRequest.refresh(REFRESH_TOKEN, Set.of("read"), TIMEOUT)));

    assertThat(response.refreshToken()).isNull();
    assertThat(response.scopes()).isNull();
    assertThat(response.tokenType()).isEqualTo("Bearer");
    assertThat(response.expiresAt()).isEqualTo(NOW.plusSeconds(60));
  }

  @Test
  void requestToken_emptyRefreshToken_returnsNull() throws Exception {
    server.enqueueJson(
        200,
        "{\"access_token\":\"at\",\"token_type\":\"Bearer\",\"expires_in\":60,"
            + "\"refresh_token\":\"\",\"scope\":\"\"}");
    OAuth2TokenEndpoint endpoint = server.endpoint().build();

    TokenResponse response =
        result(endpoint.requestToken(TokenRequest.refresh(REFRESH_TOKEN, Set.of(), TIMEOUT)));

    assertThat(response.refreshToken()).isNull();
    assertThat(response.scopes()).isNull();
  }

  @Test
  void requestToken_expiresInMissing_usesDefaultLifetime() throws Exception {
    server.enqueueJson(200, "{\"access_token\":\"at\",\"token_type\":\"Bearer\"}");
    server.enqueueJson(200, "{\"access_token\":\"at\",\"token_type\":\"Bearer\"}");
    OAuth2TokenEndpoint defaults = server.endpoint().build();
    OAuth2TokenEndpoint custom = server.endpoint().defaultLifetime(Duration.ofMinutes(1)).build();

    TokenResponse first =
        result(defaults.requestToken(TokenRequest.clientCredentials(Set.of(), TIMEOUT)));
    TokenResponse second =
        result(custom.requestToken(TokenRequest.clientCredentials(Set.of(), TIMEOUT)));

    assertThat(first.expiresAt()).isEqualTo(NOW.plus(OAuth2TokenEndpoint.DEFAULT_DEFAULT_LIFETIME));
    assertThat(second.expiresAt()).isEqualTo(NOW.plusSeconds(60));
  }

  @Test
  void requestToken_hugeExpiresIn_clampsToMaxLifetime() throws Exception {
    server.enqueueJson(
        200, "{\"access_token\":\"at\",\"token_type\":\"Bearer\",\"expires_in\":3600000000}");
    server.enqueueJson(
        200, "{\"access_token\":\"at\",\"token_type\":\"Bearer\",\"expires_in\":7200}");
    OAuth2TokenEndpoint endpoint = server.endpoint().maxLifetime(Duration.ofHours(1)).build();

    TokenResponse clamped =
        result(endpoint.requestToken(TokenRequest.clientCredentials(Set.of(), TIMEOUT)));
    TokenResponse againClamped =
        result(endpoint.requestToken(TokenRequest.clientCredentials(Set.of(), TIMEOUT)));

    assertThat(clamped.expiresAt()).isEqualTo(NOW.plus(Duration.ofHours(1)));
    assertThat(againClamped.expiresAt()).isEqualTo(NOW.plus(Duration.ofHours(1)));
  }

  @Test
  void requestToken_status201_isAcceptedAsSuccess() throws Exception {
    server.enqueueJson(201, TokenServer.tokenJson());
    OAuth2TokenEndpoint endpoint = server.endpoint().build();

    TokenResponse response =
        result(endpoint.requestToken(TokenRequest.clientCredentials(Set.of(), TIMEOUT)));

    assertThat(response.accessToken()).isEqualTo(ACCESS_TOKEN);
  }

  @Test
  void requestToken_cancelledWhileWaiting_completesAsCancelled() {
    server.enqueue(new MockResponse.Builder().onResponseStart(SocketEffect.Stall.INSTANCE).build());
    OAuth2TokenEndpoint endpoint = server.endpoint().build();

    var future = endpoint.requestToken(TokenRequest.clientCredentials(Set.of(), TIMEOUT));
    boolean cancelled = future.cancel(true);

    assertThat(cancelled).isTrue();
    assertThat(future).isCancelled();
  }

  @Test
  void accessors_returnConfiguration() {
    OAuth2TokenEndpoint endpoint = server.endpoint().build();

    assertThat(endpoint.tokenUri()).isEqualTo(server.tokenUri());
    assertThat(endpoint.clientId()).isEqualTo(CLIENT_ID);
    assertThat(endpoint.clientAuthentication()).isEqualTo(ClientAuthentication.CLIENT_SECRET_BASIC);
  }

  private static String basic(String pair) {
    return "Basic " + Base64.getEncoder().encodeToString(pair.getBytes(StandardCharsets.UTF_8));
  }
}

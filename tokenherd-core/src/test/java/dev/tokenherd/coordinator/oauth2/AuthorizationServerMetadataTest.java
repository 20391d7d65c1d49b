package dev.tokenherd.coordinator.oauth2;

import static dev.tokenherd.coordinator.oauth2.Futures.failure;
import static dev.tokenherd.coordinator.oauth2.Futures.result;
import static dev.tokenherd.coordinator.oauth2.TokenServer.json;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import mockwebserver3.MockResponse;
import mockwebserver3.RecordedRequest;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

final class AuthorizationServerMetadataTest {
  private static final Duration TIMEOUT = Duration.ofSeconds(5);

  private final TokenServer server;
  private final HttpClient httpClient =
      HttpClient.newBuilder()
          .version(HttpClient.Version.HTTP_1_1)
          .followRedirects(HttpClient.Redirect.NEVER)
          .build();

  AuthorizationServerMetadataTest() throws Exception {
    server = new TokenServer();
  }

  @AfterEach
  void stop() {
    server.close();
  }

  private String metadataJson(String issuer, String tokenEndpoint, String extra) {
    return "{\"issuer\":\""
        + issuer
        + "\",\"token_endpoint\":\""
        + tokenEndpoint
        + "\",\"jwks_uri\":\"https://ignored.example/jwks\""
        + extra
        + "}";
  }

  private CompletableFuture<AuthorizationServerMetadata> discover(URI issuer) {
    return AuthorizationServerMetadata.discover(httpClient, issuer, TIMEOUT);
  }

  @Test
  void discover_issuerWithPath_insertsWellKnownBetweenHostAndPath() throws Exception {
    URI issuer = server.uri("/tenant");
    server.enqueue(
        json(
            200,
            metadataJson(
                issuer.toString(),
                server.tokenUri().toString(),
                ",\"token_endpoint_auth_methods_supported\":"
                    + "[\"private_key_jwt\",\"client_secret_post\"]")));

    AuthorizationServerMetadata metadata = result(discover(issuer));

    RecordedRequest request = server.takeRequest();
    assertThat(request.getMethod()).isEqualTo("GET");
    assertThat(request.getUrl().encodedPath())
        .isEqualTo("/.well-known/oauth-authorization-server/tenant");
    assertThat(request.getHeaders().get("Accept")).isEqualTo("application/json");
    assertThat(metadata.issuer()).isEqualTo(issuer);
    assertThat(metadata.tokenEndpoint()).isEqualTo(server.tokenUri());
    assertThat(metadata.tokenEndpointAuthMethodsSupported())
        .containsExactly("private_key_jwt", "client_secret_post");
  }

  @Test
  void discover_issuerWithoutPath_usesTheBareWellKnownPath() throws Exception {
    URI issuer = server.uri("");
    server.enqueue(json(200, metadataJson(issuer.toString(), server.tokenUri().toString(), "")));

    AuthorizationServerMetadata metadata = result(discover(issuer));

    assertThat(server.takeRequest().getUrl().encodedPath())
        .isEqualTo("/.well-known/oauth-authorization-server");
    assertThat(metadata.tokenEndpointAuthMethodsSupported()).isEmpty();
  }

  @Test
  void discover_rfc8414Answers404_fallsBackToOpenIdConfiguration() throws Exception {
    URI issuer = server.uri("/realms/fleet");
    server.enqueue(new MockResponse.Builder().code(404).build());
    server.enqueue(json(200, metadataJson(issuer.toString(), server.tokenUri().toString(), "")));

    AuthorizationServerMetadata metadata = result(discover(issuer));

    assertThat(server.takeRequest().getUrl().encodedPath())
        .isEqualTo("/.well-known/oauth-authorization-server/realms/fleet");
    assertThat(server.takeRequest().getUrl().encodedPath())
        .isEqualTo("/realms/fleet/.well-known/openid-configuration");
    assertThat(metadata.tokenEndpoint()).isEqualTo(server.tokenUri());
  }

  @Test
  void discover_bothLocationsAnswer404_failsNotRetryable() {
    server.enqueue(new MockResponse.Builder().code(404).build());
    server.enqueue(new MockResponse.Builder().code(404).build());

    DiscoveryException failure = failure(discover(server.uri("/t")), DiscoveryException.class);

    assertThat(failure.httpStatus()).isEqualTo(404);
    assertThat(failure.isRetryable()).isFalse();
    assertThat(failure.getMessage())
        .contains("/t/.well-known/openid-configuration")
        .contains("after a 404 at")
        .contains("/.well-known/oauth-authorization-server/t");
  }

  @ParameterizedTest
  @CsvSource({"500, true", "503, true", "429, true", "408, true", "403, false", "302, false"})
  void discover_errorStatus_failsWithRetryability(int status, boolean retryable) {
    server.enqueue(new MockResponse.Builder().code(status).build());

    DiscoveryException failure = failure(discover(server.uri("/t")), DiscoveryException.class);

    assertThat(failure.httpStatus()).isEqualTo(status);
    assertThat(failure.isRetryable()).isEqualTo(retryable);
    assertThat(server.requestCount()).isEqualTo(1);
  }

  @Test
  void discover_issuerMismatch_fails() {
    URI issuer = server.uri("/tenant");
    server.enqueue(
        json(
            200,
            metadataJson("https://attacker.example/tenant", server.tokenUri().toString(), "")));

    DiscoveryException failure = failure(discover(issuer), DiscoveryException.class);

    assertThat(failure.isRetryable()).isFalse();
    assertThat(failure.getMessage())
        .contains("states issuer https://attacker.example/tenant")
        .contains("RFC 8414 sec. 3.3");
  }

  @Test
  void discover_issuerDiffersOnlyByTrailingSlash_fails() {
    URI issuer = server.uri("/tenant");
    server.enqueue(json(200, metadataJson(issuer + "/", server.tokenUri().toString(), "")));

    assertThat(failure(discover(issuer), DiscoveryException.class))
        .hasMessageContaining("states issuer");
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "'{\"issuer\":\"ISSUER\"}'                                  | has no token_endpoint",
        "'{\"issuer\":\"ISSUER\",\"token_endpoint\":null}'          | has no token_endpoint",
        "'{\"issuer\":\"ISSUER\",\"token_endpoint\":\"/token\"}'    | not an absolute http(s) URI",
        "'{\"issuer\":\"ISSUER\",\"token_endpoint\":\"ftp://x/t\"}' | not an absolute http(s) URI",
        "'{\"issuer\":\"ISSUER\",\"token_endpoint\":\"http://x y\"}' | not an absolute http(s) URI",
        "'{\"issuer\":\"ISSUER\",\"token_endpoint\":\"http://idp.example/t\"}' | does not use https",
        "'{\"issuer\":\"ISSUER\",\"token_endpoint\":42}'            | token_endpoint that is not a string",
        "'{\"token_endpoint\":\"https://idp.example/t\"}'           | has no issuer",
        "'{\"issuer\":[],\"token_endpoint\":\"https://idp.example/t\"}' | issuer that is not a string",
        "'{\"issuer\":\"ISSUER\",\"token_endpoint\":\"https://idp.example/t\",\"token_endpoint_auth_methods_supported\":\"client_secret_basic\"}' | not an array",
        "'{\"issuer\":\"ISSUER\",\"token_endpoint\":\"https://idp.example/t\",\"token_endpoint_auth_methods_supported\":[1]}' | not strings",
        "'[]'                                                       | is not a JSON object",
        "'<html></html>'                                            | is not a JSON object"
      })
  void discover_unacceptableDocument_failsNamingTheRule(String document, String problem) {
    URI issuer = server.uri("/tenant");
    server.enqueue(json(200, document.replace("ISSUER", issuer.toString())));

    DiscoveryException failure = failure(discover(issuer), DiscoveryException.class);

    assertThat(failure.httpStatus()).isEqualTo(200);
    assertThat(failure.isRetryable()).isFalse();
    assertThat(failure.getMessage()).contains(problem).doesNotContain("<html>");
  }

  @Test
  void discover_nullAuthMethods_areTreatedAsOmitted() throws Exception {
    URI issuer = server.uri("/tenant");
    server.enqueue(
        json(
            200,
            metadataJson(
                issuer.toString(),
                "https://idp.example/token",
                ",\"token_endpoint_auth_methods_supported\":null")));

    assertThat(result(discover(issuer)).tokenEndpointAuthMethodsSupported()).isEmpty();
  }

  @Test
  void discover_documentOverOneMebibyte_fails() {
    URI issuer = server.uri("/tenant");
    server.enqueue(
        json(
            200,
            metadataJson(
                issuer.toString(),
                server.tokenUri().toString(),
                ",\"pad\":\""
                    + "x".repeat(AuthorizationServerMetadata.MAX_METADATA_BYTES)
                    + "\"")));

    assertThat(failure(discover(issuer), DiscoveryException.class))
        .hasMessageContaining("is larger than");
  }

  @Test
  void discover_connectionRefused_failsRetryable() throws IOException {
    int closedPort;
    try (ServerSocket socket = new ServerSocket(0, 1, TokenServer.LOOPBACK)) {
      closedPort = socket.getLocalPort();
    }

    DiscoveryException failure =
        failure(
            discover(URI.create("http://127.0.0.1:" + closedPort + "/t")),
            DiscoveryException.class);

    assertThat(failure.isRetryable()).isTrue();
    assertThat(failure.httpStatus()).isZero();
    assertThat(failure.getCause()).isInstanceOf(java.net.ConnectException.class);
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "http://idp.example/tenant",
        "https://idp.example/tenant?x=1",
        "https://idp.example/tenant#f",
        "ftp://idp.example/",
        "/relative"
      })
  void discover_invalidIssuer_throwsWithoutAnyRequest(String issuer) {
    assertThatThrownBy(() -> discover(URI.create(issuer)))
        .isInstanceOf(IllegalArgumentException.class);
    assertThat(server.requestCount()).isZero();
  }

  @Test
  void discover_nonPositiveTimeout_throws() {
    assertThatThrownBy(
            () -> AuthorizationServerMetadata.discover(httpClient, server.uri("/t"), Duration.ZERO))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("timeout");
  }

  @ParameterizedTest
  @CsvSource({
    "https://idp.example, https://idp.example/.well-known/oauth-authorization-server,"
        + " https://idp.example/.well-known/openid-configuration",
    "https://idp.example/, https://idp.example/.well-known/oauth-authorization-server,"
        + " https://idp.example/.well-known/openid-configuration",
    "https://idp.example/t/, https://idp.example/.well-known/oauth-authorization-server/t,"
        + " https://idp.example/t/.well-known/openid-configuration",
    "https://idp.example:8443/a/b, https://idp.example:8443/.well-known/oauth-authorization-server/a/b,"
        + " https://idp.example:8443/a/b/.well-known/openid-configuration"
  })
  void locations_followRfc8414AndOpenIdConnect(String issuer, String rfc8414, String oidc) {
    assertThat(AuthorizationServerMetadata.rfc8414Location(URI.create(issuer)))
        .isEqualTo(URI.create(rfc8414));
    assertThat(AuthorizationServerMetadata.openIdLocation(URI.create(issuer)))
        .isEqualTo(URI.create(oidc));
  }

  @Test
  void builderMetadata_secretPostOnlyServer_choosesClientSecretPost() throws Exception {
    var metadata =
        new AuthorizationServerMetadata(
            server.uri(""), server.tokenUri(), List.of("private_key_jwt", "client_secret_post"));
    server.enqueueJson(200, TokenServer.tokenJson());

    OAuth2TokenEndpoint endpoint =
        OAuth2TokenEndpoint.builder()
            .metadata(metadata)
            .clientId(TokenServer.CLIENT_ID)
            .clientSecret(TokenServer.CLIENT_SECRET)
            .build();
    var unused =
        result(
            endpoint.requestToken(
                dev.tokenherd.coordinator.spi.TokenRequest.clientCredentials(
                    java.util.Set.of(), TIMEOUT)));

    assertThat(endpoint.tokenUri()).isEqualTo(server.tokenUri());
    assertThat(endpoint.clientAuthentication()).isEqualTo(ClientAuthentication.CLIENT_SECRET_POST);
    assertThat(TokenServer.body(server.takeRequest())).contains("client_secret=");
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "client_secret_post,client_secret_basic | CLIENT_SECRET_BASIC",
        "client_secret_post                     | CLIENT_SECRET_POST",
        "none,CLIENT_SECRET_POST                | CLIENT_SECRET_POST",
        "''                                     | CLIENT_SECRET_BASIC"
      })
  void builderMetadata_withoutExplicitMethod_prefersClientSecretBasic(
      String supported, ClientAuthentication expected) {
    List<String> methods = supported.isEmpty() ? List.of() : List.of(supported.split(","));
    var metadata = new AuthorizationServerMetadata(server.uri(""), server.tokenUri(), methods);

    OAuth2TokenEndpoint endpoint =
        OAuth2TokenEndpoint.builder()
            .metadata(metadata)
            .clientId(TokenServer.CLIENT_ID)
            .clientSecret(TokenServer.CLIENT_SECRET)
            .build();

    assertThat(endpoint.clientAuthentication()).isEqualTo(expected);
  }

  @Test
  void builderMetadata_noSupportedSecretMethod_requiresAnExplicitChoice() {
    var metadata =
        new AuthorizationServerMetadata(
            server.uri(""), server.tokenUri(), List.of("private_key_jwt", "tls_client_auth"));
    OAuth2TokenEndpoint.Builder builder =
        OAuth2TokenEndpoint.builder()
            .metadata(metadata)
            .clientId(TokenServer.CLIENT_ID)
            .clientSecret(TokenServer.CLIENT_SECRET);

    assertThatThrownBy(builder::build)
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("private_key_jwt");
    assertThat(
            builder
                .clientAuthentication(ClientAuthentication.CLIENT_SECRET_BASIC)
                .build()
                .clientAuthentication())
        .isEqualTo(ClientAuthentication.CLIENT_SECRET_BASIC);
  }

  @Test
  void builderMetadata_conflictingTokenUri_isRejected() {
    var metadata = new AuthorizationServerMetadata(server.uri(""), server.tokenUri(), List.of());

    assertThatThrownBy(
            () ->
                OAuth2TokenEndpoint.builder()
                    .metadata(metadata)
                    .tokenUri(server.uri("/other"))
                    .clientId(TokenServer.CLIENT_ID)
                    .clientSecret(TokenServer.CLIENT_SECRET)
                    .build())
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("differs from the discovered token_endpoint");
  }

  @Test
  void constructor_relativeTokenEndpoint_isRejected() {
    assertThatThrownBy(
            () ->
                new AuthorizationServerMetadata(
                    URI.create("https://idp.example"), URI.create("/token"), List.of()))
        .isInstanceOf(IllegalArgumentException.class);
  }
}

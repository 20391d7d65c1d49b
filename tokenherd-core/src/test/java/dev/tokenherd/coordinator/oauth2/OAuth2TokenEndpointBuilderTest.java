package dev.tokenherd.coordinator.oauth2;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import java.net.http.HttpClient;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

final class OAuth2TokenEndpointBuilderTest {
  private static final String SECRET = "builder-secret-value";

  private static OAuth2TokenEndpoint.Builder valid(String tokenUri) {
    return OAuth2TokenEndpoint.builder()
        .tokenUri(URI.create(tokenUri))
        .clientId("client")
        .clientSecret(SECRET);
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "https://idp.example/token",
        "HTTPS://idp.example/token?tenant=a",
        "http://localhost:8080/token",
        "http://127.0.0.1/token",
        "http://127.10.20.30:9/token",
        "http://[::1]:8080/token"
      })
  void build_httpsOrLoopbackHttp_isAccepted(String uri) {
    assertThat(valid(uri).build().tokenUri()).isEqualTo(URI.create(uri));
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "http://idp.example/token",
        "http://10.0.0.1/token",
        "http://localhost.idp.example/token",
        "http://[::2]/token",
        "http://128.0.0.1/token"
      })
  void build_httpOnNonLoopbackHost_isRejected(String uri) {
    assertThatThrownBy(() -> valid(uri).build())
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("must use https");
  }

  @Test
  void build_httpOnNonLoopbackHostWithAllowInsecureHttp_isAccepted() {
    assertThat(valid("http://idp.example/token").allowInsecureHttp(true).build().tokenUri())
        .hasScheme("http");
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "grant_type",
        "refresh_token",
        "client_id",
        "client_secret",
        "scope",
        "GRANT_TYPE",
        "Client_Secret"
      })
  void additionalParameters_reservedName_isRejectedNamingIt(String name) {
    assertThatThrownBy(
            () -> OAuth2TokenEndpoint.builder().additionalParameters(Map.of(name, "value")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(name)
        .hasMessageNotContaining("value");
  }

  @Test
  void additionalParameters_emptyName_isRejected() {
    assertThatThrownBy(() -> OAuth2TokenEndpoint.builder().additionalParameters(Map.of("", "x")))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @ParameterizedTest
  @ValueSource(strings = {"ftp://idp.example/token", "/token", "mailto:a@b", "https:///token"})
  void tokenUri_notAnAbsoluteHttpUri_isRejectedNamingIt(String uri) {
    assertThatThrownBy(() -> OAuth2TokenEndpoint.builder().tokenUri(URI.create(uri)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("tokenUri");
  }

  @Test
  void tokenUri_withFragment_isRejected() {
    assertThatThrownBy(
            () -> OAuth2TokenEndpoint.builder().tokenUri(URI.create("https://idp.example/t#x")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("fragment");
  }

  @Test
  void tokenUri_withUserInfo_isRejectedWithoutEchoingIt() {
    assertThatThrownBy(
            () ->
                OAuth2TokenEndpoint.builder()
                    .tokenUri(URI.create("https://client:hunter2@idp.example/token")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("user info")
        .hasMessageNotContaining("hunter2");
  }

  @Test
  void build_missingTokenUri_isRejected() {
    assertThatThrownBy(
            () -> OAuth2TokenEndpoint.builder().clientId("c").clientSecret(SECRET).build())
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("tokenUri");
  }

  @Test
  void build_missingClientId_isRejected() {
    assertThatThrownBy(
            () ->
                OAuth2TokenEndpoint.builder()
                    .tokenUri(URI.create("https://idp.example/token"))
                    .clientSecret(SECRET)
                    .build())
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("clientId");
  }

  @Test
  void build_secretMethodWithoutSecret_isRejected() {
    OAuth2TokenEndpoint.Builder builder =
        OAuth2TokenEndpoint.builder()
            .tokenUri(URI.create("https://idp.example/token"))
            .clientId("c");

    assertThatThrownBy(builder::build)
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("client_secret_basic");
    assertThatThrownBy(
            () -> builder.clientAuthentication(ClientAuthentication.CLIENT_SECRET_POST).build())
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("client_secret_post");
  }

  @Test
  void build_noneWithSecret_isRejected() {
    assertThatThrownBy(
            () ->
                valid("https://idp.example/token")
                    .clientAuthentication(ClientAuthentication.NONE)
                    .build())
        .isInstanceOf(IllegalStateException.class)
        .hasMessageNotContaining(SECRET);
  }

  @Test
  void build_connectTimeoutWithCustomClient_isRejected() {
    assertThatThrownBy(
            () ->
                valid("https://idp.example/token")
                    .httpClient(HttpClient.newHttpClient())
                    .connectTimeout(Duration.ofSeconds(1))
                    .build())
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("connectTimeout");
  }

  @Test
  void build_customClientFollowingRedirects_isAcceptedWithAWarning() {
    HttpClient following =
        HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NORMAL).build();

    assertThat(valid("https://idp.example/token").httpClient(following).build()).isNotNull();
  }

  @Test
  void build_defaultLifetimeAboveMax_isRejected() {
    assertThatThrownBy(
            () ->
                valid("https://idp.example/token")
                    .defaultLifetime(Duration.ofHours(2))
                    .maxLifetime(Duration.ofHours(1))
                    .build())
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("PT2H")
        .hasMessageContaining("PT1H");
  }

  @Test
  void durationSetters_outOfRange_areRejectedNamingTheValue() {
    OAuth2TokenEndpoint.Builder builder = OAuth2TokenEndpoint.builder();

    assertThatThrownBy(() -> builder.connectTimeout(Duration.ZERO))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("connectTimeout must be positive: PT0S");
    assertThatThrownBy(() -> builder.connectTimeout(Duration.ofSeconds(-1)))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> builder.defaultLifetime(Duration.ofMillis(500)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("PT0.5S");
    assertThatThrownBy(() -> builder.maxLifetime(Duration.ofDays(400)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("PT9600H");
  }

  @Test
  void maxResponseBytes_notPositive_isRejectedNamingTheValue() {
    assertThatThrownBy(() -> OAuth2TokenEndpoint.builder().maxResponseBytes(0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("maxResponseBytes must be positive: 0");
  }

  @Test
  void stringSetters_emptyOrBadValues_areRejected() {
    OAuth2TokenEndpoint.Builder builder = OAuth2TokenEndpoint.builder();

    assertThatThrownBy(() -> builder.clientId("")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> builder.clientSecret("")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> builder.userAgent(" ")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> builder.userAgent("agent\r\nX-Injected: 1"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("control characters");
  }

  @Test
  @SuppressWarnings("NullAway") // deliberately passes null to non-null parameters
  void setters_null_areRejected() {
    OAuth2TokenEndpoint.Builder builder = OAuth2TokenEndpoint.builder();

    assertThatThrownBy(() -> builder.clock(null)).isInstanceOf(NullPointerException.class);
    assertThatThrownBy(() -> builder.httpClient(null)).isInstanceOf(NullPointerException.class);
    assertThatThrownBy(() -> builder.clientAuthentication(null))
        .isInstanceOf(NullPointerException.class);
  }

  @Test
  void clientAuthentication_fromWireName_mapsKnownNamesCaseInsensitively() {
    assertThat(ClientAuthentication.fromWireName("client_secret_basic"))
        .isEqualTo(ClientAuthentication.CLIENT_SECRET_BASIC);
    assertThat(ClientAuthentication.fromWireName("Client_Secret_Post"))
        .isEqualTo(ClientAuthentication.CLIENT_SECRET_POST);
    assertThat(ClientAuthentication.fromWireName("none")).isEqualTo(ClientAuthentication.NONE);
    assertThat(ClientAuthentication.fromWireName("private_key_jwt")).isNull();
  }
}

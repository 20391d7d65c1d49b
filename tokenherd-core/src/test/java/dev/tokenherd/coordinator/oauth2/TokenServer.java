package dev.tokenherd.coordinator.oauth2;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.InetAddress;
import java.net.URI;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.concurrent.TimeUnit;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import mockwebserver3.RecordedRequest;

/**
 * A scripted token server on 127.0.0.1 (an ephemeral port), with the fixed values the OAuth 2.0
 * tests share.
 */
final class TokenServer implements AutoCloseable {
  static final Instant NOW = Instant.parse("2030-01-01T00:00:00Z");
  static final Clock CLOCK = Clock.fixed(NOW, ZoneOffset.UTC);
  static final String CLIENT_ID = "billing-worker";
  static final String CLIENT_SECRET = "s3cr3t-client-password";
  static final String ACCESS_TOKEN = "at-7f3a9c2b1e";
  static final String REFRESH_TOKEN = "rt-41d8cd98f0";

  /** 127.0.0.1 exactly: never a name that could resolve elsewhere. */
  static final InetAddress LOOPBACK = loopback();

  final MockWebServer server = new MockWebServer();

  TokenServer() throws IOException {
    server.start(LOOPBACK, 0);
  }

  URI uri(String path) {
    return URI.create("http://127.0.0.1:" + server.getPort() + path);
  }

  URI tokenUri() {
    return uri("/oauth2/token");
  }

  OAuth2TokenEndpoint.Builder endpoint() {
    return OAuth2TokenEndpoint.builder()
        .tokenUri(tokenUri())
        .clientId(CLIENT_ID)
        .clientSecret(CLIENT_SECRET)
        .clock(CLOCK);
  }

  void enqueue(MockResponse response) {
    server.enqueue(response);
  }

  void enqueueJson(int code, String json) {
    enqueue(json(code, json));
  }

  static MockResponse json(int code, String json) {
    return new MockResponse.Builder()
        .code(code)
        .setHeader("Content-Type", "application/json")
        .setHeader("Cache-Control", "no-store")
        .body(json)
        .build();
  }

  static String tokenJson() {
    return "{\"access_token\":\""
        + ACCESS_TOKEN
        + "\",\"token_type\":\"Bearer\",\"expires_in\":3600,\"refresh_token\":\""
        + REFRESH_TOKEN
        + "2\",\"scope\":\"read write\"}";
  }

  RecordedRequest takeRequest() throws InterruptedException {
    RecordedRequest request = server.takeRequest(5, TimeUnit.SECONDS);
    assertThat(request).as("a request reached the server").isNotNull();
    return request;
  }

  static String body(RecordedRequest request) {
    var body = request.getBody();
    return body == null ? "" : body.utf8();
  }

  int requestCount() {
    return server.getRequestCount();
  }

  private static InetAddress loopback() {
    try {
      return InetAddress.getByAddress(new byte[] {127, 0, 0, 1});
    } catch (java.net.UnknownHostException e) {
      throw new AssertionError(e);
    }
  }

  @Override
  public void close() {
    server.close();
  }
}

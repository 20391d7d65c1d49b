package dev.tokenherd.testkit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Collectors;

/** A minimal OAuth 2.0 client on java.net.http for testing the fake server over real HTTP. */
final class OAuthClient {
  private static final ObjectMapper JSON = new ObjectMapper();

  private final HttpClient http =
      HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
  private final FakeAuthorizationServer server;
  private final String clientId;
  private final String clientSecret;
  private Duration timeout = Duration.ofSeconds(10);

  OAuthClient(FakeAuthorizationServer server) {
    this(
        server,
        FakeAuthorizationServer.DEFAULT_CLIENT_ID,
        FakeAuthorizationServer.DEFAULT_CLIENT_SECRET);
  }

  OAuthClient(FakeAuthorizationServer server, String clientId, String clientSecret) {
    this.server = server;
    this.clientId = clientId;
    this.clientSecret = clientSecret;
  }

  OAuthClient timeout(Duration timeout) {
    this.timeout = timeout;
    return this;
  }

  /** A refresh_token grant with client_secret_basic. */
  HttpResponse<String> refresh(String refreshToken) throws IOException {
    return postBasic(Map.of("grant_type", "refresh_token", "refresh_token", refreshToken));
  }

  /** A client_credentials grant with client_secret_post. */
  HttpResponse<String> clientCredentials(String scope) throws IOException {
    Map<String, String> form = new LinkedHashMap<>();
    form.put("grant_type", "client_credentials");
    form.put("scope", scope);
    form.put("client_id", clientId);
    form.put("client_secret", clientSecret);
    return post(form, null);
  }

  HttpResponse<String> postBasic(Map<String, String> form) throws IOException {
    return post(form, basic(clientId, clientSecret));
  }

  static String basic(String id, String secret) {
    String pair = encode(id) + ":" + encode(secret);
    return "Basic " + Base64.getEncoder().encodeToString(pair.getBytes(StandardCharsets.UTF_8));
  }

  HttpResponse<String> post(Map<String, String> form, String authorization) throws IOException {
    String body =
        form.entrySet().stream()
            .map(e -> encode(e.getKey()) + "=" + encode(e.getValue()))
            .collect(Collectors.joining("&"));
    return postRaw(body, "application/x-www-form-urlencoded", authorization);
  }

  HttpResponse<String> postRaw(String body, String contentType, String authorization)
      throws IOException {
    HttpRequest.Builder request =
        HttpRequest.newBuilder(server.tokenEndpoint())
            .timeout(timeout)
            .header("Content-Type", contentType)
            .POST(HttpRequest.BodyPublishers.ofString(body));
    if (authorization != null) {
      request.header("Authorization", authorization);
    }
    return send(request.build());
  }

  HttpResponse<String> resource(String authorization) throws IOException {
    HttpRequest.Builder request =
        HttpRequest.newBuilder(server.resourceEndpoint()).timeout(timeout);
    if (authorization != null) {
      request.header("Authorization", authorization);
    }
    return send(request.GET().build());
  }

  HttpResponse<String> send(String method, String path) throws IOException {
    return send(
        HttpRequest.newBuilder(server.uri().resolve(path))
            .timeout(timeout)
            .method(method, HttpRequest.BodyPublishers.noBody())
            .build());
  }

  HttpResponse<String> send(HttpRequest request) throws IOException {
    try {
      return http.send(request, HttpResponse.BodyHandlers.ofString());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted", e);
    }
  }

  static JsonNode json(HttpResponse<String> response) {
    try {
      return JSON.readTree(response.body());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static URI uri(String value) {
    return URI.create(value);
  }

  private static String encode(String value) {
    return URLEncoder.encode(value, StandardCharsets.UTF_8);
  }
}

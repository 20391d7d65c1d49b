package dev.tokenherd.spring.authserver;

import static java.util.Objects.requireNonNull;

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
import java.util.Map;
import java.util.StringJoiner;
import org.jspecify.annotations.Nullable;

/** Sends form posts to a token endpoint with {@code client_secret_basic}, over java.net.http. */
final class TokenEndpointClient {
  private static final ObjectMapper JSON = new ObjectMapper();

  private final HttpClient http;
  private final URI tokenUri;
  private final Duration timeout;

  TokenEndpointClient(HttpClient http, URI tokenUri, Duration timeout) {
    this.http = requireNonNull(http, "http");
    this.tokenUri = requireNonNull(tokenUri, "tokenUri");
    this.timeout = requireNonNull(timeout, "timeout");
  }

  /** Posts {@code form} as {@code client}; returns the tokens or the error the server sent. */
  TokenReply post(OAuthClient client, Map<String, String> form) {
    HttpRequest request =
        HttpRequest.newBuilder(tokenUri)
            .timeout(timeout)
            .header("Authorization", client.basicAuthorization())
            .header("Content-Type", "application/x-www-form-urlencoded")
            .header("Accept", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(formEncode(form)))
            .build();
    HttpResponse<String> response;
    try {
      response = http.send(request, HttpResponse.BodyHandlers.ofString());
    } catch (IOException e) {
      throw new UncheckedIOException("POST " + tokenUri + " failed", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted during POST " + tokenUri, e);
    }
    JsonNode body = parse(response.body());
    if (response.statusCode() != 200) {
      return new TokenReply(response.statusCode(), null, text(body, "error"));
    }
    String accessToken = text(body, "access_token");
    JsonNode expiresIn = body == null ? null : body.get("expires_in");
    if (accessToken == null || expiresIn == null || !expiresIn.canConvertToLong()) {
      throw new IllegalStateException("HTTP 200 without access_token and expires_in");
    }
    String tokenType = text(body, "token_type");
    String scope = text(body, "scope");
    return new TokenReply(
        200,
        new GrantedTokens(
            accessToken,
            tokenType == null ? "Bearer" : tokenType,
            Duration.ofSeconds(expiresIn.asLong()),
            text(body, "refresh_token"),
            scope == null ? "" : scope),
        null);
  }

  static String formEncode(Map<String, String> form) {
    StringJoiner joined = new StringJoiner("&");
    form.forEach(
        (name, value) ->
            joined.add(
                URLEncoder.encode(name, StandardCharsets.UTF_8)
                    + "="
                    + URLEncoder.encode(value, StandardCharsets.UTF_8)));
    return joined.toString();
  }

  private static @Nullable JsonNode parse(String body) {
    try {
      return body.isEmpty() ? null : JSON.readTree(body);
    } catch (IOException e) {
      return null;
    }
  }

  private static @Nullable String text(@Nullable JsonNode body, String field) {
    JsonNode value = body == null ? null : body.get(field);
    return value == null || !value.isTextual() ? null : value.asText();
  }
}

package dev.tokenherd.httpclient;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tokenherd.coordinator.TokenCoordinator;
import dev.tokenherd.coordinator.TokenRefreshException;
import dev.tokenherd.coordinator.testing.FakeServerHerd;
import dev.tokenherd.coordinator.testing.HttpAdapterContract;
import java.io.InputStream;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpRequest.BodyPublishers;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodyHandlers;
import java.nio.charset.StandardCharsets;
import mockwebserver3.RecordedRequest;
import org.junit.jupiter.api.Test;

/**
 * {@link TokenherdHttpClient#send}: the adapter contract, and what is the JDK client's own (the
 * response returned, body handlers that stream, a request body sent twice).
 */
final class TokenherdHttpClientTest extends HttpAdapterContract {
  static final HttpClient HTTP =
      HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

  private final TokenherdHttpClient client = TokenherdHttpClient.of(HTTP, herd.coordinator());

  @Override
  protected Client client(TokenCoordinator coordinator) {
    TokenherdHttpClient client = TokenherdHttpClient.of(HTTP, coordinator);
    return (uri, authorization) -> {
      HttpResponse<String> response =
          client.send(request(uri, authorization), BodyHandlers.ofString());
      return new Answer(response.statusCode(), response.body());
    };
  }

  static HttpRequest request(java.net.URI uri, String authorization) {
    HttpRequest.Builder request = HttpRequest.newBuilder(uri);
    if (authorization != null) {
      request.header("Authorization", authorization);
    }
    return request.build();
  }

  @Override
  protected TokenRefreshException refreshErrorOf(Throwable thrown) {
    // send throws the coordinator's unchecked error itself
    assertThat(thrown).isInstanceOf(TokenRefreshException.class);
    return (TokenRefreshException) thrown;
  }

  @Test
  void send_returnsTheResponseAsSent_andLeavesTheCallersRequestAlone() throws Exception {
    String token = herd.seedValid().accessToken();
    resource.enqueue(200);
    HttpRequest api = HttpRequest.newBuilder(resource.uri("/api")).build();

    HttpResponse<String> response = client.send(api, BodyHandlers.ofString());

    assertThat(api.headers().firstValue("Authorization")).isEmpty();
    assertThat(response.request().headers().firstValue("Authorization"))
        .contains("Bearer " + token);
    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.headers().firstValue("Content-Length")).contains("8");
    assertThat(response.previousResponse()).isEmpty();
    assertThat(response.uri()).isEqualTo(api.uri());
    assertThat(response.version()).isEqualTo(HttpClient.Version.HTTP_1_1);
    assertThat(response.sslSession()).isEmpty();
    assertThat(response.toString()).doesNotContain(token);
  }

  @Test
  void send_retried_onlyTheRetrysBodyReachesAStreamingHandler() throws Exception {
    herd.seedRejected();
    resource.enqueue(401);
    resource.enqueue(200);

    HttpResponse<InputStream> response =
        client.send(
            HttpRequest.newBuilder(resource.uri("/api")).build(), BodyHandlers.ofInputStream());

    assertThat(response.statusCode()).isEqualTo(200);
    try (InputStream body = response.body()) {
      assertThat(new String(body.readAllBytes(), StandardCharsets.UTF_8)).isEqualTo("body 200");
    }
  }

  @Test
  void send_post_sendsTheBodyAgainOnTheRetry() throws Exception {
    herd.seedRejected();
    resource.enqueue(401);
    resource.enqueue(201);
    HttpRequest post =
        HttpRequest.newBuilder(resource.uri("/orders"))
            .header("Content-Type", "application/json")
            .POST(BodyPublishers.ofString("{\"item\":42}"))
            .build();

    assertThat(client.send(post, BodyHandlers.ofString()).statusCode()).isEqualTo(201);

    for (int i = 0; i < 2; i++) {
      RecordedRequest request = resource.takeRequest();
      assertThat(request.getMethod()).isEqualTo("POST");
      assertThat(request.getHeaders().get("Content-Type")).isEqualTo("application/json");
      assertThat(request.getBody().utf8()).isEqualTo("{\"item\":42}");
    }
  }

  @Test
  void accessors_andToString() {
    assertThat(client.httpClient()).isSameAs(HTTP);
    assertThat(client).hasToString("TokenherdHttpClient[" + FakeServerHerd.KEY + "]");
  }
}

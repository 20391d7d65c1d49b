package dev.tokenherd.okhttp;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tokenherd.coordinator.TokenCoordinator;
import dev.tokenherd.coordinator.TokenRefreshException;
import dev.tokenherd.coordinator.testing.FakeServerHerd;
import dev.tokenherd.coordinator.testing.HttpAdapterContract;
import dev.tokenherd.coordinator.testing.ScriptedResource;
import java.io.IOException;
import okhttp3.Interceptor;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * OkHttp with {@link TokenherdOkHttp#install}: the adapter contract, and what is OkHttp's own
 * (redirects, interceptor order, the request's tag).
 */
final class TokenherdOkHttpTest extends HttpAdapterContract {
  private OkHttpClient okHttp = clientOf(herd.coordinator());

  private static OkHttpClient clientOf(TokenCoordinator coordinator) {
    return TokenherdOkHttp.install(new OkHttpClient.Builder(), coordinator).build();
  }

  @Override
  protected Client client(TokenCoordinator coordinator) {
    OkHttpClient client = clientOf(coordinator);
    return (uri, authorization) -> {
      Request.Builder request = new Request.Builder().url(uri.toString());
      if (authorization != null) {
        request.header("Authorization", authorization);
      }
      try (Response response = client.newCall(request.build()).execute()) {
        return new Answer(response.code(), response.body().string());
      }
    };
  }

  @Override
  protected TokenRefreshException refreshErrorOf(Throwable thrown) {
    assertThat(thrown).isInstanceOf(TokenUnavailableException.class);
    TokenUnavailableException unavailable = (TokenUnavailableException) thrown;
    assertThat(unavailable.getCause()).isSameAs(unavailable.refreshException());
    assertThat(unavailable.isRetryable()).isEqualTo(unavailable.refreshException().isRetryable());
    assertThat(unavailable.getMessage()).isEqualTo(unavailable.refreshException().getMessage());
    return unavailable.refreshException();
  }

  @AfterEach
  void evictConnections() {
    okHttp.connectionPool().evictAll();
  }

  private Response call(Request.Builder request) throws IOException {
    return okHttp.newCall(request.url(resource.uri("/api").toString()).build()).execute();
  }

  @Test
  void requestToString_showsTheTokenOnlyAsAFingerprint() throws Exception {
    String token = herd.seedValid().accessToken();
    resource.enqueue(200);

    try (Response response = call(new Request.Builder())) {
      // OkHttp prints a request's tags, where ours holds the token
      assertThat(response.request().toString()).contains("SentToken").doesNotContain(token);
    }
  }

  @Test
  void redirectToAnotherHost_dropsTheToken() throws Exception {
    herd.seedValid();
    try (ScriptedResource elsewhere = new ScriptedResource()) {
      elsewhere.enqueue(200);
      resource.enqueue(302, "Location", elsewhere.uri("/landing").toString());

      try (Response response = call(new Request.Builder())) {
        assertThat(response.code()).isEqualTo(200);
      }

      assertThat(resource.takeAuthorization()).startsWith("Bearer ");
      assertThat(elsewhere.takeAuthorization()).isNull();
    }
  }

  @Test
  void headerReplacedByALaterInterceptor_isNotOurs_andNotRetried() throws Exception {
    herd.seedValid();
    Interceptor replacing =
        chain ->
            chain.proceed(
                chain.request().newBuilder().header("Authorization", "Bearer swapped").build());
    okHttp = okHttp.newBuilder().addInterceptor(replacing).build(); // runs after ours
    resource.enqueue(401);
    resource.enqueue(200); // what a wrong retry would get

    try (Response response = call(new Request.Builder())) {
      assertThat(response.code()).isEqualTo(401);
    }

    assertThat(resource.requestCount()).isEqualTo(1);
    assertThat(herd.server().stats().tokenRequests()).isZero();
  }

  @Test
  void toStrings_nameTheCredential() {
    assertThat(new TokenherdInterceptor(herd.coordinator()))
        .hasToString("TokenherdInterceptor[" + FakeServerHerd.KEY + "]");
    assertThat(new TokenherdAuthenticator(herd.coordinator()))
        .hasToString("TokenherdAuthenticator[" + FakeServerHerd.KEY + "]");
  }
}

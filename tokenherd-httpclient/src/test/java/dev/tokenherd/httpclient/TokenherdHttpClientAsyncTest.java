package dev.tokenherd.httpclient;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tokenherd.coordinator.TokenCoordinator;
import dev.tokenherd.coordinator.TokenRefreshException;
import dev.tokenherd.coordinator.testing.HttpAdapterContract;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodyHandlers;
import java.util.concurrent.CompletionException;

/** {@link TokenherdHttpClient#sendAsync}: the adapter contract, the future joined by the caller. */
final class TokenherdHttpClientAsyncTest extends HttpAdapterContract {

  @Override
  protected Client client(TokenCoordinator coordinator) {
    TokenherdHttpClient client = TokenherdHttpClient.of(TokenherdHttpClientTest.HTTP, coordinator);
    return (uri, authorization) -> {
      HttpResponse<String> response =
          client
              .sendAsync(
                  TokenherdHttpClientTest.request(uri, authorization), BodyHandlers.ofString())
              .join();
      return new Answer(response.statusCode(), response.body());
    };
  }

  @Override
  protected TokenRefreshException refreshErrorOf(Throwable thrown) {
    // the future fails with the coordinator's error itself, which join() wraps
    assertThat(thrown).isInstanceOf(CompletionException.class);
    assertThat(thrown.getCause()).isInstanceOf(TokenRefreshException.class);
    return (TokenRefreshException) thrown.getCause();
  }
}

package dev.tokenherd.benchmarks;

import dev.tokenherd.coordinator.spi.TokenEndpoint;
import dev.tokenherd.coordinator.spi.TokenRequest;
import dev.tokenherd.coordinator.spi.TokenResponse;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A token endpoint the benchmarks never expect to be called: their token is fresh for hours. It
 * counts requests (so that a benchmark can prove there were none) and fails each one.
 */
final class UnusedTokenEndpoint implements TokenEndpoint {
  private final AtomicInteger requests = new AtomicInteger();

  @Override
  public CompletionStage<TokenResponse> requestToken(TokenRequest request) {
    requests.incrementAndGet();
    return CompletableFuture.failedFuture(
        new IllegalStateException("the benchmark's token is fresh for hours: no request expected"));
  }

  /** Returns how many requests were made. */
  int requests() {
    return requests.get();
  }
}

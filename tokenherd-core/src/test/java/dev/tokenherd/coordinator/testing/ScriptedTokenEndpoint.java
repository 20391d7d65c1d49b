package dev.tokenherd.coordinator.testing;

import dev.tokenherd.coordinator.OAuth2Error;
import dev.tokenherd.coordinator.spi.TokenEndpoint;
import dev.tokenherd.coordinator.spi.TokenEndpointException;
import dev.tokenherd.coordinator.spi.TokenRequest;
import dev.tokenherd.coordinator.spi.TokenResponse;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;

/**
 * A recording token endpoint that answers from a script, for virtual-time tests. An unscripted
 * request fails the test loudly (as a permanent error naming the problem).
 */
public final class ScriptedTokenEndpoint implements TokenEndpoint {
  private final Clock clock;
  private final Deque<Function<TokenRequest, CompletionStage<TokenResponse>>> script =
      new ArrayDeque<>();
  private final List<TokenRequest> requests = new ArrayList<>();
  private final AtomicInteger serial = new AtomicInteger();

  public ScriptedTokenEndpoint(Clock clock) {
    this.clock = clock;
  }

  @Override
  public synchronized CompletionStage<TokenResponse> requestToken(TokenRequest request) {
    requests.add(request);
    Function<TokenRequest, CompletionStage<TokenResponse>> next = script.poll();
    if (next == null) {
      return CompletableFuture.failedFuture(
          TokenEndpointException.builder()
              .kind(TokenEndpointException.Kind.PERMANENT)
              .message("unscripted token request #" + requests.size())
              .httpStatus(400)
              .error(OAuth2Error.of("unscripted"))
              .build());
    }
    return next.apply(request);
  }

  /**
   * Answers the next request with a new token set living {@code ttl}, rotating the refresh token.
   */
  public synchronized ScriptedTokenEndpoint issue(Duration ttl) {
    int n = serial.incrementAndGet();
    script.add(
        request ->
            CompletableFuture.completedFuture(
                new TokenResponse(
                    "access-" + n,
                    "Bearer",
                    "refresh-" + n,
                    Set.of("read"),
                    clock.instant(),
                    clock.instant().plus(ttl))));
    return this;
  }

  /** Answers the next request with {@code response} built at the time of the request. */
  public synchronized ScriptedTokenEndpoint answer(Function<TokenRequest, TokenResponse> response) {
    script.add(request -> CompletableFuture.completedFuture(response.apply(request)));
    return this;
  }

  /** Fails the next request. */
  public synchronized ScriptedTokenEndpoint fail(
      TokenEndpointException.Kind kind,
      @Nullable String oauthError,
      @Nullable Duration retryAfter) {
    script.add(
        request ->
            CompletableFuture.failedFuture(
                TokenEndpointException.builder()
                    .kind(kind)
                    .message("scripted " + kind)
                    .httpStatus(kind == TokenEndpointException.Kind.TRANSIENT ? 503 : 400)
                    .error(oauthError == null ? null : OAuth2Error.of(oauthError))
                    .retryAfter(retryAfter)
                    .build()));
    return this;
  }

  /** Holds the next request open; the returned future answers it. */
  public synchronized CompletableFuture<TokenResponse> hold() {
    CompletableFuture<TokenResponse> held = new CompletableFuture<>();
    script.add(request -> held);
    return held;
  }

  public synchronized List<TokenRequest> requests() {
    return List.copyOf(requests);
  }

  /** Drops the answers not used yet. */
  public synchronized void clearScript() {
    script.clear();
  }

  public synchronized int remaining() {
    return script.size();
  }

  public TokenResponse response(String access, @Nullable String refresh, Duration ttl) {
    return new TokenResponse(
        access, "Bearer", refresh, null, clock.instant(), clock.instant().plus(ttl));
  }
}

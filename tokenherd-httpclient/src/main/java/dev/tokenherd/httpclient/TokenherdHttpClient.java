package dev.tokenherd.httpclient;

import static java.util.Objects.requireNonNull;

import dev.tokenherd.coordinator.AccessToken;
import dev.tokenherd.coordinator.TokenCoordinator;
import dev.tokenherd.coordinator.TokenRefreshException;
import java.io.IOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodyHandler;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;

/**
 * Sends requests through a {@link HttpClient} with a {@link TokenCoordinator}'s access token, and
 * answers a 401 with one retry on a replacement token.
 *
 * <pre>{@code
 * TokenherdHttpClient api = TokenherdHttpClient.of(HttpClient.newHttpClient(), billing);
 * HttpResponse<String> response =
 *     api.send(HttpRequest.newBuilder(uri).build(), BodyHandlers.ofString());
 * }</pre>
 *
 * <p>Each request without an {@code Authorization} header is sent with {@code Authorization: <type>
 * <token>} (a copy of it: {@link HttpRequest#newBuilder(HttpRequest,
 * java.util.function.BiPredicate)} keeps its method, body, headers, timeout and version). A request
 * that has one is sent as it is, and its 401 is the caller's. When the token is rejected, the
 * coordinator is told ({@link TokenCoordinator#rejected(String)} refreshes the credential at most
 * once for the whole fleet, and not at all if another caller already replaced that token) and the
 * request is sent once more with the replacement; a 401 to that is returned as it is. No retry is
 * made, and the 401 is returned, when its {@code WWW-Authenticate} challenges name only other
 * schemes than the token's type (for example {@code Basic}) or give an {@code error} other than
 * {@code invalid_token} (RFC 6750 sec. 3.1: {@code insufficient_scope} and {@code invalid_request}
 * are not cured by another token), or when the replacement is the rejected token itself. A 401
 * without a challenge is retried.
 *
 * <p>The caller's body handler reads exactly one response, the one returned: the body of a 401 that
 * blames the token is first read into memory, then dropped if the request is retried, or handed to
 * the caller's handler if it is not.
 *
 * <p><b>Note:</b> the retry sends the request's {@linkplain HttpRequest#bodyPublisher() body
 * publisher} a second time, as {@code HttpClient} itself does after a 307 or 308 redirect or a
 * {@link java.net.Authenticator} challenge. Every publisher of {@link HttpRequest.BodyPublishers}
 * can do that ({@code ofInputStream} asks its supplier for a new stream); one made with {@code
 * fromPublisher} over a source that can be read only once cannot, so send such a request with an
 * {@code Authorization} header of its own, or through the plain client.
 *
 * <p><b>Note:</b> with a {@linkplain HttpClient.Redirect redirect policy} other than the default
 * {@code NEVER}, {@code HttpClient} sends the request's headers, the token included, to wherever a
 * redirect leads.
 *
 * <p>Token failures are the coordinator's own unchecked {@link TokenRefreshException}s, unwrapped:
 * {@link #send} throws them, {@link #sendAsync}'s future fails with them. Thread-safe.
 */
public final class TokenherdHttpClient {
  private static final String AUTHORIZATION = "Authorization";

  private final HttpClient client;
  private final TokenCoordinator coordinator;

  private TokenherdHttpClient(HttpClient client, TokenCoordinator coordinator) {
    this.client = requireNonNull(client, "client");
    this.coordinator = requireNonNull(coordinator, "coordinator");
  }

  /**
   * Returns a client that sends through {@code client} with {@code coordinator}'s token.
   *
   * @param client the HTTP client; its own settings (timeouts, redirects, executor) apply
   * @param coordinator the credential's coordinator
   * @return the client
   */
  public static TokenherdHttpClient of(HttpClient client, TokenCoordinator coordinator) {
    return new TokenherdHttpClient(client, coordinator);
  }

  /**
   * Returns the HTTP client that requests are sent through.
   *
   * @return the client given to {@link #of}
   */
  public HttpClient httpClient() {
    return client;
  }

  /**
   * Sends {@code request} with the coordinator's token, blocking; see the class description.
   *
   * <p>Waits on the calling thread: for a token only once the cached one has expired, and for a
   * replacement after a 401, each up to the coordinator's {@linkplain
   * dev.tokenherd.coordinator.RefreshPolicy#waitTimeout() wait timeout}.
   *
   * @param request the request
   * @param handler the handler of the body of the response returned
   * @param <T> the body type
   * @return the response: to the retry if the token was rejected and replaced, else the only one
   * @throws TokenRefreshException if no valid token can be had for the request, or no replacement
   *     for a rejected one (a revoked credential: {@link
   *     dev.tokenherd.coordinator.ReauthenticationRequiredException})
   * @throws IOException if sending or receiving fails
   * @throws InterruptedException if the thread is interrupted while it waits
   */
  public <T> HttpResponse<T> send(HttpRequest request, BodyHandler<T> handler)
      throws IOException, InterruptedException {
    requireNonNull(request, "request");
    requireNonNull(handler, "handler");
    if (request.headers().firstValue(AUTHORIZATION).isPresent()) {
      return client.send(request, handler);
    }
    AccessToken token = coordinator.token();
    HttpResponse<FirstAttempt<T>> first =
        client.send(authorize(request, token), FirstAttempt.handler(handler, token));
    if (!FirstAttempt.rejected(first)) {
      return FirstAttempt.delivered(first);
    }
    AccessToken replacement = await(coordinator.rejected(token.value()));
    if (replacement.value().equals(token.value())) {
      return await(FirstAttempt.replay(first, handler));
    }
    return client.send(authorize(request, replacement), handler);
  }

  /**
   * Sends {@code request} with the coordinator's token, asynchronously; see the class description.
   *
   * <p>Nothing blocks the calling thread. The retry is sent from the thread that completes the
   * replacement (one of the coordinator's), the body handlers run on the client's executor.
   *
   * @param request the request
   * @param handler the handler of the body of the response returned
   * @param <T> the body type
   * @return a future completing with the response (to the retry if the token was rejected and
   *     replaced), or failing with a {@link TokenRefreshException} if no valid token or replacement
   *     can be had, or with what {@link HttpClient#sendAsync} fails with
   */
  public <T> CompletableFuture<HttpResponse<T>> sendAsync(
      HttpRequest request, BodyHandler<T> handler) {
    requireNonNull(request, "request");
    requireNonNull(handler, "handler");
    if (request.headers().firstValue(AUTHORIZATION).isPresent()) {
      return client.sendAsync(request, handler);
    }
    return coordinator
        .tokenAsync()
        .thenCompose(
            token ->
                client
                    .sendAsync(authorize(request, token), FirstAttempt.handler(handler, token))
                    .thenCompose(
                        first ->
                            FirstAttempt.rejected(first)
                                ? retry(request, handler, token, first)
                                : CompletableFuture.completedFuture(
                                    FirstAttempt.delivered(first))));
  }

  private <T> CompletableFuture<HttpResponse<T>> retry(
      HttpRequest request,
      BodyHandler<T> handler,
      AccessToken rejected,
      HttpResponse<FirstAttempt<T>> first) {
    return coordinator
        .rejected(rejected.value())
        .thenCompose(
            replacement ->
                replacement.value().equals(rejected.value())
                    ? FirstAttempt.replay(first, handler)
                    : client.sendAsync(authorize(request, replacement), handler));
  }

  private static HttpRequest authorize(HttpRequest request, AccessToken token) {
    return HttpRequest.newBuilder(request, (name, value) -> true)
        .setHeader(AUTHORIZATION, token.authorizationHeader())
        .build();
  }

  /**
   * Waits for {@code future}, rethrowing its failure as {@link #send} declares it: the
   * coordinator's unchecked errors as they are.
   */
  private static <V> V await(CompletableFuture<V> future) throws IOException, InterruptedException {
    try {
      return future.get();
    } catch (ExecutionException e) {
      Throwable cause = e.getCause();
      if (cause instanceof RuntimeException unchecked) {
        throw unchecked;
      }
      if (cause instanceof IOException io) {
        throw io;
      }
      throw new IOException(cause);
    }
  }

  @Override
  public String toString() {
    return "TokenherdHttpClient[" + coordinator.key() + "]";
  }
}

package dev.tokenherd.coordinator.oauth2;

import static java.util.Objects.requireNonNull;

import dev.tokenherd.coordinator.Redaction;
import dev.tokenherd.coordinator.spi.TokenEndpointException;
import dev.tokenherd.coordinator.spi.TokenEndpointException.Kind;
import dev.tokenherd.coordinator.spi.TokenRequest;
import dev.tokenherd.coordinator.spi.TokenResponse;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends one encoded token request on {@link HttpClient}, exactly once, and turns what comes back
 * into a {@link TokenResponse} (through {@link TokenResponseParser}) or a {@link
 * TokenEndpointException} (through {@link FailureClassifier}), as the table on {@link
 * OAuth2TokenEndpoint} says. Bounds the whole exchange, body included, by the request's timeout.
 * Immutable and thread-safe.
 */
final class TokenExchange {
  // The endpoint's logger, not this class's: the category users configure stays the public class.
  private static final Logger LOG = LoggerFactory.getLogger(OAuth2TokenEndpoint.class);

  /** How long past a request's timeout an exchange that never completed is failed anyway. */
  static final Duration GUARD_GRACE = Duration.ofSeconds(1);

  private final URI tokenUri;
  private final String target;
  private final HttpClient httpClient;
  private final Clock clock;
  private final int maxResponseBytes;
  private final @Nullable String userAgent;
  private final TokenRequestEncoder encoder;
  private final TokenResponseParser parser;

  /**
   * Creates the exchange of one endpoint.
   *
   * @param tokenUri where requests go
   * @param httpClient the client that sends them; its executor completes the results
   * @param clock stamps {@code issuedAt}; timeouts run on real time
   * @param maxResponseBytes the largest body read
   * @param userAgent the {@code User-Agent} header, or {@code null} for the client's
   * @param encoder encodes the body and the client authentication
   * @param parser reads a 2xx body
   */
  TokenExchange(
      URI tokenUri,
      HttpClient httpClient,
      Clock clock,
      int maxResponseBytes,
      @Nullable String userAgent,
      TokenRequestEncoder encoder,
      TokenResponseParser parser) {
    this.tokenUri = requireNonNull(tokenUri, "tokenUri");
    this.target = Uris.describe(tokenUri);
    this.httpClient = requireNonNull(httpClient, "httpClient");
    this.clock = requireNonNull(clock, "clock");
    this.maxResponseBytes = maxResponseBytes;
    this.userAgent = userAgent;
    this.encoder = requireNonNull(encoder, "encoder");
    this.parser = requireNonNull(parser, "parser");
  }

  /** Returns the client an endpoint builds for itself when given none. */
  static HttpClient defaultClient(Duration connectTimeout) {
    return HttpClient.newBuilder()
        // One short request per expiry gains nothing from HTTP/2, and HTTP/1.1 keeps the failure
        // modes (and so the classification) simple.
        .version(HttpClient.Version.HTTP_1_1)
        .followRedirects(HttpClient.Redirect.NEVER)
        .connectTimeout(connectTimeout)
        .build();
  }

  /**
   * Sends {@code request} once; see {@link OAuth2TokenEndpoint#requestToken} for the contract.
   *
   * @return the response, or a future failed with a classified {@link TokenEndpointException};
   *     cancelling it cancels the exchange
   */
  CompletableFuture<TokenResponse> send(TokenRequest request) {
    CompletableFuture<TokenResponse> result = new CompletableFuture<>();
    HttpRequest.Builder http =
        HttpRequest.newBuilder(tokenUri)
            .POST(
                HttpRequest.BodyPublishers.ofString(
                    encoder.formBody(request), StandardCharsets.UTF_8))
            .header("Content-Type", "application/x-www-form-urlencoded")
            .header("Accept", "application/json")
            .timeout(request.timeout());
    String authorization = encoder.authorizationHeader();
    if (authorization != null) {
      http.header("Authorization", authorization);
    }
    if (userAgent != null) {
      http.header("User-Agent", userAgent);
    }
    LOG.debug(
        "Requesting a token from {} (grant_type={}, refresh_token={})",
        target,
        request.grantType().wireName(),
        Redaction.fingerprint(request.refreshToken()));
    long deadline = System.nanoTime() + request.timeout().toNanos();
    // Lifetimes count from when the request left, not when the answer arrived: the server started
    // the token's clock somewhere in between, so this errs towards expiring early, never late.
    Instant sentAt = clock.instant();
    CompletableFuture<HttpResponse<BoundedBody>> exchange;
    try {
      HttpRequest built = http.build();
      // The last moment before the request is handed to the HTTP client: a request held up since
      // the engine's last lease check (a GC pause, SIGSTOP, a slow hand-off) must not leave once
      // its lease is over, when another worker may present the same refresh token. Nothing has
      // left the process, so it is transient: certainly not processed.
      Duration overdue = request.sendByOverdue(System.nanoTime());
      if (!overdue.isZero()) {
        TokenEndpointException notSent =
            TokenEndpointException.builder()
                .kind(Kind.TRANSIENT)
                .message(
                    "token request to "
                        + target
                        + " not sent: its send-by deadline (from the refresh lock's lease) passed "
                        + overdue
                        + " ago; nothing left the process")
                .build();
        LOG.warn("{}", notSent.getMessage());
        result.completeExceptionally(notSent);
        return result;
      }
      exchange = httpClient.sendAsync(built, BoundedBody.handler(maxResponseBytes, deadline));
    } catch (RuntimeException e) {
      result.completeExceptionally(FailureClassifier.fromFailure(e, target));
      return result;
    }
    var unused =
        exchange.whenComplete(
            (response, failure) -> {
              try {
                if (failure != null || response == null) {
                  throw FailureClassifier.fromFailure(
                      failure != null ? failure : new IllegalStateException("no response"), target);
                }
                result.complete(handle(response, request, sentAt));
              } catch (TokenEndpointException e) {
                LOG.debug("Token request to {} failed: {}", target, e.getMessage());
                result.completeExceptionally(e);
              } catch (RuntimeException e) {
                result.completeExceptionally(FailureClassifier.fromFailure(e, target));
              }
            });
    var unusedCompletion =
        result.whenComplete(
            (response, failure) -> {
              if (result.isCancelled()) {
                exchange.cancel(true);
              }
            });
    // The HTTP client's own timeout covers the wait for the headers and BoundedBody the body; this
    // guard makes the contract unconditional (seen: an exchange that never completed on JDK 25
    // after the server went away mid-request), so no caller of this endpoint can hang.
    var unusedGuard =
        CompletableFuture.runAsync(
            () -> {
              if (result.completeExceptionally(
                  TokenEndpointException.builder()
                      .kind(Kind.AMBIGUOUS)
                      .message("no complete answer from " + target + " within " + request.timeout())
                      .build())) {
                exchange.cancel(true);
              }
            },
            CompletableFuture.delayedExecutor(
                request.timeout().plus(GUARD_GRACE).toNanos(), TimeUnit.NANOSECONDS));
    return result;
  }

  private TokenResponse handle(
      HttpResponse<BoundedBody> response, TokenRequest request, Instant sentAt) {
    Instant receivedAt = clock.instant();
    int status = response.statusCode();
    BoundedBody body = response.body();
    if (status < 200 || status >= 300) {
      throw FailureClassifier.fromErrorResponse(
          status, response.headers(), body, receivedAt, target, encoder.secretsIn(request));
    }
    Duration retryAfter =
        RetryAfter.parse(response.headers().firstValue("Retry-After").orElse(null), receivedAt);
    if (body.exceeded()) {
      throw TokenEndpointException.builder()
          .kind(Kind.INVALID_RESPONSE)
          .message(
              "token response from " + target + " is larger than " + maxResponseBytes + " bytes")
          .httpStatus(status)
          .retryAfter(retryAfter)
          .build();
    }
    try {
      return parser.parse(body.bytes(), sentAt);
    } catch (TokenResponseParser.InvalidTokenResponseException e) {
      throw TokenEndpointException.builder()
          .kind(Kind.INVALID_RESPONSE)
          .message("token response from " + target + " is invalid: " + e.getMessage())
          .httpStatus(status)
          .retryAfter(retryAfter)
          .build();
    }
  }
}

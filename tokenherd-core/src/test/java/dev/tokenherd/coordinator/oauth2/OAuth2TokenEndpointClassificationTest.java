package dev.tokenherd.coordinator.oauth2;

import static dev.tokenherd.coordinator.oauth2.Futures.endpointFailure;
import static dev.tokenherd.coordinator.oauth2.TokenServer.REFRESH_TOKEN;
import static dev.tokenherd.coordinator.oauth2.TokenServer.json;
import static org.assertj.core.api.Assertions.assertThat;

import dev.tokenherd.coordinator.OAuth2Error;
import dev.tokenherd.coordinator.spi.TokenEndpointException;
import dev.tokenherd.coordinator.spi.TokenEndpointException.Kind;
import dev.tokenherd.coordinator.spi.TokenRequest;
import dev.tokenherd.coordinator.spi.TokenResponse;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.CompletionStage;
import mockwebserver3.MockResponse;
import mockwebserver3.MockResponseBody;
import mockwebserver3.SocketEffect;
import okio.BufferedSink;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** One test per row of the classification table in {@link OAuth2TokenEndpoint}'s Javadoc. */
final class OAuth2TokenEndpointClassificationTest {
  private static final Duration TIMEOUT = Duration.ofSeconds(5);
  private static final Duration SHORT_TIMEOUT = Duration.ofMillis(300);

  private final TokenServer server;
  private final OAuth2TokenEndpoint endpoint;

  OAuth2TokenEndpointClassificationTest() throws Exception {
    server = new TokenServer();
    endpoint = server.endpoint().build();
  }

  @AfterEach
  void stop() {
    server.close();
  }

  private CompletionStage<?> refresh() {
    return endpoint.requestToken(TokenRequest.refresh(REFRESH_TOKEN, Set.of(), TIMEOUT));
  }

  private static MockResponse status(int code) {
    return new MockResponse.Builder().code(code).build();
  }

  // ---- TRANSIENT: the server refused, or the request never left ----

  @Test
  void requestToken_500_isTransient() {
    server.enqueue(status(500));

    TokenEndpointException failure = endpointFailure(refresh());

    assertThat(failure.kind()).isEqualTo(Kind.TRANSIENT);
    assertThat(failure.httpStatus()).isEqualTo(500);
    assertThat(failure.error()).isNull();
    assertThat(failure.retryAfter()).isNull();
  }

  @Test
  void requestToken_502WithHtmlBody_isTransient() {
    server.enqueue(new MockResponse.Builder().code(502).body("<html>Bad Gateway</html>").build());

    TokenEndpointException failure = endpointFailure(refresh());

    assertThat(failure.kind()).isEqualTo(Kind.TRANSIENT);
    assertThat(failure.httpStatus()).isEqualTo(502);
  }

  @Test
  void requestToken_429WithDeltaRetryAfter_isTransientWithRetryAfter() {
    server.enqueue(new MockResponse.Builder().code(429).setHeader("Retry-After", "7").build());

    TokenEndpointException failure = endpointFailure(refresh());

    assertThat(failure.kind()).isEqualTo(Kind.TRANSIENT);
    assertThat(failure.httpStatus()).isEqualTo(429);
    assertThat(failure.retryAfter()).isEqualTo(Duration.ofSeconds(7));
  }

  @Test
  void requestToken_503WithHttpDateRetryAfter_isTransientWithDurationFromClock() {
    // The injected clock says 2030-01-01T00:00:00Z.
    server.enqueue(
        new MockResponse.Builder()
            .code(503)
            .setHeader("Retry-After", "Tue, 01 Jan 2030 00:02:00 GMT")
            .build());

    TokenEndpointException failure = endpointFailure(refresh());

    assertThat(failure.kind()).isEqualTo(Kind.TRANSIENT);
    assertThat(failure.httpStatus()).isEqualTo(503);
    assertThat(failure.retryAfter()).isEqualTo(Duration.ofMinutes(2));
  }

  @Test
  void requestToken_408_isTransient() {
    server.enqueue(status(408));

    TokenEndpointException failure = endpointFailure(refresh());

    assertThat(failure.kind()).isEqualTo(Kind.TRANSIENT);
    assertThat(failure.httpStatus()).isEqualTo(408);
  }

  @Test
  void requestToken_temporarilyUnavailableAt400_isTransient() {
    server.enqueue(json(400, "{\"error\":\"temporarily_unavailable\"}"));

    TokenEndpointException failure = endpointFailure(refresh());

    assertThat(failure.kind()).isEqualTo(Kind.TRANSIENT);
    assertThat(failure.error()).isEqualTo(OAuth2Error.of(OAuth2Error.TEMPORARILY_UNAVAILABLE));
  }

  @Test
  void requestToken_serverErrorCodeAt400_isTransient() {
    server.enqueue(json(400, "{\"error\":\"server_error\"}"));

    TokenEndpointException failure = endpointFailure(refresh());

    assertThat(failure.kind()).isEqualTo(Kind.TRANSIENT);
    assertThat(failure.error()).isEqualTo(OAuth2Error.of(OAuth2Error.SERVER_ERROR));
  }

  @Test
  void requestToken_invalidGrantAt503_isTransientBecauseTheStatusSaysNotNow() {
    server.enqueue(json(503, "{\"error\":\"invalid_grant\"}"));

    TokenEndpointException failure = endpointFailure(refresh());

    assertThat(failure.kind()).isEqualTo(Kind.TRANSIENT);
    assertThat(failure.error()).isEqualTo(OAuth2Error.of(OAuth2Error.INVALID_GRANT));
  }

  @Test
  void requestToken_connectionRefused_isTransient() throws IOException {
    int closedPort;
    try (ServerSocket socket = new ServerSocket(0, 1, TokenServer.LOOPBACK)) {
      closedPort = socket.getLocalPort();
    }
    OAuth2TokenEndpoint refused =
        server.endpoint().tokenUri(URI.create("http://127.0.0.1:" + closedPort + "/token")).build();

    TokenEndpointException failure =
        endpointFailure(
            refused.requestToken(TokenRequest.refresh(REFRESH_TOKEN, Set.of(), TIMEOUT)));

    assertThat(failure.kind()).isEqualTo(Kind.TRANSIENT);
    assertThat(failure.httpStatus()).isZero();
    assertThat(failure.getCause()).isInstanceOf(java.net.ConnectException.class);
  }

  // ---- AMBIGUOUS: the request was sent, no answer was read ----

  @Test
  void requestToken_serverClosesAfterReadingRequest_isAmbiguous() throws Exception {
    server.enqueue(
        new MockResponse.Builder().onResponseStart(new SocketEffect.CloseSocket()).build());

    TokenEndpointException failure = endpointFailure(refresh());

    assertThat(failure.kind()).isEqualTo(Kind.AMBIGUOUS);
    assertThat(failure.httpStatus()).isZero();
    assertThat(failure.getCause()).isInstanceOf(IOException.class);
    // The request did arrive, and it was not sent a second time.
    assertThat(TokenServer.body(server.takeRequest())).contains("refresh_token=" + REFRESH_TOKEN);
    assertThat(server.requestCount()).isEqualTo(1);
  }

  @Test
  void requestToken_noResponseWithinTimeout_isAmbiguous() {
    server.enqueue(new MockResponse.Builder().onResponseStart(SocketEffect.Stall.INSTANCE).build());

    TokenEndpointException failure =
        endpointFailure(
            endpoint.requestToken(TokenRequest.refresh(REFRESH_TOKEN, Set.of(), SHORT_TIMEOUT)));

    assertThat(failure.kind()).isEqualTo(Kind.AMBIGUOUS);
    assertThat(failure.getCause()).isInstanceOf(HttpTimeoutException.class);
  }

  @Test
  void requestToken_bodyStallsAfterHeaders_isAmbiguousWithinTimeout() {
    server.enqueue(
        new MockResponse.Builder()
            .code(200)
            .body(TokenServer.tokenJson())
            .onResponseBody(SocketEffect.Stall.INSTANCE)
            .build());

    TokenEndpointException failure =
        endpointFailure(
            endpoint.requestToken(TokenRequest.refresh(REFRESH_TOKEN, Set.of(), SHORT_TIMEOUT)));

    assertThat(failure.kind()).isEqualTo(Kind.AMBIGUOUS);
    // On JDK 17 HttpRequest.timeout stops at the headers and the endpoint's own body deadline
    // fires (an HttpTimeoutException); newer JDKs time the body out themselves and report a
    // truncated read (a plain IOException). Either way: an I/O failure after sending, ambiguous.
    assertThat(failure.getCause()).isInstanceOf(java.io.IOException.class);
  }

  @Test
  void requestToken_exchangeThatNeverCompletes_isFailedAmbiguousJustAfterTheTimeout() {
    OAuth2TokenEndpoint stuck = server.endpoint().httpClient(new NeverAnsweringClient()).build();

    long started = System.nanoTime();
    TokenEndpointException failure =
        endpointFailure(
            stuck.requestToken(TokenRequest.refresh(REFRESH_TOKEN, Set.of(), SHORT_TIMEOUT)));

    assertThat(failure.kind()).isEqualTo(Kind.AMBIGUOUS);
    assertThat(failure.getMessage()).contains("no complete answer");
    assertThat(java.time.Duration.ofNanos(System.nanoTime() - started))
        .isGreaterThanOrEqualTo(SHORT_TIMEOUT)
        .isLessThan(SHORT_TIMEOUT.plus(TokenExchange.GUARD_GRACE).plusSeconds(5));
  }

  /** An HTTP client whose exchanges never complete, as one JDK 25 exchange was seen to. */
  private static final class NeverAnsweringClient extends java.net.http.HttpClient {
    private final java.net.http.HttpClient delegate = java.net.http.HttpClient.newHttpClient();

    @Override
    public <T> java.util.concurrent.CompletableFuture<java.net.http.HttpResponse<T>> sendAsync(
        java.net.http.HttpRequest request, java.net.http.HttpResponse.BodyHandler<T> handler) {
      return new java.util.concurrent.CompletableFuture<>();
    }

    @Override
    public <T> java.util.concurrent.CompletableFuture<java.net.http.HttpResponse<T>> sendAsync(
        java.net.http.HttpRequest request,
        java.net.http.HttpResponse.BodyHandler<T> handler,
        java.net.http.HttpResponse.PushPromiseHandler<T> push) {
      return new java.util.concurrent.CompletableFuture<>();
    }

    @Override
    public <T> java.net.http.HttpResponse<T> send(
        java.net.http.HttpRequest request, java.net.http.HttpResponse.BodyHandler<T> handler) {
      throw new UnsupportedOperationException();
    }

    @Override
    public java.util.Optional<java.net.CookieHandler> cookieHandler() {
      return delegate.cookieHandler();
    }

    @Override
    public java.util.Optional<java.time.Duration> connectTimeout() {
      return delegate.connectTimeout();
    }

    @Override
    public Redirect followRedirects() {
      return delegate.followRedirects();
    }

    @Override
    public java.util.Optional<java.net.ProxySelector> proxy() {
      return delegate.proxy();
    }

    @Override
    public javax.net.ssl.SSLContext sslContext() {
      return delegate.sslContext();
    }

    @Override
    public javax.net.ssl.SSLParameters sslParameters() {
      return delegate.sslParameters();
    }

    @Override
    public java.util.Optional<java.net.Authenticator> authenticator() {
      return delegate.authenticator();
    }

    @Override
    public Version version() {
      return delegate.version();
    }

    @Override
    public java.util.Optional<java.util.concurrent.Executor> executor() {
      return delegate.executor();
    }
  }

  @Test
  void requestToken_connectionClosedMidBody_isAmbiguous() {
    server.enqueue(
        new MockResponse.Builder()
            .code(200)
            .body(TokenServer.tokenJson())
            .onResponseBody(new SocketEffect.CloseSocket())
            .build());

    TokenEndpointException failure = endpointFailure(refresh());

    assertThat(failure.kind()).isEqualTo(Kind.AMBIGUOUS);
    assertThat(failure.getCause())
        .isInstanceOf(IOException.class)
        .isNotInstanceOf(HttpTimeoutException.class);
  }

  // ---- PERMANENT: the same request will be refused again ----

  @ParameterizedTest
  @ValueSource(
      strings = {
        "invalid_grant",
        "invalid_client",
        "unauthorized_client",
        "unsupported_grant_type",
        "invalid_scope",
        "invalid_request"
      })
  void requestToken_permanentErrorCodeAt400_isPermanent(String code) {
    server.enqueue(json(400, "{\"error\":\"" + code + "\",\"error_description\":\"details\"}"));

    TokenEndpointException failure = endpointFailure(refresh());

    assertThat(failure.kind()).isEqualTo(Kind.PERMANENT);
    assertThat(failure.httpStatus()).isEqualTo(400);
    assertThat(failure.error()).isEqualTo(new OAuth2Error(code, "details", null));
    assertThat(failure.getMessage()).contains(code).doesNotContain("details");
  }

  @Test
  void requestToken_invalidGrant_keepsDescriptionAndUriOutOfTheMessage() {
    server.enqueue(
        json(
            400,
            "{\"error\":\"invalid_grant\",\"error_description\":\"Token is not active\","
                + "\"error_uri\":\"https://idp.example/errors/42\"}"));

    TokenEndpointException failure = endpointFailure(refresh());

    assertThat(failure.kind()).isEqualTo(Kind.PERMANENT);
    assertThat(failure.error())
        .isEqualTo(
            new OAuth2Error(
                "invalid_grant", "Token is not active", "https://idp.example/errors/42"));
    assertThat(failure.getMessage())
        .contains("[invalid_grant]")
        .contains("HTTP 400")
        .doesNotContain("not active")
        .doesNotContain("errors/42");
  }

  @Test
  void requestToken_invalidClientAt401_isPermanent() {
    server.enqueue(json(401, "{\"error\":\"invalid_client\"}"));

    TokenEndpointException failure = endpointFailure(refresh());

    assertThat(failure.kind()).isEqualTo(Kind.PERMANENT);
    assertThat(failure.httpStatus()).isEqualTo(401);
    assertThat(failure.error()).isEqualTo(OAuth2Error.of(OAuth2Error.INVALID_CLIENT));
  }

  @Test
  void requestToken_401ChallengeWithoutBody_isPermanentInvalidClient() {
    server.enqueue(
        new MockResponse.Builder()
            .code(401)
            .setHeader("WWW-Authenticate", "Basic realm=\"token\"")
            .build());

    TokenEndpointException failure = endpointFailure(refresh());

    assertThat(failure.kind()).isEqualTo(Kind.PERMANENT);
    assertThat(failure.error()).isEqualTo(OAuth2Error.of(OAuth2Error.INVALID_CLIENT));
  }

  @Test
  void requestToken_401WithoutChallengeOrBody_isPermanentWithoutError() {
    server.enqueue(status(401));

    TokenEndpointException failure = endpointFailure(refresh());

    assertThat(failure.kind()).isEqualTo(Kind.PERMANENT);
    assertThat(failure.error()).isNull();
  }

  @ParameterizedTest
  @ValueSource(ints = {403, 404, 405, 410, 418, 422})
  void requestToken_unknown4xxWithoutBody_isPermanent(int code) {
    server.enqueue(status(code));

    TokenEndpointException failure = endpointFailure(refresh());

    assertThat(failure.kind()).isEqualTo(Kind.PERMANENT);
    assertThat(failure.httpStatus()).isEqualTo(code);
    assertThat(failure.error()).isNull();
  }

  @Test
  void requestToken_unknownErrorCodeAt400_isPermanentWithTheCode() {
    server.enqueue(json(400, "{\"error\":\"consent_required\"}"));

    TokenEndpointException failure = endpointFailure(refresh());

    assertThat(failure.kind()).isEqualTo(Kind.PERMANENT);
    assertThat(failure.error()).isEqualTo(OAuth2Error.of("consent_required"));
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "bad\\ncode",
        "a sentence rather than a code",
        "",
        "bad_code_that_is_far_longer_than_any_registered_code_would_ever_be_x"
      })
  void requestToken_malformedErrorCode_isIgnored(String code) {
    server.enqueue(json(400, "{\"error\":\"" + code + "\"}"));

    TokenEndpointException failure = endpointFailure(refresh());

    assertThat(failure.kind()).isEqualTo(Kind.PERMANENT);
    assertThat(failure.error()).isNull();
    assertThat(failure.getMessage()).doesNotContain("code");
  }

  @Test
  void requestToken_errorCodeContainingTheRefreshToken_isIgnored() {
    server.enqueue(json(400, "{\"error\":\"x" + REFRESH_TOKEN + "\"}"));

    TokenEndpointException failure = endpointFailure(refresh());

    assertThat(failure.kind()).isEqualTo(Kind.PERMANENT);
    assertThat(failure.error()).isNull();
  }

  @Test
  void requestToken_oversizedErrorBody_isClassifiedByStatusAlone() {
    server.enqueue(
        json(400, "{\"error\":\"invalid_grant\",\"pad\":\"" + "x".repeat(70_000) + "\"}"));

    TokenEndpointException failure = endpointFailure(refresh());

    assertThat(failure.kind()).isEqualTo(Kind.PERMANENT);
    assertThat(failure.error()).isNull();
  }

  @Test
  void requestToken_302_isPermanentAndNotFollowed() {
    server.enqueue(
        new MockResponse.Builder()
            .code(302)
            .setHeader("Location", server.uri("/elsewhere"))
            .build());
    server.enqueue(json(200, TokenServer.tokenJson()));

    TokenEndpointException failure = endpointFailure(refresh());

    assertThat(failure.kind()).isEqualTo(Kind.PERMANENT);
    assertThat(failure.httpStatus()).isEqualTo(302);
    assertThat(server.requestCount()).isEqualTo(1);
  }

  // ---- INVALID_RESPONSE: a 2xx that cannot be used ----

  @ParameterizedTest
  @ValueSource(
      strings = {
        "not json",
        "",
        "[]",
        "[{\"access_token\":\"at\",\"token_type\":\"Bearer\"}]",
        "\"at\"",
        "null",
        "{\"access_token\":\"at\",\"token_type\":\"Bearer\"} trailing",
        "{\"access_token\":\"at\",\"token_type\":\"Bearer\"",
        "{\"token_type\":\"Bearer\",\"expires_in\":3600}",
        "{\"access_token\":\"\",\"token_type\":\"Bearer\"}",
        "{\"access_token\":42,\"token_type\":\"Bearer\"}",
        "{\"access_token\":\"at\",\"expires_in\":3600}",
        "{\"access_token\":\"at\",\"token_type\":\"\"}",
        "{\"access_token\":\"at\",\"token_type\":7}",
        "{\"access_token\":\"at\",\"token_type\":\"Bearer\",\"expires_in\":\"soon\"}",
        "{\"access_token\":\"at\",\"token_type\":\"Bearer\",\"expires_in\":true}",
        "{\"access_token\":\"at\",\"token_type\":\"Bearer\",\"refresh_token\":5}",
        "{\"access_token\":\"at\",\"token_type\":\"Bearer\",\"scope\":[\"a\"]}",
        "{\"access_token\":\"at\",\"access_token\":\"other\",\"token_type\":\"Bearer\"}",
        "{\"error\":\"invalid_grant\"}"
      })
  void requestToken_invalid200Body_isInvalidResponse(String body) {
    server.enqueue(json(200, body));

    TokenEndpointException failure = endpointFailure(refresh());

    assertThat(failure.kind()).isEqualTo(Kind.INVALID_RESPONSE);
    assertThat(failure.httpStatus()).isEqualTo(200);
  }

  @Test
  void requestToken_zeroOrNegativeExpiresIn_isATokenAlreadyExpired_withItsRotationKept() {
    for (String expiresIn : new String[] {"0", "-5"}) {
      server.enqueue(
          json(
              200,
              "{\"access_token\":\"at\",\"token_type\":\"Bearer\",\"refresh_token\":\"rt-2\","
                  + "\"expires_in\":"
                  + expiresIn
                  + "}"));

      TokenResponse response =
          endpoint
              .requestToken(TokenRequest.refresh(REFRESH_TOKEN, Set.of(), TIMEOUT))
              .toCompletableFuture()
              .join();

      assertThat(response.expiresAt()).isEqualTo(response.issuedAt());
      assertThat(response.refreshToken()).isEqualTo("rt-2");
    }
  }

  @Test
  void requestToken_bodyOverLimitWithContentLength_isInvalidResponse() {
    OAuth2TokenEndpoint small = server.endpoint().maxResponseBytes(100).build();
    server.enqueue(
        json(200, "{\"access_token\":\"" + "a".repeat(200) + "\",\"token_type\":\"Bearer\"}"));

    TokenEndpointException failure =
        endpointFailure(small.requestToken(TokenRequest.refresh(REFRESH_TOKEN, Set.of(), TIMEOUT)));

    assertThat(failure.kind()).isEqualTo(Kind.INVALID_RESPONSE);
    assertThat(failure.getMessage()).contains("larger than 100 bytes");
  }

  @Test
  void requestToken_chunkedBodyOverLimit_isInvalidResponse() {
    OAuth2TokenEndpoint small = server.endpoint().maxResponseBytes(100).build();
    server.enqueue(
        new MockResponse.Builder()
            .code(200)
            .chunkedBody(
                "{\"access_token\":\"" + "a".repeat(200) + "\",\"token_type\":\"Bearer\"}", 16)
            .build());

    TokenEndpointException failure =
        endpointFailure(small.requestToken(TokenRequest.refresh(REFRESH_TOKEN, Set.of(), TIMEOUT)));

    assertThat(failure.kind()).isEqualTo(Kind.INVALID_RESPONSE);
  }

  @Test
  void requestToken_endlessBody_stopsReadingAtTheLimit() {
    // If the limit were checked only after reading everything, this would never complete.
    server.enqueue(new MockResponse.Builder().code(200).body(new EndlessBody()).build());

    TokenEndpointException failure = endpointFailure(refresh());

    assertThat(failure.kind()).isEqualTo(Kind.INVALID_RESPONSE);
    assertThat(failure.getMessage())
        .contains("larger than " + OAuth2TokenEndpoint.DEFAULT_MAX_RESPONSE_BYTES + " bytes");
  }

  @Test
  void requestToken_bodyExactlyAtLimit_isAccepted() throws Exception {
    String token = "{\"access_token\":\"at\",\"token_type\":\"Bearer\"}";
    OAuth2TokenEndpoint exact = server.endpoint().maxResponseBytes(token.length()).build();
    server.enqueue(new MockResponse.Builder().code(200).chunkedBody(token, 7).build());

    var response =
        Futures.result(exact.requestToken(TokenRequest.refresh(REFRESH_TOKEN, Set.of(), TIMEOUT)));

    assertThat(response.accessToken()).isEqualTo("at");
  }

  /** A chunked body that never ends, until the client hangs up. */
  private static final class EndlessBody implements MockResponseBody {
    @Override
    public long getContentLength() {
      return -1;
    }

    @Override
    public void writeTo(BufferedSink sink) throws IOException {
      byte[] chunk = new byte[8192];
      java.util.Arrays.fill(chunk, (byte) ' ');
      // Bounded so that a broken client cannot keep the server thread busy forever.
      for (int i = 0; i < 1_000_000; i++) {
        sink.write(chunk);
        sink.flush();
      }
    }
  }
}

package dev.tokenherd.spring.authserver;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.tokenherd.testkit.Closer;
import dev.tokenherd.testkit.StartupTimeout;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The fixture against itself: a real Spring Authorization Server and a real resource server on
 * loopback, driven over HTTP.
 */
final class SpringAuthorizationServerIT {
  // Short enough that the expiry test waits a few seconds; long enough that a loaded machine still
  // calls the resource server before a fresh token expires.
  private static final Duration ACCESS_TOKEN_TTL = Duration.ofSeconds(4);

  private static final Closer closer = new Closer();
  private static final HttpClient http =
      HttpClient.newBuilder().connectTimeout(StartupTimeout.get()).build();
  private static SpringAuthorizationServer authorizationServer;
  private static ResourceServer resourceServer;

  @BeforeAll
  static void start() throws Exception {
    authorizationServer =
        closer.add(
            SpringAuthorizationServer.builder()
                .accessTokenTtl(ACCESS_TOKEN_TTL)
                .refreshTokenTtl(Duration.ofHours(1))
                .start());
    resourceServer = closer.add(ResourceServer.trusting(authorizationServer));
    // The resource server fetches the JWK set on its first token: not inside a test's deadline.
    assertThat(get(authorizationServer.clientCredentialsGrant().accessToken()).statusCode())
        .isEqualTo(200);
  }

  @AfterAll
  static void stop() throws Exception {
    closer.close();
  }

  @BeforeEach
  void forgetEarlierTests() {
    authorizationServer.reset();
    resourceServer.reset();
  }

  @Test
  void clientCredentialsGrant_tokenAcceptedByResourceServer_andRecorded() throws Exception {
    GrantedTokens tokens = authorizationServer.clientCredentialsGrant();

    HttpResponse<String> hello = get(tokens.accessToken());

    assertThat(hello.statusCode()).isEqualTo(200);
    assertThat(hello.body())
        .isEqualTo("hello " + authorizationServer.clientCredentialsClient().clientId());
    assertThat(tokens.refreshToken()).isNull();
    assertExpiresInMatchesTtl(tokens);
    assertThat(tokens.scope().split(" ", -1)).containsExactlyInAnyOrder("api.read", "api.write");
    assertThat(resourceServer.accepted()).isEqualTo(1);
    assertThat(resourceServer.rejected()).isZero();
    assertThat(authorizationServer.tokenRequests())
        .singleElement()
        .satisfies(
            request -> {
              assertThat(request.grantType()).isEqualTo("client_credentials");
              assertThat(request.clientId())
                  .isEqualTo(authorizationServer.clientCredentialsClient().clientId());
              assertThat(request.status()).isEqualTo(200);
              assertThat(request.error()).isNull();
              assertThat(request.refreshTokenReused()).isFalse();
            });
  }

  @Test
  void authorizationCodeGrant_throughFormLoginAndAuthorizeEndpoint_yieldsRefreshToken()
      throws Exception {
    GrantedTokens tokens = authorizationServer.authorizationCodeGrant();

    assertThat(tokens.refreshToken()).isNotBlank();
    assertThat(tokens.tokenType()).isEqualToIgnoringCase("Bearer");
    assertExpiresInMatchesTtl(tokens);
    assertThat(tokens.scope().split(" ", -1)).containsExactlyInAnyOrder("api.read", "api.write");
    assertThat(tokens.toString()).doesNotContain(tokens.accessToken(), tokens.refreshToken());
    // The user's token: the resource server sees the user, not the client.
    HttpResponse<String> hello = get(tokens.accessToken());
    assertThat(hello.statusCode()).isEqualTo(200);
    assertThat(hello.body()).isEqualTo("hello " + authorizationServer.username());
    assertThat(authorizationServer.tokenRequests())
        .singleElement()
        .satisfies(
            request -> {
              assertThat(request.grantType()).isEqualTo("authorization_code");
              assertThat(request.clientId())
                  .isEqualTo(authorizationServer.authorizationCodeClient().clientId());
              assertThat(request.status()).isEqualTo(200);
              assertThat(request.issuedRefreshToken())
                  .isEqualTo(Fingerprints.of(tokens.refreshToken()));
            });
  }

  @Test
  void refreshTokenGrant_rotates_andReplayOfOldTokenIsInvalidGrantCountedAsReuse() {
    GrantedTokens initial = authorizationServer.authorizationCodeGrant();
    String original = initial.refreshToken();

    GrantedTokens refreshed = authorizationServer.refreshTokenGrant(original).tokensOrThrow();
    TokenReply replay = authorizationServer.refreshTokenGrant(original);

    assertThat(refreshed.refreshToken()).isNotBlank().isNotEqualTo(original);
    assertThat(refreshed.accessToken()).isNotEqualTo(initial.accessToken());
    assertThat(replay.status()).isEqualTo(400);
    assertThat(replay.error()).isEqualTo("invalid_grant");
    assertThat(authorizationServer.tokenRequests("refresh_token"))
        .extracting(
            TokenEndpointRequest::status,
            TokenEndpointRequest::presentedRefreshToken,
            TokenEndpointRequest::refreshTokenReused)
        .containsExactly(
            org.assertj.core.groups.Tuple.tuple(200, Fingerprints.of(original), false),
            org.assertj.core.groups.Tuple.tuple(400, Fingerprints.of(original), true));
    assertThat(authorizationServer.invalidGrants()).hasSize(1);
    assertThat(authorizationServer.reusedRefreshTokens())
        .singleElement()
        .satisfies(
            request -> {
              assertThat(request.invalidGrant()).isTrue();
              assertThat(request.clientId())
                  .isEqualTo(authorizationServer.authorizationCodeClient().clientId());
            });
  }

  @Test
  void refreshTokenGrant_afterReplay_newestTokenStillWorks_noFamilyRevocation() {
    // Spring Authorization Server answers a replay with invalid_grant and nothing more: the token
    // that replaced the replayed one stays valid (no revocation of the whole grant).
    String original = authorizationServer.authorizationCodeGrant().refreshToken();
    String rotated = authorizationServer.refreshTokenGrant(original).tokensOrThrow().refreshToken();
    assertThat(authorizationServer.refreshTokenGrant(original).error()).isEqualTo("invalid_grant");

    TokenReply next = authorizationServer.refreshTokenGrant(rotated);

    assertThat(next.status()).isEqualTo(200);
    assertThat(authorizationServer.reusedRefreshTokens()).hasSize(1);
    assertThat(authorizationServer.tokenRequests("refresh_token").get(2).refreshTokenReused())
        .isFalse();
  }

  @Test
  void refreshTokenGrant_concurrentPresentationsOfOneToken_allButTheRotatingOneAreReuse()
      throws Exception {
    String original = authorizationServer.authorizationCodeGrant().refreshToken();
    int presentations = 8;
    ExecutorService pool = Executors.newFixedThreadPool(presentations);
    try {
      CountDownLatch gate = new CountDownLatch(1);
      List<Future<TokenReply>> replies = new ArrayList<>();
      for (int i = 0; i < presentations; i++) {
        replies.add(
            pool.submit(
                () -> {
                  gate.await();
                  return authorizationServer.refreshTokenGrant(original);
                }));
      }
      gate.countDown();
      for (Future<TokenReply> reply : replies) {
        reply.get(StartupTimeout.get().toSeconds(), TimeUnit.SECONDS);
      }
    } finally {
      pool.shutdownNow();
    }

    List<TokenEndpointRequest> refreshes = authorizationServer.tokenRequests("refresh_token");
    assertThat(refreshes).hasSize(presentations);
    assertThat(refreshes).filteredOn(TokenEndpointRequest::succeeded).isNotEmpty();
    // However many the server let through (it does not lock between reading and saving), exactly
    // one presentation rotated the token; every other one is a reuse.
    assertThat(authorizationServer.reusedRefreshTokens()).hasSize(presentations - 1);
    assertThat(refreshes)
        .filteredOn(request -> !request.refreshTokenReused())
        .singleElement()
        .satisfies(request -> assertThat(request.succeeded()).isTrue());
  }

  @Test
  void tokenRequest_withWrongClientSecret_isRecordedAsInvalidClient() throws Exception {
    OAuthClient impostor =
        new OAuthClient(authorizationServer.clientCredentialsClient().clientId(), "wrong");
    HttpRequest request =
        HttpRequest.newBuilder(authorizationServer.tokenUri())
            .timeout(StartupTimeout.get())
            .header("Authorization", impostor.basicAuthorization())
            .header("Content-Type", "application/x-www-form-urlencoded")
            .POST(HttpRequest.BodyPublishers.ofString("grant_type=client_credentials"))
            .build();

    HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString());

    assertThat(response.statusCode()).isEqualTo(401);
    assertThat(response.body()).contains("invalid_client");
    assertThat(authorizationServer.tokenRequests())
        .singleElement()
        .satisfies(
            recorded -> {
              assertThat(recorded.status()).isEqualTo(401);
              assertThat(recorded.error()).isEqualTo("invalid_client");
              assertThat(recorded.clientId()).isEqualTo(impostor.clientId());
              assertThat(recorded.grantType()).isEqualTo("client_credentials");
            });
  }

  @Test
  void accessToken_afterItsExpiry_isRejectedByResourceServer() throws Exception {
    GrantedTokens tokens = authorizationServer.clientCredentialsGrant();
    Instant expiry = tokens.accessTokenExpiry();
    assertThat(get(tokens.accessToken()).statusCode()).isEqualTo(200);

    await("the resource server refuses the expired token")
        .atMost(ACCESS_TOKEN_TTL.plus(Duration.ofSeconds(30)))
        .pollInterval(Duration.ofMillis(200))
        .until(() -> get(tokens.accessToken()).statusCode() == 401);

    // Zero skew: refused only once the exp claim has passed, and accepted every time before.
    assertThat(Instant.now()).isAfterOrEqualTo(expiry);
    assertThat(resourceServer.rejected()).isEqualTo(1);
    assertThat(resourceServer.accepted()).isPositive();
    assertThat(resourceServer.rejections())
        .singleElement()
        .asString()
        .contains("invalid_token")
        .contains("expired");
    // The ledger is not fooled: the token came from one client_credentials request.
    assertThat(authorizationServer.tokenRequests()).hasSize(1);
  }

  @Test
  void grantedTokens_toString_showsFingerprintsOnly() {
    GrantedTokens tokens = authorizationServer.clientCredentialsGrant();
    String jwtPayload = tokens.accessToken().split("\\.", -1)[1];

    assertThat(tokens.toString())
        .doesNotContain(tokens.accessToken())
        .doesNotContain(jwtPayload)
        .contains(Fingerprints.of(tokens.accessToken()));
    assertThat(authorizationServer.clientCredentialsClient().toString())
        .doesNotContain(authorizationServer.clientCredentialsClient().clientSecret());
    assertThat(Base64.getUrlDecoder().decode(jwtPayload)).isNotEmpty();
  }

  /**
   * Spring Authorization Server writes {@code expires_in} as the whole seconds left between the
   * moment it writes the response and the expiry, rounded down: one second short of the TTL as a
   * rule, never more than it.
   */
  private static void assertExpiresInMatchesTtl(GrantedTokens tokens) {
    assertThat(tokens.expiresIn()).isBetween(ACCESS_TOKEN_TTL.minusSeconds(1), ACCESS_TOKEN_TTL);
  }

  private static HttpResponse<String> get(String accessToken)
      throws IOException, InterruptedException {
    URI hello = resourceServer.helloUri();
    return http.send(
        HttpRequest.newBuilder(hello)
            .timeout(StartupTimeout.get())
            .header("Authorization", "Bearer " + accessToken)
            .GET()
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }
}

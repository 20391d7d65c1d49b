package dev.tokenherd.coordinator.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.tokenherd.TokenHerd;
import dev.tokenherd.coordinator.AccessToken;
import dev.tokenherd.coordinator.LostRotationException;
import dev.tokenherd.coordinator.ReauthenticationReason;
import dev.tokenherd.coordinator.ReauthenticationRequiredException;
import dev.tokenherd.coordinator.RefreshPolicy;
import dev.tokenherd.coordinator.Renewal;
import dev.tokenherd.coordinator.TokenCoordinator;
import dev.tokenherd.coordinator.TokenKey;
import dev.tokenherd.coordinator.TokenSet;
import dev.tokenherd.coordinator.TransientRefreshException;
import dev.tokenherd.coordinator.memory.InMemoryChangeFeed;
import dev.tokenherd.coordinator.memory.InMemoryRefreshLock;
import dev.tokenherd.coordinator.memory.InMemoryTokenStore;
import dev.tokenherd.coordinator.oauth2.AuthorizationServerMetadata;
import dev.tokenherd.coordinator.oauth2.ClientAuthentication;
import dev.tokenherd.coordinator.oauth2.OAuth2TokenEndpoint;
import dev.tokenherd.coordinator.spi.TokenEndpoint;
import dev.tokenherd.coordinator.spi.TokenRecord;
import dev.tokenherd.coordinator.testing.FakeServers;
import dev.tokenherd.coordinator.testing.RecordingListener;
import dev.tokenherd.testkit.FakeAuthorizationServer;
import dev.tokenherd.testkit.Fault;
import dev.tokenherd.testkit.RecordedTokenRequest;
import dev.tokenherd.testkit.RecordedTokenRequest.Outcome;
import dev.tokenherd.testkit.RotationMode;
import dev.tokenherd.testkit.ServerStats;
import dev.tokenherd.testkit.TokenGrant;
import java.net.http.HttpClient;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The engine and the OAuth 2.0 client against the fake authorization server over real HTTP, one
 * scenario per rotation mode and fault, on real time.
 */
final class OAuthScenariosTest {
  private static final TokenKey KEY = TokenKey.of("billing-api");
  private static final Clock CLOCK = Clock.systemUTC();

  /**
   * Short retries; an endpoint timeout below the 2 s delay faults, so those are ambiguous, and as
   * long as the 2 s lease allows (3/4 of it), so that on a loaded machine only the delayed answers
   * time out (at 500 ms an ordinary invalid_grant answer sometimes did too).
   */
  private static final RefreshPolicy POLICY =
      Loopback.shortBackoffs()
          .endpointTimeout(Duration.ofMillis(1500))
          .leaseTime(Duration.ofSeconds(2))
          .waitTimeout(Duration.ofSeconds(5))
          .build();

  private final InMemoryChangeFeed feed = new InMemoryChangeFeed();
  private final InMemoryTokenStore store = new InMemoryTokenStore(feed);
  private final RecordingListener listener = new RecordingListener();
  private FakeAuthorizationServer server;
  private TokenHerd herd;

  @AfterEach
  void tearDown() {
    if (herd != null) {
      herd.close();
    }
    if (server != null) {
      server.close();
    }
  }

  private TokenCoordinator start(RotationMode mode) {
    return start(FakeAuthorizationServer.builder().rotationMode(mode), POLICY);
  }

  private TokenCoordinator start(FakeAuthorizationServer.Builder serverBuilder, RefreshPolicy p) {
    server = serverBuilder.start();
    return coordinator(Loopback.endpoint(server), Renewal.refreshToken(), p);
  }

  private TokenCoordinator coordinator(TokenEndpoint endpoint, Renewal renewal, RefreshPolicy p) {
    herd =
        TokenHerd.builder()
            .tokenStore(store)
            .refreshLock(new InMemoryRefreshLock(CLOCK))
            .changeFeed(feed)
            .clock(CLOCK)
            .refreshPolicy(p)
            .listener(listener)
            .workerId("worker-a")
            .build();
    return herd.coordinator(KEY, endpoint, renewal);
  }

  /** Seeds a fresh login whose access token has already expired, so the next call refreshes. */
  private TokenGrant seedExpired(TokenCoordinator coordinator) {
    return FakeServers.seedExpired(server, coordinator, CLOCK.instant());
  }

  private TokenRecord stored() {
    return store.read(KEY).toCompletableFuture().join().orElseThrow();
  }

  private static String storedRefreshToken(TokenRecord record) {
    TokenSet tokens = record.tokens();
    return tokens == null ? null : tokens.refreshToken();
  }

  // --- odd expires_in: a 200 that rotated is kept, whatever lifetime it claims -------------------

  @ParameterizedTest(name = "expires_in {0}")
  @ValueSource(strings = {"0", "-30", "0.0001", "\"0\""})
  void oddExpiresIn_theRotationIsStored_theCallerGetsATypedError_andTheNextCallRefreshesAgain(
      String expiresIn) {
    TokenCoordinator coordinator = start(RotationMode.ROTATE_REVOKE_FAMILY_ON_REUSE);
    TokenGrant seeded = seedExpired(coordinator);
    server.enqueue(Fault.expiresInAfterProcessing(expiresIn));

    // The server rotated and said the new access token is already expired: the caller is not
    // served it, and the new refresh token is what the store holds now.
    assertThatThrownBy(() -> coordinator.tokenAsync().join())
        .hasCauseInstanceOf(TransientRefreshException.class)
        .hasMessageContaining("already expired");
    TokenRecord afterOdd = stored();
    assertThat(storedRefreshToken(afterOdd)).isNotEqualTo(seeded.refreshToken());

    AccessToken next = coordinator.tokenAsync().join();

    assertThat(server.isAccessTokenValid(next.value())).isTrue();
    ServerStats stats = server.stats();
    assertThat(stats.tokenRequests()).isEqualTo(2);
    assertThat(stats.refreshEvents()).isEqualTo(2);
    assertThat(stats.reuseDetections()).isZero();
    assertThat(stats.familiesRevoked()).isZero();
    // the second request presented the rotated refresh token, not the seeded one again
    assertThat(server.requests())
        .extracting(RecordedTokenRequest::refreshTokenFingerprint)
        .hasSize(2)
        .doesNotHaveDuplicates();
  }

  @Test
  void subSecondExpiresIn_isServedForWhatItSays_andTheRotationIsStored() {
    TokenCoordinator coordinator = start(RotationMode.ROTATE_REVOKE_FAMILY_ON_REUSE);
    TokenGrant seeded = seedExpired(coordinator);
    server.enqueue(Fault.expiresInAfterProcessing("0.5"));

    AccessToken token = coordinator.tokenAsync().join();

    assertThat(server.isAccessTokenValid(token.value())).isTrue();
    assertThat(Duration.between(stored().tokens().issuedAt(), token.expiresAt()))
        .isEqualTo(Duration.ofMillis(500));
    assertThat(storedRefreshToken(stored())).isNotEqualTo(seeded.refreshToken());
    assertThat(server.stats().reuseDetections()).isZero();
  }

  @Test
  void missingExpiresIn_isTheDefaultLifetime_andTheRotationIsStored() {
    TokenCoordinator coordinator = start(RotationMode.ROTATE_REVOKE_FAMILY_ON_REUSE);
    TokenGrant seeded = seedExpired(coordinator);
    server.enqueue(Fault.expiresInAfterProcessing(null));
    Instant asked = CLOCK.instant();

    AccessToken token = coordinator.tokenAsync().join();

    assertThat(server.isAccessTokenValid(token.value())).isTrue();
    assertThat(storedRefreshToken(stored())).isNotEqualTo(seeded.refreshToken());
    // OAuth2TokenEndpoint's documented default: five minutes
    assertThat(token.expiresAt())
        .isBetween(asked.plus(Duration.ofMinutes(5)), CLOCK.instant().plus(Duration.ofMinutes(5)));
  }

  // --- every mode --------------------------------------------------------------------------------

  @ParameterizedTest
  @EnumSource(RotationMode.class)
  void everyMode_refreshesTwiceAndKeepsWhatTheServerOmits(RotationMode mode) {
    TokenCoordinator coordinator = start(mode);
    TokenGrant grant = seedExpired(coordinator);

    AccessToken first = coordinator.token();
    String afterFirst = storedRefreshToken(stored());
    AccessToken second = coordinator.rejected(first.value()).join();

    assertThat(server.isAccessTokenValid(first.value())).isTrue();
    assertThat(server.isAccessTokenValid(second.value())).isTrue();
    assertThat(second.value()).isNotEqualTo(first.value());
    assertThat(first.version()).isEqualTo(2);
    assertThat(second.version()).isEqualTo(3);
    // OMIT_REFRESH_TOKEN answers without scope too: the granted ones are kept.
    assertThat(first.scopes()).containsExactlyInAnyOrder("read", "write");
    assertThat(stored().tokens().scopes()).containsExactlyInAnyOrder("read", "write");
    if (mode == RotationMode.NO_ROTATION || mode == RotationMode.OMIT_REFRESH_TOKEN) {
      assertThat(afterFirst).isEqualTo(grant.refreshToken());
      assertThat(storedRefreshToken(stored())).isEqualTo(grant.refreshToken());
    } else {
      assertThat(afterFirst).isNotEqualTo(grant.refreshToken());
      assertThat(storedRefreshToken(stored())).isNotEqualTo(afterFirst);
    }
    assertThat(server.stats().tokenRequests()).isEqualTo(2);
    assertThat(server.stats().refreshEvents()).isEqualTo(2);
    assertThat(server.stats().reuseDetections()).isZero();
    assertThat(coordinator.stats().refreshes()).isEqualTo(2);
  }

  // --- transient failures ------------------------------------------------------------------------

  @Test
  void serviceUnavailable_isRetriedThenSucceeds() {
    TokenCoordinator coordinator = start(RotationMode.ROTATE_REVOKE_FAMILY_ON_REUSE);
    seedExpired(coordinator);
    server.enqueue(Fault.status(503));

    String token = coordinator.accessToken();

    assertThat(server.isAccessTokenValid(token)).isTrue();
    assertThat(server.requests())
        .extracting(RecordedTokenRequest::outcome)
        .containsExactly(Outcome.NOT_PROCESSED, Outcome.REFRESHED);
    assertThat(coordinator.stats().transientFailures()).isEqualTo(1);
    assertThat(server.stats().reuseDetections()).isZero();
  }

  @Test
  void tooManyRequests_retryWaitsAtLeastRetryAfter() {
    TokenCoordinator coordinator = start(RotationMode.ROTATE_REVOKE_FAMILY_ON_REUSE);
    seedExpired(coordinator);
    server.enqueue(Fault.tooManyRequests(Duration.ofSeconds(1)));

    String token = coordinator.accessToken();

    assertThat(server.isAccessTokenValid(token)).isTrue();
    List<RecordedTokenRequest> requests = server.requests();
    assertThat(requests).hasSize(2);
    assertThat(requests.get(0).status()).isEqualTo(429);
    assertThat(Duration.between(requests.get(0).receivedAt(), requests.get(1).receivedAt()))
        .isGreaterThanOrEqualTo(Duration.ofSeconds(1));
  }

  @Test
  void temporarilyUnavailable_isRetriedWhateverTheStatus() {
    TokenCoordinator coordinator = start(RotationMode.ROTATE_REVOKE_FAMILY_ON_REUSE);
    seedExpired(coordinator);
    server.enqueue(Fault.oauthError("temporarily_unavailable", 400));

    String token = coordinator.accessToken();

    assertThat(server.isAccessTokenValid(token)).isTrue();
    assertThat(server.stats().tokenRequests()).isEqualTo(2);
    assertThat(listener.events()).contains("failed billing-api TransientRefreshException retry");
  }

  // --- ambiguous failures: the server rotated, the answer was lost
  // --------------------------------

  static Stream<Arguments> lostAnswers() {
    return Stream.of(
        Arguments.of(Fault.delayAfterProcessing(Duration.ofSeconds(2))),
        Arguments.of(Fault.closeAfterProcessing()),
        Arguments.of(Fault.malformedJsonAfterProcessing()));
  }

  @ParameterizedTest
  @MethodSource("lostAnswers")
  void lostAnswer_revokeFamilyMode_isReportedAsLostRotation(Fault fault) {
    TokenCoordinator coordinator = start(RotationMode.ROTATE_REVOKE_FAMILY_ON_REUSE);
    seedExpired(coordinator);
    server.enqueue(fault);

    assertThatThrownBy(coordinator::accessToken)
        .isInstanceOfSatisfying(
            LostRotationException.class,
            e -> assertThat(e.reason()).isEqualTo(ReauthenticationReason.LOST_ROTATION));

    assertThat(server.stats().refreshEvents()).isEqualTo(1);
    assertThat(server.stats().reuseDetections()).isEqualTo(1);
    assertThat(server.stats().familiesRevoked()).isEqualTo(1);
    assertThat(coordinator.stats().ambiguousFailures()).isEqualTo(1);
    assertThat(coordinator.stats().lostRotations()).isEqualTo(1);
    await()
        .atMost(Duration.ofSeconds(5))
        .untilAsserted(
            () ->
                assertThat(listener.events())
                    .contains("lost-rotation billing-api", "reauth billing-api LOST_ROTATION"));
    // Every later caller gets the same typed error at once, without another request.
    assertThatThrownBy(coordinator::accessToken).isInstanceOf(LostRotationException.class);
    assertThat(server.stats().tokenRequests()).isEqualTo(2);
  }

  @ParameterizedTest
  @MethodSource("lostAnswers")
  void lostAnswer_gracePeriodMode_recoversWithoutReauthentication(Fault fault) {
    TokenCoordinator coordinator = start(RotationMode.ROTATE_WITH_GRACE_PERIOD);
    TokenGrant grant = seedExpired(coordinator);
    server.enqueue(fault);

    String token = coordinator.accessToken();

    assertThat(server.isAccessTokenValid(token)).isTrue();
    assertThat(server.stats().graceReuses()).isEqualTo(1);
    assertThat(server.stats().reuseDetections()).isZero();
    assertThat(coordinator.stats().ambiguousFailures()).isEqualTo(1);
    assertThat(coordinator.stats().lostRotations()).isZero();
    assertThat(storedRefreshToken(stored())).isNotEqualTo(grant.refreshToken());
    // The stored refresh token is the live successor: the next refresh is an ordinary one.
    assertThat(coordinator.rejected(token).join().value()).isNotEqualTo(token);
    assertThat(server.stats().refreshEvents()).isEqualTo(2);
  }

  @Test
  void malformedJson_leavesTheStoredRecordUntouched_andSurfacesATypedError() {
    TokenCoordinator coordinator =
        start(
            FakeAuthorizationServer.builder(),
            POLICY.toBuilder().waitTimeout(Duration.ofMillis(600)).build());
    TokenGrant grant = seedExpired(coordinator);
    TokenRecord before = stored();
    server.failAll(Fault.malformedJson());

    assertThatThrownBy(coordinator::accessToken).isInstanceOf(TransientRefreshException.class);

    TokenRecord after = stored();
    assertThat(after.version()).isEqualTo(before.version());
    assertThat(after.tokens()).isEqualTo(before.tokens());
    assertThat(storedRefreshToken(after)).isEqualTo(grant.refreshToken());
    assertThat(coordinator.stats().ambiguousFailures()).isPositive();
    // The server never processed those requests, so the stored refresh token still works. A call
    // that joins the failing flight before it gives up shares its (transient) failure; a permanent
    // one, such as a lost rotation, would fail this at once.
    server.clearFaults();
    await()
        .atMost(Duration.ofSeconds(5))
        .ignoreExceptionsInstanceOf(TransientRefreshException.class)
        .until(() -> server.isAccessTokenValid(coordinator.accessToken()));
    assertThat(coordinator.stats().lostRotations()).isZero();
  }

  // --- permanent failures ------------------------------------------------------------------------

  @Test
  void invalidGrant_withNoNewerRecord_isRevoked_noMoreRequestsUntilSeeded() {
    TokenCoordinator coordinator = start(RotationMode.ROTATE_REVOKE_FAMILY_ON_REUSE);
    TokenGrant grant = seedExpired(coordinator);
    server.revokeFamilyOf(grant.refreshToken());

    assertThatThrownBy(coordinator::accessToken)
        .isInstanceOfSatisfying(
            ReauthenticationRequiredException.class,
            e -> assertThat(e.reason()).isEqualTo(ReauthenticationReason.REVOKED));
    long requests = server.stats().tokenRequests();
    for (int i = 0; i < 5; i++) {
      assertThatThrownBy(coordinator::accessToken)
          .isInstanceOf(ReauthenticationRequiredException.class);
      assertThat(coordinator.tokenAsync()).isCompletedExceptionally();
    }

    assertThat(requests).isEqualTo(1);
    assertThat(server.stats().tokenRequests()).isEqualTo(requests);
    TokenGrant login = server.issueTokens("read");
    coordinator.seed(FakeServers.tokenSet(login, CLOCK.instant(), login.expiresAt())).join();
    assertThat(coordinator.accessToken()).isEqualTo(login.accessToken());
    assertThat(server.stats().tokenRequests()).isEqualTo(requests);
  }

  @Test
  void wrongClientSecret_isClientRejected() {
    server = FakeAuthorizationServer.builder().start();
    TokenCoordinator coordinator =
        coordinator(
            FakeServers.endpointBuilder(server).clientSecret("wrong").build(),
            Renewal.refreshToken(),
            POLICY);
    seedExpired(coordinator);

    assertThatThrownBy(coordinator::accessToken)
        .isInstanceOfSatisfying(
            ReauthenticationRequiredException.class,
            e -> assertThat(e.reason()).isEqualTo(ReauthenticationReason.CLIENT_REJECTED));
    assertThat(server.stats().invalidClients()).isEqualTo(1);
  }

  // --- client_credentials ------------------------------------------------------------------------

  @Test
  void clientCredentials_discoveredEndpointWithPostAuth_fetchesAndRenewsWithoutRefreshToken() {
    server = FakeAuthorizationServer.builder().start();
    AuthorizationServerMetadata metadata =
        AuthorizationServerMetadata.discover(
                HttpClient.newHttpClient(), server.uri(), Duration.ofSeconds(5))
            .join();
    OAuth2TokenEndpoint endpoint =
        OAuth2TokenEndpoint.builder()
            .metadata(metadata)
            .clientAuthentication(ClientAuthentication.CLIENT_SECRET_POST)
            .clientId(server.clientId())
            .clientSecret(FakeAuthorizationServer.DEFAULT_CLIENT_SECRET)
            .build();
    TokenCoordinator coordinator =
        coordinator(endpoint, Renewal.clientCredentials("jobs:write"), POLICY);

    AccessToken first = coordinator.token();
    AccessToken renewed = coordinator.rejected(first.value()).join();

    assertThat(metadata.tokenEndpoint()).isEqualTo(server.tokenEndpoint());
    assertThat(server.isAccessTokenValid(first.value())).isTrue();
    assertThat(server.isAccessTokenValid(renewed.value())).isTrue();
    assertThat(renewed.value()).isNotEqualTo(first.value());
    assertThat(renewed.scopes()).containsExactly("jobs:write");
    assertThat(server.stats().clientCredentialsGrants()).isEqualTo(2);
    assertThat(server.requests())
        .extracting(RecordedTokenRequest::grantType)
        .containsExactly("client_credentials", "client_credentials");
    assertThat(stored().tokens().refreshToken()).isNull();
  }
}

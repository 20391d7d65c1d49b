package dev.tokenherd.coordinator.internal;

import static java.util.Objects.requireNonNull;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tokenherd.TokenHerd;
import dev.tokenherd.coordinator.AccessToken;
import dev.tokenherd.coordinator.Backoff;
import dev.tokenherd.coordinator.CredentialNotFoundException;
import dev.tokenherd.coordinator.GrantType;
import dev.tokenherd.coordinator.LostRotationException;
import dev.tokenherd.coordinator.ReauthenticationReason;
import dev.tokenherd.coordinator.ReauthenticationRequiredException;
import dev.tokenherd.coordinator.RefreshPolicy;
import dev.tokenherd.coordinator.RefreshTimeoutException;
import dev.tokenherd.coordinator.Renewal;
import dev.tokenherd.coordinator.TokenCoordinator;
import dev.tokenherd.coordinator.TokenKey;
import dev.tokenherd.coordinator.TransientRefreshException;
import dev.tokenherd.coordinator.spi.ForwardingTokenStore.SimpleForwardingTokenStore;
import dev.tokenherd.coordinator.spi.TokenEndpointException;
import dev.tokenherd.coordinator.spi.TokenEndpointException.Kind;
import dev.tokenherd.coordinator.spi.TokenRecord;
import dev.tokenherd.coordinator.spi.TokenRequest;
import dev.tokenherd.coordinator.spi.TokenStatus;
import dev.tokenherd.coordinator.spi.TokenStore;
import dev.tokenherd.coordinator.spi.WriteOutcome;
import dev.tokenherd.coordinator.testing.RecordingListener;
import dev.tokenherd.coordinator.testing.ScriptedTokenEndpoint;
import dev.tokenherd.coordinator.testing.VirtualFleet;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

final class TokenCoordinatorTest {
  private static final TokenKey KEY = TokenKey.of("billing-api");
  private static final Duration HOUR = Duration.ofHours(1);

  private final VirtualFleet fleet = new VirtualFleet();
  private final ScriptedTokenEndpoint endpoint = new ScriptedTokenEndpoint(fleet.clock);
  private final RecordingListener listener = new RecordingListener();
  private final RefreshPolicy policy = RefreshPolicy.ofDefaults();
  private final TokenHerd herd = fleet.worker("worker-a", policy, listener);
  private final TokenCoordinator coordinator = herd.coordinator(KEY, endpoint);

  @AfterEach
  void closeFleet() {
    fleet.close();
  }

  private AccessToken seedOneHour() {
    return coordinator.seed(fleet.tokens("access-0", "refresh-0", HOUR)).join();
  }

  private Optional<TokenRecord> stored() {
    return fleet.store.read(KEY).toCompletableFuture().join();
  }

  private static <T> T done(CompletableFuture<T> future) {
    assertThat(future).isDone();
    return future.join();
  }

  @Test
  void accessToken_fresh_servesSeededTokenWithoutRequests() {
    AccessToken seeded = seedOneHour();

    assertThat(coordinator.accessToken()).isEqualTo("access-0");
    assertThat(done(coordinator.tokenAsync())).isEqualTo(seeded);
    assertThat(coordinator.token().version()).isEqualTo(1);
    assertThat(endpoint.requests()).isEmpty();
  }

  @Test
  void tokenAsync_fresh_returnsTheSameCompletedFutureEveryTime() {
    seedOneHour();

    assertThat(coordinator.tokenAsync()).isSameAs(coordinator.tokenAsync());
  }

  @Test
  void tokenAsync_insideRefreshWindow_servesCurrentTokenAndRefreshesOnceInBackground() {
    seedOneHour();
    CompletableFuture<dev.tokenherd.coordinator.spi.TokenResponse> held = endpoint.hold();
    fleet.advance(Duration.ofMinutes(46)); // past 75 % of the hour

    CompletableFuture<AccessToken> first = coordinator.tokenAsync();
    CompletableFuture<AccessToken> second = coordinator.tokenAsync();

    assertThat(done(first).value()).isEqualTo("access-0");
    assertThat(done(second).value()).isEqualTo("access-0");
    assertThat(endpoint.requests()).hasSize(1);
    assertThat(endpoint.requests().get(0).refreshToken()).isEqualTo("refresh-0");

    held.complete(endpoint.response("access-1", "refresh-1", HOUR));

    assertThat(coordinator.accessToken()).isEqualTo("access-1");
    assertThat(stored().orElseThrow().version()).isEqualTo(2);
    assertThat(listener.events()).containsExactly("refreshed billing-api v2");
  }

  @Test
  void tokenAsync_expired_waitsForOneRefreshSharedByAllCallers() {
    seedOneHour();
    CompletableFuture<dev.tokenherd.coordinator.spi.TokenResponse> held = endpoint.hold();
    fleet.advance(Duration.ofMinutes(61));

    List<CompletableFuture<AccessToken>> callers = new ArrayList<>();
    for (int i = 0; i < 50; i++) {
      callers.add(coordinator.tokenAsync());
    }
    assertThat(callers).allSatisfy(f -> assertThat(f).isNotDone());

    held.complete(endpoint.response("access-1", "refresh-1", HOUR));

    assertThat(callers).allSatisfy(f -> assertThat(done(f).value()).isEqualTo("access-1"));
    assertThat(endpoint.requests()).hasSize(1);
  }

  @Test
  void tokenAsync_withinExpirySkew_isNotServed() {
    seedOneHour();
    endpoint.hold();
    // Default skew is 10 s: 9 s before expiry the token must no longer be handed out.
    fleet.advance(HOUR.minusSeconds(9));

    assertThat(coordinator.tokenAsync()).isNotDone();
  }

  @Test
  void tokenAsync_justBeforeSkew_isServedStale() {
    seedOneHour();
    endpoint.hold();
    fleet.advance(HOUR.minusSeconds(11));

    assertThat(done(coordinator.tokenAsync()).value()).isEqualTo("access-0");
  }

  @Test
  void refreshPolicy_shortLifetime_shrinksSkewToKeepARefreshWindow() {
    RefreshPolicy millisecondServer = policy.toBuilder().expiryPrecision(Duration.ZERO).build();
    Instant issued = VirtualFleet.EPOCH;
    Instant expires = issued.plusSeconds(3);

    assertThat(millisecondServer.refreshAt(issued, expires)).isEqualTo(issued.plusMillis(2250));
    assertThat(millisecondServer.expireAt(issued, expires)).isEqualTo(expires.minusMillis(375));
  }

  @Test
  void
      refreshPolicy_wholeSecondServer_skewIsAtLeastASecondPlusTheRoundTrip_andTheRefreshLandsFirst() {
    Instant issued = VirtualFleet.EPOCH;
    Instant expires = issued.plusSeconds(4);
    Duration roundTrip = Duration.ofMillis(300);

    // Before any refresh was observed: the precision alone.
    assertThat(policy.expireAt(issued, expires)).isEqualTo(expires.minusSeconds(1));
    assertThat(policy.refreshAt(issued, expires)).isEqualTo(issued.plusSeconds(3));
    // With a 300 ms round trip: served until 1.3 s before expiry, refreshed two round trips
    // before that, so that the new token is stored and announced before the old one stops.
    assertThat(policy.expireAt(issued, expires, roundTrip)).isEqualTo(expires.minusMillis(1300));
    assertThat(policy.refreshAt(issued, expires, roundTrip)).isEqualTo(issued.plusMillis(2100));
    // Long-lived tokens keep the configured skew (10 s) and refresh-ahead point (75 %).
    Instant hour = issued.plus(HOUR);
    assertThat(policy.expireAt(issued, hour, roundTrip)).isEqualTo(hour.minusSeconds(10));
    assertThat(policy.refreshAt(issued, hour, roundTrip)).isEqualTo(issued.plusSeconds(2700));
    // A token shorter than twice the margin is served for half its life, then refreshed.
    Instant second = issued.plusSeconds(1);
    assertThat(policy.expireAt(issued, second, roundTrip)).isEqualTo(issued.plusMillis(500));
    assertThat(policy.refreshAt(issued, second, roundTrip)).isEqualTo(issued.plusMillis(500));
  }

  @Test
  void backgroundRetry_transientFailures_followTheBackoffScheduleWithoutBlockingCallers() {
    seedOneHour();
    endpoint
        .fail(Kind.TRANSIENT, null, null)
        .fail(Kind.TRANSIENT, null, null)
        .fail(Kind.TRANSIENT, null, null)
        .issue(HOUR);
    fleet.advance(Duration.ofMinutes(46));
    Instant start = fleet.clock.instant();

    assertThat(done(coordinator.tokenAsync()).value()).isEqualTo("access-0");
    List<Instant> attempts = new ArrayList<>();
    attempts.add(fleet.clock.instant());
    while (endpoint.remaining() > 0) {
      Instant next = fleet.scheduler.nextDue();
      assertThat(next).as("a retry is scheduled").isNotNull();
      fleet.scheduler.advance(Duration.between(fleet.clock.instant(), next));
      if (endpoint.requests().size() > attempts.size()) {
        attempts.add(fleet.clock.instant());
        // Callers are never blocked while the token is still valid.
        assertThat(coordinator.tokenAsync()).isDone();
      }
    }

    assertThat(endpoint.requests()).hasSize(4);
    assertThat(coordinator.accessToken()).isEqualTo("access-1");
    // Exponential: gaps grow (250 ms base, doubling, jitter +-50 %).
    Duration first = Duration.between(attempts.get(0), attempts.get(1));
    Duration second = Duration.between(attempts.get(1), attempts.get(2));
    Duration third = Duration.between(attempts.get(2), attempts.get(3));
    assertThat(first).isBetween(Duration.ofMillis(125), Duration.ofMillis(375));
    assertThat(second).isBetween(Duration.ofMillis(250), Duration.ofMillis(750));
    assertThat(third).isBetween(Duration.ofMillis(500), Duration.ofMillis(1500));
    assertThat(attempts.get(0)).isEqualTo(start);
    assertThat(coordinator.stats().transientFailures()).isEqualTo(3);
    assertThat(listener.events()).startsWith("failed billing-api TransientRefreshException retry");
  }

  @Test
  void backgroundRetry_retryAfter_isHonoured() {
    seedOneHour();
    endpoint.fail(Kind.TRANSIENT, null, Duration.ofSeconds(30)).issue(HOUR);
    fleet.advance(Duration.ofMinutes(46));

    var ignored = coordinator.tokenAsync();
    fleet.advance(Duration.ofSeconds(29));
    assertThat(endpoint.requests()).hasSize(1);
    fleet.advance(Duration.ofSeconds(2));

    assertThat(endpoint.requests()).hasSize(2);
    assertThat(coordinator.accessToken()).isEqualTo("access-1");
  }

  @Test
  void backgroundRetry_keepsGoingUntilExpiryThenCallersGetATypedRetryableError() {
    seedOneHour();
    for (int i = 0; i < 100; i++) {
      endpoint.fail(Kind.TRANSIENT, null, null);
    }
    fleet.advance(Duration.ofMinutes(46));
    var ignored = coordinator.tokenAsync();

    fleet.advance(Duration.ofMinutes(13)); // still before expiry - skew
    assertThat(done(coordinator.tokenAsync()).value()).isEqualTo("access-0");
    int requestsBeforeExpiry = endpoint.requests().size();
    assertThat(requestsBeforeExpiry).isGreaterThan(5);

    fleet.advance(Duration.ofMinutes(2)); // past expiry: the background flight gave up
    CompletableFuture<AccessToken> waiting = coordinator.tokenAsync();
    fleet.advance(policy.waitTimeout());

    assertThat(waiting).isCompletedExceptionally();
    assertThatThrownBy(waiting::join)
        .isInstanceOf(CompletionException.class)
        .cause()
        .isInstanceOf(TransientRefreshException.class)
        .satisfies(e -> assertThat(((TransientRefreshException) e).isRetryable()).isTrue());
  }

  @Test
  void tokenAsync_expiredAndEndpointSilent_failsAtTheDeadline() {
    seedOneHour();
    endpoint.hold();
    fleet.advance(Duration.ofMinutes(61));

    CompletableFuture<AccessToken> waiting = coordinator.tokenAsync();
    fleet.advance(policy.waitTimeout().minusMillis(1));
    assertThat(waiting).isNotDone();
    fleet.advance(Duration.ofMillis(1));

    assertThatThrownBy(waiting::join).cause().isInstanceOf(RefreshTimeoutException.class);
    assertThat(coordinator.stats().callerTimeouts()).isEqualTo(1);
  }

  @Test
  void refresh_responseOmitsRefreshTokenAndScope_keepsTheOldOnes() {
    seedOneHour();
    endpoint.answer(req -> endpoint.response("access-1", null, HOUR));
    fleet.advance(Duration.ofMinutes(61));

    done(coordinator.tokenAsync());

    var tokens = stored().orElseThrow().tokens();
    assertThat(tokens).isNotNull();
    assertThat(tokens.accessToken()).isEqualTo("access-1");
    assertThat(tokens.refreshToken()).isEqualTo("refresh-0");
    assertThat(tokens.scopes()).containsExactly("read");
  }

  @Test
  void refresh_usesTheRefreshTokenReadFromTheStoreUnderTheLock() {
    seedOneHour();
    // Another worker rotated behind our back; our cache still holds version 1.
    TokenRecord newer =
        TokenRecord.seeded(
            fleet.tokens("access-9", "refresh-9", Duration.ofMinutes(10)),
            2,
            0,
            "elsewhere",
            fleet.clock.instant(),
            fleet.generation(KEY));
    fleet.store.compareAndSet(KEY, 1, newer);
    endpoint.issue(HOUR);
    fleet.advance(Duration.ofMinutes(61));

    done(coordinator.tokenAsync());

    assertThat(endpoint.requests())
        .extracting(TokenRequest::refreshToken)
        .containsExactly("refresh-9");
  }

  @Test
  void invalidGrant_noNewerRecord_marksReauthenticationRequiredAndStopsRequests() {
    seedOneHour();
    endpoint.fail(Kind.PERMANENT, "invalid_grant", null);
    fleet.advance(Duration.ofMinutes(61));

    CompletableFuture<AccessToken> first = coordinator.tokenAsync();

    assertThatThrownBy(first::join)
        .cause()
        .isInstanceOf(ReauthenticationRequiredException.class)
        .isNotInstanceOf(LostRotationException.class)
        .hasMessageContaining("invalid_grant");
    TokenRecord record = stored().orElseThrow();
    assertThat(record.status()).isEqualTo(TokenStatus.REAUTH_REQUIRED);
    assertThat(record.tokens()).isNull();
    for (int i = 0; i < 10; i++) {
      assertThatThrownBy(coordinator::accessToken)
          .isInstanceOf(ReauthenticationRequiredException.class);
    }
    fleet.advance(Duration.ofMinutes(5));
    assertThat(endpoint.requests()).hasSize(1);
    assertThat(listener.events()).contains("reauth billing-api REVOKED");
  }

  @Test
  void seed_afterReauthenticationRequired_clearsIt() {
    seedOneHour();
    endpoint.fail(Kind.PERMANENT, "invalid_grant", null);
    fleet.advance(Duration.ofMinutes(61));
    coordinator.tokenAsync().exceptionally(e -> null).join();

    coordinator.seed(fleet.tokens("access-new", "refresh-new", HOUR)).join();

    assertThat(coordinator.accessToken()).isEqualTo("access-new");
    assertThat(stored().orElseThrow().status()).isEqualTo(TokenStatus.ACTIVE);
  }

  @Test
  void invalidGrant_afterANewerRecordWasStored_adoptsItAsARace() {
    seedOneHour();
    TokenCoordinator operator =
        fleet.worker("operator", policy, listener).coordinator(KEY, endpoint);
    fleet.advance(Duration.ofMinutes(61));
    endpoint.answer(
        request -> {
          // While our request is in flight, an operator seeds a new login from another worker.
          operator.seed(fleet.tokens("access-other", "refresh-other", HOUR)).join();
          throw TokenEndpointException.builder()
              .kind(Kind.PERMANENT)
              .message("rotated")
              .httpStatus(400)
              .error(dev.tokenherd.coordinator.OAuth2Error.of("invalid_grant"))
              .build();
        });

    assertThat(done(coordinator.tokenAsync()).value()).isEqualTo("access-other");
    assertThat(stored().orElseThrow().status()).isEqualTo(TokenStatus.ACTIVE);
    assertThat(endpoint.requests()).hasSize(1);
  }

  @Test
  void ambiguousFailureThenInvalidGrant_isReportedAsLostRotation() {
    seedOneHour();
    endpoint.fail(Kind.AMBIGUOUS, null, null).fail(Kind.PERMANENT, "invalid_grant", null);
    fleet.advance(Duration.ofMinutes(61));

    CompletableFuture<AccessToken> waiting = coordinator.tokenAsync();
    fleet.advance(Duration.ofSeconds(1));

    assertThatThrownBy(waiting::join).cause().isInstanceOf(LostRotationException.class);
    assertThat(stored().orElseThrow().reauthReason())
        .isEqualTo(ReauthenticationReason.LOST_ROTATION);
    assertThat(coordinator.stats().ambiguousFailures()).isEqualTo(1);
    assertThat(coordinator.stats().lostRotations()).isEqualTo(1);
    assertThat(listener.events()).contains("lost-rotation billing-api");
  }

  @Test
  void transientFailure_clearsTheRefreshMark() {
    seedOneHour();
    endpoint.fail(Kind.TRANSIENT, null, null).hold();
    fleet.advance(Duration.ofMinutes(46));
    var ignored = coordinator.tokenAsync();

    assertThat(stored().orElseThrow().refreshing()).isNull();
    fleet.advance(Duration.ofSeconds(1));
    assertThat(stored().orElseThrow().refreshing()).isNotNull(); // the second attempt's mark
  }

  @Test
  void malformedResponse_leavesTheStoredRecordUntouched() {
    seedOneHour();
    endpoint.fail(Kind.INVALID_RESPONSE, null, null).hold();
    fleet.advance(Duration.ofMinutes(46));
    TokenRecord before = stored().orElseThrow();

    var ignored = coordinator.tokenAsync();

    TokenRecord after = stored().orElseThrow();
    assertThat(after.version()).isEqualTo(before.version());
    assertThat(after.tokens()).isEqualTo(before.tokens());
    assertThat(coordinator.stats().ambiguousFailures()).isEqualTo(1);
    assertThat(coordinator.accessToken()).isEqualTo("access-0");
  }

  @Test
  void rejected_currentToken_refreshesOnceThenServesTheNewOne() {
    seedOneHour();
    endpoint.issue(HOUR);

    AccessToken replaced = done(coordinator.rejected("access-0"));
    AccessToken again = done(coordinator.rejected("access-0"));

    assertThat(replaced.value()).isEqualTo("access-1");
    assertThat(again).isEqualTo(replaced);
    assertThat(endpoint.requests()).hasSize(1);
  }

  @Test
  void rejected_everyTokenInTurn_refreshesOncePerCooldown() {
    coordinator.seed(fleet.tokens("access-0", "refresh-0", HOUR)).join();
    endpoint.issue(HOUR).issue(HOUR);

    AccessToken first = done(coordinator.rejected("access-0"));
    // A resource server that refuses every token: the new one is rejected at once too.
    AccessToken second = done(coordinator.rejected(first.value()));
    assertThat(second.value()).isEqualTo(first.value());
    assertThat(endpoint.requests()).hasSize(1);

    fleet.advance(TokenCoordinator.REJECTION_COOLDOWN);
    AccessToken third = done(coordinator.rejected(first.value()));
    assertThat(third.value()).isNotEqualTo(first.value());
    assertThat(endpoint.requests()).hasSize(2);
  }

  @Test
  void rejected_tokenAlreadyReplacedInStore_adoptsWithoutRequest() {
    seedOneHour();
    TokenHerd other = fleet.worker("worker-b", policy, listener);
    TokenCoordinator otherCoordinator = other.coordinator(KEY, endpoint);
    endpoint.issue(HOUR);
    assertThat(done(otherCoordinator.rejected("access-0")).value()).isEqualTo("access-1");

    assertThat(done(coordinator.rejected("access-0")).value()).isEqualTo("access-1");
    assertThat(endpoint.requests()).hasSize(1);
  }

  @Test
  void twoWorkers_expiredTogether_sendOneRequestAndBothServeTheNewToken() {
    seedOneHour();
    TokenCoordinator other = fleet.worker("worker-b", policy, listener).coordinator(KEY, endpoint);
    assertThat(other.accessToken()).isEqualTo("access-0");
    CompletableFuture<dev.tokenherd.coordinator.spi.TokenResponse> held = endpoint.hold();
    fleet.advance(Duration.ofMinutes(61));

    CompletableFuture<AccessToken> mine = coordinator.tokenAsync();
    CompletableFuture<AccessToken> theirs = other.tokenAsync();
    held.complete(endpoint.response("access-1", "refresh-1", HOUR));

    assertThat(done(mine).value()).isEqualTo("access-1");
    assertThat(done(theirs).value()).isEqualTo("access-1");
    assertThat(endpoint.requests()).hasSize(1);
    assertThat(other.stats().lockContended()).isEqualTo(1);
    assertThat(other.stats().adoptions()).as("the seed, then the refresh").isEqualTo(2);
  }

  @Test
  void fencing_holderStalledPastItsLease_hasItsWriteRejectedAndAdoptsTheNewerRecord() {
    RefreshPolicy shortLease =
        policy.toBuilder()
            .leaseTime(Duration.ofSeconds(8))
            .endpointTimeout(Duration.ofSeconds(6))
            .build();
    TokenHerd slowHerd = fleet.worker("slow", shortLease, listener);
    TokenHerd fastHerd = fleet.worker("fast", shortLease, listener);
    ScriptedTokenEndpoint slowEndpoint = new ScriptedTokenEndpoint(fleet.clock);
    TokenCoordinator slow = slowHerd.coordinator(KEY, slowEndpoint);
    TokenCoordinator fast = fastHerd.coordinator(KEY, endpoint);
    slow.seed(fleet.tokens("access-0", "refresh-0", HOUR)).join();
    CompletableFuture<dev.tokenherd.coordinator.spi.TokenResponse> stalled = slowEndpoint.hold();
    fleet.advance(Duration.ofMinutes(46));
    var ignored = slow.tokenAsync(); // the slow worker takes the lease (fence 1) and stalls

    // Its lease runs out, and so does its mark, which holds other holders off for the lease and
    // the rotation budget after it (8 + 8 s). The endpoint backstop would fire too; the stalled
    // answer still comes late, after the fast worker refreshed under fence 2.
    var unused = fleet.clock.advance(Duration.ofSeconds(17));
    endpoint.issue(HOUR);
    assertThat(done(fast.rejected("access-0")).value()).isEqualTo("access-1");
    long versionAfterFast = stored().orElseThrow().version();
    stalled.complete(slowEndpoint.response("access-stale", "refresh-stale", HOUR));
    fleet.scheduler.runDue();

    TokenRecord record = stored().orElseThrow();
    assertThat(record.version()).isEqualTo(versionAfterFast);
    assertThat(record.tokens().accessToken()).isEqualTo("access-1");
    assertThat(slow.stats().fencedWritesRejected()).isEqualTo(1);
    assertThat(slow.accessToken()).isEqualTo("access-1");
    assertThat(listener.events()).contains("fenced billing-api 1");
  }

  @Test
  void clientCredentials_noRecord_fetchesTheFirstTokenAndStoresNoRefreshToken() {
    TokenCoordinator app =
        herd.coordinator(TokenKey.of("app"), endpoint, Renewal.clientCredentials("jobs"));
    endpoint.answer(req -> endpoint.response("cc-1", "ignored-refresh", HOUR));

    AccessToken token = done(app.tokenAsync());

    assertThat(token.value()).isEqualTo("cc-1");
    assertThat(endpoint.requests().get(0).grantType()).isEqualTo(GrantType.CLIENT_CREDENTIALS);
    assertThat(endpoint.requests().get(0).scopes()).containsExactly("jobs");
    TokenRecord record =
        fleet.store.read(TokenKey.of("app")).toCompletableFuture().join().orElseThrow();
    assertThat(record.tokens().refreshToken()).isNull();
    assertThat(record.tokens().scopes()).containsExactly("jobs");
  }

  @Test
  void clientCredentials_expired_renewsWithTheSameGrant() {
    TokenCoordinator app =
        herd.coordinator(TokenKey.of("app"), endpoint, Renewal.clientCredentials());
    endpoint.issue(HOUR).issue(HOUR);
    done(app.tokenAsync());
    fleet.advance(Duration.ofMinutes(61));

    assertThat(done(app.tokenAsync()).value()).isEqualTo("access-2");
    assertThat(endpoint.requests())
        .extracting(TokenRequest::grantType)
        .containsOnly(GrantType.CLIENT_CREDENTIALS);
  }

  @Test
  void tokenAsync_nothingSeeded_failsWithCredentialNotFound() {
    assertThatThrownBy(coordinator::accessToken).isInstanceOf(CredentialNotFoundException.class);
    assertThat(endpoint.requests()).isEmpty();
  }

  @Test
  void refresh_seededWithoutRefreshToken_marksNotRenewable() {
    coordinator
        .seed(
            dev.tokenherd.coordinator.TokenSet.builder()
                .accessToken("only-access")
                .issuedAt(fleet.clock.instant())
                .expiresAt(fleet.clock.instant().plus(HOUR))
                .build())
        .join();
    fleet.advance(Duration.ofMinutes(61));

    assertThatThrownBy(coordinator::accessToken)
        .isInstanceOfSatisfying(
            ReauthenticationRequiredException.class,
            e -> assertThat(e.reason()).isEqualTo(ReauthenticationReason.NOT_RENEWABLE));
    assertThat(endpoint.requests()).isEmpty();
  }

  @Test
  void storeUnavailable_servesCachedTokenUntilExpiryThenTypedRetryableError() {
    var failing = new FlakyStore(fleet.store);
    TokenHerd flaky = fleet.worker("flaky", policy, listener, failing, fleet.lock, fleet.feed);
    TokenCoordinator c = flaky.coordinator(KEY, endpoint);
    c.seed(fleet.tokens("access-0", "refresh-0", HOUR)).join();
    failing.down = true;
    fleet.advance(Duration.ofMinutes(50));

    assertThat(c.accessToken()).isEqualTo("access-0");
    fleet.advance(Duration.ofMinutes(11));
    CompletableFuture<AccessToken> waiting = c.tokenAsync();
    fleet.advance(policy.waitTimeout());

    assertThatThrownBy(waiting::join).cause().isInstanceOf(TransientRefreshException.class);

    failing.down = false;
    endpoint.issue(HOUR);
    CompletableFuture<AccessToken> recovered = c.tokenAsync();
    assertThat(done(recovered).value()).isEqualTo("access-1");
  }

  @Test
  void expiryTimerLate_staleEntryPastItsExpiry_isNotServed() {
    seedOneHour();
    fleet.advance(Duration.ofMinutes(50));
    endpoint.issue(HOUR);
    // Time passes the expiry, but the starved scheduler has not run the expiry timer yet.
    fleet.clock.advance(Duration.ofMinutes(11));

    CompletableFuture<AccessToken> served = coordinator.tokenAsync();

    assertThat(done(served).value()).isEqualTo("access-1");
  }

  @Test
  void failoverToALaggingReplica_reauthAtAVersionAlreadyCached_isStillInstalledFleetWide() {
    var store = new FailoverStore(fleet.store);
    TokenCoordinator a =
        fleet
            .worker("a", policy, listener, store, fleet.lock, fleet.feed)
            .coordinator(KEY, endpoint);
    RecordingListener bEvents = new RecordingListener();
    TokenCoordinator b =
        fleet
            .worker("b", policy, bEvents, store, fleet.lock, fleet.feed)
            .coordinator(KEY, endpoint);
    a.seed(fleet.tokens("access-0", "refresh-0", HOUR)).join();
    // The replica has version 1 only: replication stopped before the rotation below.
    var replica = new dev.tokenherd.coordinator.memory.InMemoryTokenStore(fleet.feed, fleet.clock);
    TokenRecord v1 = fleet.store.read(KEY).toCompletableFuture().join().orElseThrow();
    assertThat(replica.compareAndSet(KEY, 0, v1).toCompletableFuture().join().applied()).isTrue();
    fleet.advance(Duration.ofMinutes(30));
    endpoint.issue(HOUR);
    done(a.rejected("access-0"));
    assertThat(b.accessToken()).isEqualTo("access-1");

    store.current = replica; // the failover: version 2 (refresh-1) is lost
    fleet.advance(Duration.ofMinutes(31));
    endpoint.fail(Kind.PERMANENT, "invalid_grant", null);
    TokenCoordinator c =
        fleet
            .worker("c", policy, listener, store, fleet.lock, fleet.feed)
            .coordinator(KEY, endpoint);
    assertThatThrownBy(() -> c.tokenAsync().join())
        .cause()
        .isInstanceOf(ReauthenticationRequiredException.class);

    // The replica's re-authentication record is version 2 again; b cached the lost version 2.
    assertThatThrownBy(b::accessToken).isInstanceOf(ReauthenticationRequiredException.class);
    assertThat(bEvents.events()).anyMatch(e -> e.startsWith("reauth"));
  }

  @Test
  void storeLostJustAfterTheServerRotated_keepsTheRotationAndRetriesItsWrite() {
    var failing = new FlakyStore(fleet.store);
    TokenHerd flaky = fleet.worker("flaky", policy, listener, failing, fleet.lock, fleet.feed);
    TokenCoordinator c = flaky.coordinator(KEY, endpoint);
    c.seed(fleet.tokens("access-0", "refresh-0", HOUR)).join();
    endpoint.issue(HOUR);
    failing.failContentWrites.set(3);
    fleet.advance(Duration.ofMinutes(61));

    CompletableFuture<AccessToken> waiting = c.tokenAsync();
    fleet.advance(Duration.ofSeconds(5));

    // One token request: the rotation was stored once the store came back, never thrown away
    // (throwing it away would present the rotated-away refresh-0 on the next attempt).
    assertThat(done(waiting).value()).isEqualTo("access-1");
    assertThat(endpoint.requests()).hasSize(1);
    assertThat(failing.failContentWrites).hasValue(0);
    assertThat(c.stats().refreshes()).isOne();
    assertThat(c.stats().lostRotations()).isZero();
    assertThat(fleet.store.read(KEY).toCompletableFuture().join().orElseThrow().version())
        .isEqualTo(2);
  }

  @Test
  void storeGoneForLongerThanALease_givesUpOnTheRotationWithATypedError() {
    var failing = new FlakyStore(fleet.store);
    TokenHerd flaky = fleet.worker("flaky", policy, listener, failing, fleet.lock, fleet.feed);
    TokenCoordinator c = flaky.coordinator(KEY, endpoint);
    c.seed(fleet.tokens("access-0", "refresh-0", HOUR)).join();
    endpoint.issue(HOUR);
    failing.failContentWrites.set(Integer.MAX_VALUE);
    fleet.advance(Duration.ofMinutes(61));

    CompletableFuture<AccessToken> waiting = c.tokenAsync();
    fleet.advance(policy.leaseTime().plus(policy.waitTimeout()));

    assertThatThrownBy(waiting::join).cause().isInstanceOf(TransientRefreshException.class);
    assertThat(endpoint.requests()).hasSize(1);
  }

  @Test
  void listenerThatThrows_doesNotBreakRefresh() {
    TokenHerd noisy =
        fleet.worker(
            "noisy",
            policy,
            new dev.tokenherd.coordinator.RefreshListener() {
              @Override
              public void onRefreshed(TokenKey key, AccessToken token) {
                throw new IllegalStateException("listener bug");
              }
            });
    TokenCoordinator c = noisy.coordinator(KEY, endpoint);
    c.seed(fleet.tokens("access-0", "refresh-0", HOUR)).join();
    endpoint.issue(HOUR);
    fleet.advance(Duration.ofMinutes(61));

    assertThat(done(c.tokenAsync()).value()).isEqualTo("access-1");
  }

  @Test
  void changeFeed_anotherWorkersRefresh_isPickedUpWithoutAsking() {
    seedOneHour();
    TokenCoordinator other = fleet.worker("worker-b", policy, listener).coordinator(KEY, endpoint);
    endpoint.issue(HOUR);

    done(other.rejected("access-0"));

    assertThat(coordinator.accessToken()).isEqualTo("access-1");
    assertThat(endpoint.requests()).hasSize(1);
  }

  @Test
  void reauthentication_isSeenByEveryWorkerThroughTheFeed() {
    seedOneHour();
    TokenCoordinator other = fleet.worker("worker-b", policy, listener).coordinator(KEY, endpoint);
    assertThat(other.accessToken()).isEqualTo("access-0");
    endpoint.fail(Kind.PERMANENT, "invalid_grant", null);

    coordinator.rejected("access-0").exceptionally(e -> null).join();

    assertThatThrownBy(other::accessToken).isInstanceOf(ReauthenticationRequiredException.class);
    assertThat(endpoint.requests()).hasSize(1);
  }

  @Test
  void herd_sameKeyWithAnotherEndpoint_isRejected() {
    ScriptedTokenEndpoint another = new ScriptedTokenEndpoint(fleet.clock);

    assertThat(herd.coordinator(KEY, endpoint)).isSameAs(coordinator);
    assertThatThrownBy(() -> herd.coordinator(KEY, another))
        .isInstanceOf(IllegalStateException.class);
  }

  @Test
  void close_whileTheServerIsAnswering_waitsForTheRotationToBeStored() throws Exception {
    seedOneHour();
    TokenHerd closing =
        TokenHerd.builder()
            .tokenStore(fleet.store)
            .refreshLock(fleet.lock)
            .changeFeed(fleet.feed)
            .clock(fleet.clock)
            .scheduler(fleet.scheduler)
            .executor(Runnable::run)
            .refreshPolicy(policy)
            .workerId("rolling-deploy")
            .closeTimeout(Duration.ofSeconds(30))
            .build();
    TokenCoordinator c = closing.coordinator(KEY, endpoint);
    CompletableFuture<dev.tokenherd.coordinator.spi.TokenResponse> held = endpoint.hold();
    fleet.advance(Duration.ofMinutes(61));
    CompletableFuture<AccessToken> caller = c.tokenAsync();
    assertThat(endpoint.requests()).hasSize(1);

    CompletableFuture<Void> closed = CompletableFuture.runAsync(closing::close);
    assertThat(caller).failsWithin(Duration.ofSeconds(5));
    assertThat(closed).isNotDone();
    held.complete(endpoint.response("access-1", "refresh-1", HOUR));
    closed.get(5, java.util.concurrent.TimeUnit.SECONDS);

    TokenRecord stored = fleet.store.read(KEY).toCompletableFuture().join().orElseThrow();
    assertThat(stored.version()).isEqualTo(2);
    assertThat(requireNonNull(stored.tokens()).refreshToken()).isEqualTo("refresh-1");
  }

  @Test
  void closedHerd_rejectsNewCoordinatorsAndFailsCallers() {
    herd.close();

    assertThatThrownBy(() -> herd.coordinator(TokenKey.of("other"), endpoint))
        .isInstanceOf(IllegalStateException.class);
    assertThat(coordinator.tokenAsync()).isCompletedExceptionally();
  }

  @Test
  void ambiguousOnly_isRetriedAndCountedSeparately() {
    seedOneHour();
    endpoint.fail(Kind.AMBIGUOUS, null, null).issue(HOUR);
    fleet.advance(Duration.ofMinutes(46));
    var ignored = coordinator.tokenAsync();
    fleet.advance(Duration.ofSeconds(1));

    assertThat(coordinator.accessToken()).isEqualTo("access-1");
    assertThat(coordinator.stats().ambiguousFailures()).isEqualTo(1);
    assertThat(coordinator.stats().transientFailures()).isZero();
    assertThat(listener.events()).contains("failed billing-api AmbiguousRefreshException retry");
  }

  @Test
  void backoff_jitterStaysWithinBoundsAndCapsAtMax() {
    Backoff backoff = new Backoff(Duration.ofMillis(100), Duration.ofSeconds(1), 2.0, 0.5);
    var random = new java.util.SplittableRandom(7);

    for (int attempt = 1; attempt < 20; attempt++) {
      double base = Math.min(1000, 100 * Math.pow(2, attempt - 1));
      Duration d = backoff.delay(attempt, random);
      assertThat(d.toMillis())
          .isBetween((long) (base * 0.5) - 1, (long) Math.min(1000, base * 1.5));
    }
    assertThatThrownBy(() -> backoff.delay(0, random)).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void refreshPolicy_endpointTimeoutLongerThanLease_isRejected() {
    assertThatThrownBy(
            () ->
                RefreshPolicy.builder()
                    .leaseTime(Duration.ofSeconds(10))
                    .endpointTimeout(Duration.ofSeconds(9))
                    .build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("3/4 of leaseTime");
  }

  @Test
  void seed_storesTheTokenSetForTheFleet() {
    AccessToken seeded = seedOneHour();

    TokenRecord record = stored().orElseThrow();
    assertThat(record.version()).isEqualTo(1);
    assertThat(record.writer()).isEqualTo("worker-a");
    assertThat(record.tokens().scopes()).isEqualTo(Set.of("read"));
    assertThat(seeded.version()).isEqualTo(1);
  }

  /** A store whose writes are confirmed by no replica of the one asked for, where {@code short}. */
  private TokenStore shortWhere(Predicate<TokenRecord> isShort) {
    return new SimpleForwardingTokenStore(fleet.store) {
      @Override
      public CompletionStage<dev.tokenherd.coordinator.spi.WriteOutcome> compareAndSet(
          TokenKey key, long expectedVersion, TokenRecord next) {
        return super.compareAndSet(key, expectedVersion, next)
            .thenApply(
                o ->
                    new WriteOutcome(
                        o.result(),
                        o.current(),
                        new WriteOutcome.Durability(1, isShort.test(next) ? 0 : 1)));
      }
    };
  }

  @Test
  void shortReplication_ofARotation_isCountedAndReportedButTheWriteStands() {
    TokenCoordinator c =
        fleet
            .worker(
                "w",
                policy,
                listener,
                shortWhere(next -> next.version() > 1 && next.refreshing() == null),
                fleet.lock,
                fleet.feed)
            .coordinator(TokenKey.of("replicated"), endpoint);
    c.seed(fleet.tokens("access-0", "refresh-0", HOUR)).join();
    endpoint.issue(HOUR);

    assertThat(done(c.rejected("access-0")).value()).isEqualTo("access-1");
    assertThat(c.stats().underReplicatedWrites()).isEqualTo(1);
    assertThat(listener.events()).contains("under-replicated replicated v2 0/1");
  }

  @Test
  void shortReplication_ofTheRefreshMark_sendsNoRequestUntilAReplicaConfirmsIt() {
    AtomicBoolean replicasDown = new AtomicBoolean(true);
    TokenCoordinator c =
        fleet
            .worker(
                "w",
                policy,
                listener,
                shortWhere(next -> replicasDown.get() && next.refreshing() != null),
                fleet.lock,
                fleet.feed)
            .coordinator(TokenKey.of("replicated"), endpoint);
    c.seed(fleet.tokens("access-0", "refresh-0", HOUR)).join();
    endpoint.issue(HOUR);

    fleet.advance(Duration.ofMinutes(46)); // past 75 % of the hour: refresh ahead
    assertThat(c.accessToken()).isEqualTo("access-0");
    fleet.advance(Duration.ofSeconds(2));

    // A failover to a replica without the mark could let another worker present refresh-0 too.
    assertThat(endpoint.requests()).isEmpty();
    // Paced by the retry backoff (a first version retried at once: 425 attempts in one instant).
    assertThat(c.stats().underReplicatedWrites()).isBetween(1L, 6L);
    assertThat(listener.events()).contains("under-replicated replicated v1 0/1");
    assertThat(stored().map(TokenRecord::refreshing)).as("the mark was taken back").isEmpty();
    assertThat(c.accessToken()).as("still served while the refresh waits").isEqualTo("access-0");

    replicasDown.set(false);
    // The next attempt, one retry backoff later (at most its maximum), sends the request.
    for (int i = 0; i < 70 && endpoint.requests().isEmpty(); i++) {
      String unused = c.accessToken();
      fleet.advance(Duration.ofMillis(500));
    }
    assertThat(endpoint.requests()).hasSize(1);
    assertThat(endpoint.requests().get(0).refreshToken()).isEqualTo("refresh-0");
    assertThat(done(c.tokenAsync()).value()).isEqualTo("access-1");
    assertThat(listener.events()).noneMatch(e -> e.startsWith("lost-rotation"));
  }
}

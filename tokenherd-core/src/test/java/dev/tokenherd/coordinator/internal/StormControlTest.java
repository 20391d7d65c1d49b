package dev.tokenherd.coordinator.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tokenherd.TokenHerd;
import dev.tokenherd.coordinator.AccessToken;
import dev.tokenherd.coordinator.RefreshPolicy;
import dev.tokenherd.coordinator.TokenCoordinator;
import dev.tokenherd.coordinator.TokenKey;
import dev.tokenherd.coordinator.TokenSet;
import dev.tokenherd.coordinator.spi.RefreshMark;
import dev.tokenherd.coordinator.spi.TokenEndpointException;
import dev.tokenherd.coordinator.spi.TokenRequest;
import dev.tokenherd.coordinator.spi.TokenResponse;
import dev.tokenherd.coordinator.testing.RecordingListener;
import dev.tokenherd.coordinator.testing.ScriptedTokenEndpoint;
import dev.tokenherd.coordinator.testing.VirtualFleet;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.random.RandomGenerator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Storm control on virtual time: the herd-wide cap on token requests and its expiry order, the
 * endpoint timeout that follows the observed latency, jittered refresh-ahead points, and the wait
 * after an ambiguous failure.
 */
final class StormControlTest {
  private static final Duration HOUR = Duration.ofHours(1);

  private final VirtualFleet fleet = new VirtualFleet();
  private final ScriptedTokenEndpoint endpoint = new ScriptedTokenEndpoint(fleet.clock);

  @AfterEach
  void closeFleet() {
    fleet.close();
  }

  /** A token set issued an hour ago that expired {@code agoSeconds} ago. */
  private TokenSet expired(String name, long agoSeconds) {
    return fleet.tokens("access-" + name, "refresh-" + name, HOUR).toBuilder()
        .issuedAt(fleet.clock.instant().minus(HOUR))
        .expiresAt(fleet.clock.instant().minusSeconds(agoSeconds))
        .build();
  }

  @Test
  void manyCredentialsExpired_atMostTheCapInFlight_earliestExpiryServedFirst() {
    TokenHerd herd =
        fleet.add(
            fleet
                .builder("worker", RefreshPolicy.ofDefaults(), new RecordingListener())
                .maxConcurrentTokenRequests(2)
                .build());
    long[] expiredAgo = {10, 40, 20, 30};
    List<CompletableFuture<TokenResponse>> held = new ArrayList<>();
    List<CompletableFuture<AccessToken>> calls = new ArrayList<>();
    for (int i = 0; i < expiredAgo.length; i++) {
      TokenCoordinator credential = herd.coordinator(TokenKey.of("tenant-" + i), endpoint);
      credential.seed(expired("t" + i, expiredAgo[i])).join();
      held.add(endpoint.hold());
      calls.add(credential.tokenAsync());
    }

    assertThat(endpoint.requests()).as("requests in flight").hasSize(2);
    held.get(0).complete(endpoint.response("access-new-0", "refresh-new-0", HOUR));
    assertThat(endpoint.requests()).hasSize(3);
    held.get(1).complete(endpoint.response("access-new-1", "refresh-new-1", HOUR));
    assertThat(endpoint.requests()).hasSize(4);
    held.get(2).complete(endpoint.response("access-new-2", "refresh-new-2", HOUR));
    held.get(3).complete(endpoint.response("access-new-3", "refresh-new-3", HOUR));

    // The two queued ones went in order of expiry: tenant-3 (30 s ago) before tenant-2 (20 s).
    assertThat(endpoint.requests().stream().map(TokenRequest::refreshToken))
        .containsExactly("refresh-t0", "refresh-t1", "refresh-t3", "refresh-t2");
    assertThat(calls).allSatisfy(call -> assertThat(call).isCompleted());
  }

  @Test
  void queuedForASlot_thePreSendCheckSeesTheTimeQueued_andANearlySpentLeaseSendsNothing() {
    RefreshPolicy policy =
        RefreshPolicy.ofDefaults().toBuilder()
            .leaseTime(Duration.ofSeconds(20))
            .endpointTimeout(Duration.ofSeconds(5))
            .waitTimeout(Duration.ofMinutes(1))
            .build();
    TokenHerd herd =
        fleet.add(
            fleet
                .builder("worker", policy, new RecordingListener())
                .maxConcurrentTokenRequests(1)
                .build());
    // One slow answer observed (4 s): the next timeouts are 12 s.
    TokenCoordinator primer = herd.coordinator(TokenKey.of("primer"), endpoint);
    primer.seed(expired("p", 1)).join();
    CompletableFuture<TokenResponse> slow = endpoint.hold();
    var unusedPrimed = primer.tokenAsync();
    fleet.advance(Duration.ofSeconds(4));
    slow.complete(endpoint.response("access-p1", "refresh-p1", HOUR));

    // a holds the one slot and never answers; b and c queue behind it, holding their leases.
    var unusedHeldA = endpoint.hold();
    var unusedHeldB = endpoint.hold();
    endpoint.issue(HOUR);
    List<CompletableFuture<AccessToken>> calls = new ArrayList<>();
    for (String name : List.of("a", "b", "c")) {
      TokenCoordinator credential = herd.coordinator(TokenKey.of(name), endpoint);
      credential.seed(expired(name, name.equals("a") ? 30 : name.equals("b") ? 20 : 10)).join();
      calls.add(credential.tokenAsync());
    }
    Instant queued = fleet.clock.instant();
    assertThat(endpoint.requests()).hasSize(2);
    assertThat(endpoint.requests().get(1).timeout()).isEqualTo(Duration.ofSeconds(12));

    // a's request ends at its backstop (12 s + a sixteenth of the lease): b gets the slot with
    // 6.75 s of its lease left, less two send margins: its request is trimmed to 4.25 s.
    fleet.advance(Duration.ofMillis(13_250));
    assertThat(endpoint.requests()).hasSize(3);
    assertThat(endpoint.requests().get(2).refreshToken()).isEqualTo("refresh-b");
    assertThat(endpoint.requests().get(2).timeout()).isEqualTo(Duration.ofMillis(4_250));

    // c gave up its place when its lease could no longer cover a request (at 16.25 s): nothing
    // was sent for it.
    fleet.advance(Duration.ofMillis(3_250));
    assertThat(endpoint.requests()).hasSize(3);
    RefreshMark mark =
        fleet.store.read(TokenKey.of("c")).toCompletableFuture().join().orElseThrow().refreshing();
    assertThat(mark).isNotNull();
    assertThat(mark.startedAt())
        .as("marked again under a new lease")
        .isEqualTo(queued.plusMillis(16_250));

    // It started over under a new lease, queued again, and sends when b's request ends (18.75 s)
    // with the timeout a whole lease allows.
    fleet.advance(Duration.ofMillis(2_500));
    assertThat(endpoint.requests()).hasSize(4);
    assertThat(endpoint.requests().get(3).refreshToken()).isEqualTo("refresh-c");
    assertThat(endpoint.requests().get(3).timeout()).isEqualTo(Duration.ofSeconds(15));
    assertThat(calls.get(2)).isCompleted();
  }

  @Test
  void slowAnswers_theNextRequestsTimeoutFollowsTheLatency_upToTheLease() {
    TokenHerd herd = fleet.worker("worker", RefreshPolicy.ofDefaults(), new RecordingListener());
    TokenCoordinator credential = herd.coordinator(TokenKey.of("api"), endpoint);
    credential.seed(expired("seed", 1)).join();
    CompletableFuture<TokenResponse> slow = endpoint.hold();
    CompletableFuture<AccessToken> first = credential.tokenAsync();
    fleet.advance(Duration.ofSeconds(4));
    slow.complete(endpoint.response("access-1", "refresh-1", Duration.ofMinutes(1)));
    assertThat(first).isCompleted();

    fleet.advance(Duration.ofMinutes(2));
    endpoint.issue(HOUR);
    assertThat(credential.tokenAsync()).isCompleted();

    assertThat(endpoint.requests().get(0).timeout())
        .as("before any observation: the configured endpoint timeout")
        .isEqualTo(RefreshPolicy.DEFAULT_ENDPOINT_TIMEOUT);
    assertThat(endpoint.requests().get(1).timeout())
        .as("3 x the observed 4 s")
        .isEqualTo(Duration.ofSeconds(12));
  }

  @Test
  void ambiguousFailure_theRetryWaitsForTheSlowAnswersBeforeReReadingAndSending() {
    TokenHerd herd = fleet.worker("worker", RefreshPolicy.ofDefaults(), new RecordingListener());
    TokenCoordinator credential = herd.coordinator(TokenKey.of("api"), endpoint);
    credential.seed(expired("seed", 1)).join();
    // One slow answer observed: 5 s.
    CompletableFuture<TokenResponse> slow = endpoint.hold();
    CompletableFuture<AccessToken> first = credential.tokenAsync();
    fleet.advance(Duration.ofSeconds(5));
    slow.complete(endpoint.response("access-1", "refresh-1", Duration.ofMinutes(1)));
    assertThat(first).isCompleted();
    fleet.advance(Duration.ofMinutes(2));

    endpoint.fail(TokenEndpointException.Kind.AMBIGUOUS, null, null).issue(HOUR);
    CompletableFuture<AccessToken> second = credential.tokenAsync();
    assertThat(endpoint.requests()).hasSize(2);
    fleet.advance(Duration.ofMillis(4_900));
    assertThat(endpoint.requests()).as("still waiting after the ambiguous failure").hasSize(2);
    fleet.advance(Duration.ofMillis(200));

    assertThat(endpoint.requests()).hasSize(3);
    assertThat(second).isCompleted();
  }

  @Test
  void jitteredRefreshAhead_theWorkerWhosePointComesFirstRefreshes_theOtherAdopts() {
    // Draws at the two ends: one worker refreshes at 65% of the lifetime, the other at 75%.
    TokenHerd early = jittered("early", () -> -1L);
    TokenHerd late = jittered("late", () -> 0L);
    TokenKey key = TokenKey.of("api");
    TokenCoordinator first = early.coordinator(key, endpoint);
    TokenCoordinator second = late.coordinator(key, endpoint);
    first.seed(fleet.tokens("access-0", "refresh-0", HOUR)).join();
    assertThat(second.accessToken()).isEqualTo("access-0");
    endpoint.issue(HOUR);

    // Both workers serve traffic every minute; the early one's point (39 min) comes first.
    for (int minute = 1; minute <= 50; minute++) {
      fleet.advance(Duration.ofMinutes(1));
      var unusedFirst = first.accessToken();
      var unusedSecond = second.accessToken();
      if (minute == 40) {
        assertThat(endpoint.requests()).as("refreshed at 39 min").hasSize(1);
      }
    }

    assertThat(endpoint.requests()).hasSize(1);
    assertThat(second.accessToken()).isEqualTo("access-1");
    assertThat(second.stats().tokenRequests()).isZero();
    assertThat(second.stats().lockContended()).isZero();
  }

  private TokenHerd jittered(String id, RandomGenerator random) {
    return fleet.add(
        fleet
            .builder(id, RefreshPolicy.ofDefaults(), new RecordingListener())
            .random(random)
            .build());
  }

  @Test
  void refreshSlowerThanTheTokenLives_theWaitingCallerGetsTheNextToken_notAnError() {
    TokenCoordinator credential =
        fleet
            .worker("worker", RefreshPolicy.ofDefaults(), new RecordingListener())
            .coordinator(TokenKey.of("slow-endpoint"), endpoint);
    credential.seed(expired("old", 1)).join();
    CompletableFuture<TokenResponse> held = endpoint.hold();
    endpoint.issue(HOUR);

    CompletableFuture<AccessToken> call = credential.tokenAsync();
    fleet.advance(Duration.ofSeconds(3)); // a loaded machine, a slow server
    held.complete(endpoint.response("access-late", "refresh-late", Duration.ofSeconds(2)));

    // The 2 s token ran out on the way; its rotation was stored, and the caller, still within
    // its wait, got the next refresh's token (before: a TransientRefreshException).
    assertThat(call.join().value()).isEqualTo("access-1");
    assertThat(endpoint.requests().stream().map(TokenRequest::refreshToken))
        .containsExactly("refresh-old", "refresh-late");
  }
}

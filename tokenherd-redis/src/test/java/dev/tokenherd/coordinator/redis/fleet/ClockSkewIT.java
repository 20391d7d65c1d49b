package dev.tokenherd.coordinator.redis.fleet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.tokenherd.TokenHerd;
import dev.tokenherd.coordinator.ClockOffset;
import dev.tokenherd.coordinator.TokenCoordinator;
import dev.tokenherd.coordinator.TokenSet;
import dev.tokenherd.coordinator.oauth2.OAuth2TokenEndpoint;
import dev.tokenherd.coordinator.redis.RedisBackend;
import dev.tokenherd.coordinator.testing.FakeServers;
import dev.tokenherd.testkit.Closer;
import dev.tokenherd.testkit.FakeAuthorizationServer;
import dev.tokenherd.testkit.RedisServerProcess;
import dev.tokenherd.testkit.ServerStats;
import dev.tokenherd.testkit.TokenGrant;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Workers whose clocks are wrong, as hosts' clocks are: each pod's herd and token endpoint read one
 * clock, offset from the true time that Redis and the authorization server keep. Judged by the
 * rotating server's own ledger (was the token served valid, at the true instant the caller asked),
 * not by the expiries the library stored.
 *
 * <p>Before the fleet clock every expiry was an instant on the writing worker's clock: a worker an
 * hour ahead wrote expiries an hour late, and a correct worker served its token for that hour after
 * the server had expired it; a worker 30 s slow served a correct login's token 30 s past its
 * expiry. The control test shows the same fleet without a fleet clock still does (the scenario is
 * sharp).
 */
final class ClockSkewIT {
  private static final String NAMESPACE = "clock-it";
  private static final Duration TTL = Duration.ofSeconds(2);

  private final Clock trueClock = Clock.systemUTC();
  private final Closer resources = new Closer();
  private final RedisServerProcess redis = resources.add(RedisServerProcess.builder().start());
  private final FakeAuthorizationServer server =
      resources.add(FleetSettings.rotatingServer(TTL).start());

  @AfterEach
  void tearDown() throws Exception {
    resources.close(); // workers first, then the server and Redis they use
  }

  /** A pod whose host clock is {@code skew} off the true time. */
  private record Pod(String id, TokenHerd herd, TokenCoordinator coordinator, Clock clock) {}

  private Pod pod(String id, Duration skew, boolean fleetClock) {
    Clock clock = Clock.offset(trueClock, skew);
    RedisBackend backend =
        RedisBackend.builder().uri(redis.uri().toString()).namespace(NAMESPACE).build();
    resources.add(backend);
    TokenHerd.Builder builder =
        fleetClock
            ? backend.configure(TokenHerd.builder())
            : TokenHerd.builder()
                .tokenStore(backend.tokenStore())
                .refreshLock(backend.refreshLock())
                .changeFeed(backend.changeFeed());
    TokenHerd herd =
        builder.clock(clock).refreshPolicy(FleetSettings.policy()).workerId(id).build();
    resources.add(herd);
    OAuth2TokenEndpoint endpoint = FakeServers.endpointBuilder(server).clock(clock).build();
    return new Pod(id, herd, herd.coordinator(FleetSettings.KEY, endpoint), clock);
  }

  /** What a login on {@code pod} seeds: the grant's lifetime counted from the pod's own clock. */
  private static TokenSet login(Pod pod, TokenGrant grant) {
    Instant now = pod.clock().instant();
    return FakeServers.tokenSet(grant, now, now.plus(TTL));
  }

  /** A login whose access token has already expired: the first call refreshes. */
  private static TokenSet expiredLogin(Pod pod, TokenGrant grant) {
    Instant now = pod.clock().instant();
    return FakeServers.tokenSet(grant, now.minusSeconds(60), now.minusSeconds(1));
  }

  private CallerLoad load(String name, Pod pod) {
    CallerLoad load =
        new CallerLoad(
            name,
            pod.coordinator(),
            2,
            trueClock,
            (token, asked) -> server.isAccessTokenValid(token.value(), asked));
    resources.add(load);
    return load;
  }

  private static void print(String what, ServerStats stats, List<CallerLoad> loads) {
    System.out.printf(
        "ClockSkewIT %s: %d token requests, %d refresh events, %d reuse detections, %d"
            + " families revoked; calls %s, expired served %s%n",
        what,
        stats.tokenRequests(),
        stats.refreshEvents(),
        stats.reuseDetections(),
        stats.familiesRevoked(),
        loads.stream().map(CallerLoad::calls).toList(),
        loads.stream().map(CallerLoad::expiredServed).toList());
  }

  /** Runs the finding's fleet: a worker an hour ahead refreshes and stops; a correct one serves. */
  private CallerLoad anHourAheadThenACorrectWorker(boolean fleetClock) throws Exception {
    Pod correct = pod("correct", Duration.ZERO, fleetClock);
    Pod ahead = pod("ahead-1h", Duration.ofHours(1), fleetClock);
    correct.coordinator().seed(expiredLogin(correct, server.issueTokens("read"))).join();
    var unused = ahead.coordinator().token(); // the hour-ahead worker refreshes
    ahead.herd().close();
    return load("correct", correct);
  }

  @Test
  void aWorkerAnHourAheadRefreshesAndStops_theCorrectWorkerServesNoExpiredToken() throws Exception {
    Pod probe = pod("probe", Duration.ofHours(1), true);
    ClockOffset offset = probe.herd().clockOffset();
    assertThat(offset.offset()).isBetween(Duration.ofMinutes(-61), Duration.ofMinutes(-59));
    assertThat(offset.largeOffsets()).isEqualTo(1);
    assertThat(offset.measuredAt()).isNotNull();
    probe.herd().close();

    CallerLoad load = anHourAheadThenACorrectWorker(true);
    long refreshed = server.stats().refreshEvents();
    try {
      // Three lifetimes of the hour-ahead worker's token and its successors.
      await()
          .atMost(Duration.ofSeconds(60))
          .until(() -> server.stats().refreshEvents() >= refreshed + 3);
    } finally {
      load.close();
    }
    ServerStats stats = FakeServers.awaitEveryRequestARefresh(server);
    print("an hour ahead, fleet clock", stats, List.of(load));
    FleetSettings.assertOnlyValidTokensServed(List.of(load), stats);
  }

  @Test
  void withoutAFleetClock_theCorrectWorkerServesTheHourAheadWorkersTokenPastItsExpiry()
      throws Exception {
    CallerLoad load = anHourAheadThenACorrectWorker(false);
    try {
      await().atMost(Duration.ofSeconds(60)).until(() -> load.expiredServed() > 0);
    } finally {
      load.close();
    }
    print("an hour ahead, no fleet clock", server.stats(), List.of(load));
    assertThat(load.expiredServed()).isPositive();
  }

  /** Pods at the true time, 30 s slow, 30 s fast and an hour fast, all serving at once. */
  private List<CallerLoad> mixedFleet(boolean fleetClock, Predicate<List<CallerLoad>> done) {
    List<Pod> pods =
        List.of(
            pod("true", Duration.ZERO, fleetClock),
            pod("slow-30s", Duration.ofSeconds(-30), fleetClock),
            pod("fast-30s", Duration.ofSeconds(30), fleetClock),
            pod("fast-1h", Duration.ofHours(1), fleetClock));
    // The login happens on the slow pod: its instants are 30 s behind until converted.
    pods.get(1).coordinator().seed(login(pods.get(1), server.issueTokens("read"))).join();
    List<CallerLoad> loads = new ArrayList<>();
    for (Pod pod : pods) {
      loads.add(load(pod.id(), pod));
    }
    try {
      await()
          .atMost(Duration.ofSeconds(60))
          .until(() -> done.test(loads) || server.stats().invalidGrants() > 0);
    } finally {
      loads.forEach(CallerLoad::close);
    }
    return loads;
  }

  @Test
  void podsAt_minus30s_plus30s_plus1h_andTrue_serveNoExpiredToken_oneRequestPerRefresh() {
    List<CallerLoad> loads = mixedFleet(true, started -> server.stats().refreshEvents() >= 6);
    ServerStats stats = FakeServers.awaitEveryRequestARefresh(server);
    print("-30 s, +30 s, +1 h, true", stats, loads);
    FleetSettings.assertOnlyValidTokensServed(loads, stats);
  }

  @Test
  void withoutAFleetClock_theMixedFleetServesExpiredTokens() {
    List<CallerLoad> loads =
        mixedFleet(
            false, started -> started.stream().mapToLong(CallerLoad::expiredServed).sum() > 0);
    print("-30 s, +30 s, +1 h, true, no fleet clock", server.stats(), loads);
    assertThat(loads.stream().mapToLong(CallerLoad::expiredServed).sum()).isPositive();
  }
}

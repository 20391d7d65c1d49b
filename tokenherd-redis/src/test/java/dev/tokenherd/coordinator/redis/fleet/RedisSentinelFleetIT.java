package dev.tokenherd.coordinator.redis.fleet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.tokenherd.coordinator.TokenCoordinator;
import dev.tokenherd.coordinator.redis.RedisBackend;
import dev.tokenherd.coordinator.testing.FakeServers;
import dev.tokenherd.testkit.Closer;
import dev.tokenherd.testkit.FakeAuthorizationServer;
import dev.tokenherd.testkit.RedisSentinelGroup;
import dev.tokenherd.testkit.RedisServerProcess;
import dev.tokenherd.testkit.ServerStats;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The fleet on a real Sentinel group (one master, two replicas, three sentinels; redis-server
 * processes on loopback), judged by the rotating server's ledger: a planned failover, the master's
 * death with a lagging replica, and the promotion of that lagging replica, which rolls back every
 * write it missed (record, refresh mark and Redisson's fence counter together) — with and without
 * {@code waitForReplicas}.
 */
class RedisSentinelFleetIT {
  private static final int WORKERS = 3;
  private static final int CALLERS = 8;

  private final Clock clock = Clock.systemUTC();
  private final Closer resources = new Closer();
  private final RedisSentinelGroup group = RedisSentinelGroup.builder().start();

  @AfterEach
  void tearDown() throws Exception {
    try {
      resources.close();
    } finally {
      group.close();
    }
  }

  private UnaryOperator<RedisBackend.Builder> onSentinels(int replicas) {
    List<String> sentinels =
        group.sentinelAddresses().stream().map(a -> a.getHostString() + ":" + a.getPort()).toList();
    return b -> {
      b.sentinel(group.masterName(), sentinels).commandTimeout(Duration.ofSeconds(1));
      return replicas == 0 ? b : b.waitForReplicas(replicas, Duration.ofMillis(300));
    };
  }

  private FakeAuthorizationServer server(Duration ttl) {
    FakeAuthorizationServer server = FleetSettings.rotatingServer(ttl).start();
    resources.add(server);
    return server;
  }

  private List<TokenCoordinator> workers;

  private List<CallerLoad> load(FakeAuthorizationServer server, String namespace, int replicas) {
    workers =
        FleetSettings.workers(
            onSentinels(replicas), namespace, server, WORKERS, FleetSettings.policy(), resources);
    workers.get(0).seed(FakeServers.tokenSet(server.issueTokens("read"), clock.instant())).join();
    List<CallerLoad> loads = FleetSettings.loads(workers, CALLERS, clock, server);
    loads.forEach(resources::add);
    return loads;
  }

  private static void awaitRefreshes(FakeAuthorizationServer server, long atLeast) {
    await()
        .atMost(Duration.ofMinutes(2))
        .pollInterval(Duration.ofMillis(50))
        .until(() -> server.stats().refreshEvents() >= atLeast);
  }

  private static ServerStats stop(
      List<CallerLoad> loads, FakeAuthorizationServer server, String what) {
    loads.forEach(CallerLoad::close);
    ServerStats stats = server.stats();
    System.out.printf(
        "RedisSentinelFleetIT %s: %d calls, errors %s, %d token requests, %d refresh events,"
            + " %d reuse detections, %d invalid_grant, %d families revoked%n",
        what,
        loads.stream().mapToLong(CallerLoad::calls).sum(),
        loads.stream().map(CallerLoad::errors).toList(),
        stats.tokenRequests(),
        stats.refreshEvents(),
        stats.reuseDetections(),
        stats.invalidGrants(),
        stats.familiesRevoked());
    return stats;
  }

  private static void assertNothingPresentedTwice(List<CallerLoad> loads, ServerStats stats) {
    assertThat(stats.reuseDetections()).as("refresh tokens presented twice").isZero();
    assertThat(stats.invalidGrants()).isZero();
    assertThat(stats.familiesRevoked()).isZero();
    for (CallerLoad load : loads) {
      assertThat(load.expiredServed()).as("tokens the server held expired").isZero();
      assertThat(load.calls()).isPositive();
      assertThat(load.errors().keySet())
          .isSubsetOf(
              "StoreUnavailableException", "RefreshTimeoutException", "TransientRefreshException");
    }
  }

  private long underReplicated() {
    return workers.stream().mapToLong(w -> w.stats().underReplicatedWrites()).sum();
  }

  @Test
  void aPlannedFailover_underLoad_oneTokenRequestPerRefresh() {
    FakeAuthorizationServer server = server(Duration.ofSeconds(3));
    List<CallerLoad> loads = load(server, "sentinel-failover", 1);
    awaitRefreshes(server, 3);

    RedisServerProcess old = group.master();
    RedisServerProcess promoted = group.failover();
    awaitRefreshes(server, server.stats().refreshEvents() + 5);

    ServerStats stats = stop(loads, server, "failover " + old + " -> " + promoted);
    assertThat(FakeServers.awaitEveryRequestARefresh(server).tokenRequests())
        .isEqualTo(stats.refreshEvents());
    assertNothingPresentedTwice(loads, stats);
  }

  @Test
  void theMasterDies_whileAReplicaLags_theUpToDateReplicaIsPromoted_andNothingIsLost() {
    FakeAuthorizationServer server = server(Duration.ofSeconds(3));
    List<CallerLoad> loads = load(server, "sentinel-lagging", 1);
    awaitRefreshes(server, 2);

    RedisServerProcess master = group.master();
    RedisServerProcess lagging = group.replicas().get(0);
    group.pauseReplica(lagging);
    // Rotations go on: the other replica confirms each write (waitForReplicas 1).
    awaitRefreshes(server, server.stats().refreshEvents() + 2);
    group.kill(master);
    RedisServerProcess promoted = group.awaitNewMasterAfter(master);
    group.resume(lagging);
    awaitRefreshes(server, server.stats().refreshEvents() + 3);

    ServerStats stats = stop(loads, server, "master killed, " + promoted + " promoted");
    assertThat(promoted).isNotEqualTo(lagging);
    assertNothingPresentedTwice(loads, stats);
  }

  @Test
  void theLaggingReplicaIsPromoted_withWaitForEveryReplica_noRequestWasSentItCannotSee() {
    FakeAuthorizationServer server = server(Duration.ofSeconds(3));
    List<CallerLoad> loads = load(server, "sentinel-rollback-safe", 2);
    awaitRefreshes(server, 2);

    RedisServerProcess master = group.master();
    RedisServerProcess lagging = group.replicas().get(0);
    RedisServerProcess other = group.replicas().get(1);
    group.setReplicaPriority(other, 0);
    long sentBeforeTheLag = server.stats().tokenRequests();
    group.pauseReplica(lagging);
    // Every refresh mark is now confirmed by one replica of the two asked for: no request is sent.
    await().atMost(Duration.ofSeconds(60)).until(() -> underReplicated() >= 3);
    long sentDuringTheLag = server.stats().tokenRequests() - sentBeforeTheLag;
    group.kill(master);
    group.resume(lagging);
    RedisServerProcess promoted = group.awaitNewMasterAfter(master);
    // Two replicas again, so that marks can be confirmed: the old master comes back as one.
    master.startAgain();
    awaitRefreshes(server, server.stats().refreshEvents() + 3);

    ServerStats stats = stop(loads, server, "lagging replica " + promoted + " promoted, waiting");
    assertThat(promoted).isEqualTo(lagging);
    assertThat(sentDuringTheLag)
        .as("token requests sent while a replica lagged")
        .isLessThanOrEqualTo(1);
    assertNothingPresentedTwice(loads, stats);
  }

  @Test
  void theLaggingReplicaIsPromoted_withoutWaitForReplicas_theRollbackIsReportedOnce() {
    FakeAuthorizationServer server = server(Duration.ofSeconds(3));
    List<CallerLoad> loads = load(server, "sentinel-rollback", 0);
    awaitRefreshes(server, 2);

    RedisServerProcess master = group.master();
    RedisServerProcess lagging = group.replicas().get(0);
    group.setReplicaPriority(group.replicas().get(1), 0);
    group.pauseReplica(lagging);
    // Rotations the promoted replica will never have seen.
    awaitRefreshes(server, server.stats().refreshEvents() + 2);
    group.kill(master);
    group.resume(lagging);
    RedisServerProcess promoted = group.awaitNewMasterAfter(master);
    assertThat(promoted).isEqualTo(lagging);
    // The store went back to a refresh token the server rotated away: the next refresh presents
    // it, the server revokes the family, and the fleet says so (I6) instead of retrying: every
    // worker's callers get the one typed error.
    await()
        .atMost(Duration.ofSeconds(60))
        .until(
            () ->
                loads.stream()
                    .allMatch(l -> l.errors().containsKey("ReauthenticationRequiredException")));

    ServerStats stats = stop(loads, server, "lagging replica " + promoted + " promoted, no wait");
    assertThat(stats.reuseDetections())
        .as("the rollback's cost, by the server's ledger")
        .isEqualTo(1);
    assertThat(stats.invalidGrants()).as("one clear failure, no retry loop").isEqualTo(1);
    assertThat(stats.tokenRequests()).isEqualTo(stats.refreshEvents() + 1);
  }
}

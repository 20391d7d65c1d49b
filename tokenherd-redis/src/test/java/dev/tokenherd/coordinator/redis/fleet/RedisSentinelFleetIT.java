package dev.tokenherd.coordinator.redis.fleet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.tokenherd.coordinator.redis.RedisBackend;
import dev.tokenherd.testkit.Closer;
import dev.tokenherd.testkit.RedisSentinelGroup;
import dev.tokenherd.testkit.RedisServerProcess;
import dev.tokenherd.testkit.ServerStats;
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

  private TopologyFleet fleet(String namespace, int replicas) {
    return resources.add(
        new TopologyFleet(
            "RedisSentinelFleetIT", Duration.ofSeconds(3), namespace, onSentinels(replicas)));
  }

  @Test
  void aPlannedFailover_underLoad_oneTokenRequestPerRefresh() {
    TopologyFleet fleet = fleet("sentinel-failover", 1);
    fleet.awaitRefreshes(3);

    RedisServerProcess old = group.master();
    RedisServerProcess promoted = group.failover();
    fleet.awaitRefreshes(fleet.refreshes() + 5);

    fleet.assertNothingPresentedTwice(fleet.stop("failover " + old + " -> " + promoted));
  }

  @Test
  void theMasterDies_whileAReplicaLags_theUpToDateReplicaIsPromoted_andNothingIsLost() {
    TopologyFleet fleet = fleet("sentinel-lagging", 1);
    fleet.awaitRefreshes(2);

    RedisServerProcess master = group.master();
    RedisServerProcess lagging = group.replicas().get(0);
    group.pauseReplica(lagging);
    // Rotations go on: the other replica confirms each write (waitForReplicas 1).
    fleet.awaitRefreshes(fleet.refreshes() + 2);
    group.kill(master);
    RedisServerProcess promoted = group.awaitNewMasterAfter(master);
    group.resume(lagging);
    fleet.awaitRefreshes(fleet.refreshes() + 3);

    ServerStats stats = fleet.stop("master killed, " + promoted + " promoted");
    assertThat(promoted).isNotEqualTo(lagging);
    fleet.assertNothingPresentedTwice(stats);
  }

  @Test
  void theLaggingReplicaIsPromoted_withWaitForEveryReplica_noRequestWasSentItCannotSee() {
    TopologyFleet fleet = fleet("sentinel-rollback-safe", 2);
    fleet.awaitRefreshes(2);

    RedisServerProcess master = group.master();
    RedisServerProcess lagging = group.replicas().get(0);
    group.setReplicaPriority(group.replicas().get(1), 0);
    long sentBeforeTheLag = fleet.server.stats().tokenRequests();
    group.pauseReplica(lagging);
    // Every refresh mark is now confirmed by one replica of the two asked for: no request is sent.
    await().atMost(Duration.ofSeconds(60)).until(() -> fleet.underReplicated() >= 3);
    long sentDuringTheLag = fleet.server.stats().tokenRequests() - sentBeforeTheLag;
    group.kill(master);
    group.resume(lagging);
    RedisServerProcess promoted = group.awaitNewMasterAfter(master);
    // Two replicas again, so that marks can be confirmed: the old master comes back as one.
    master.startAgain();
    fleet.awaitRefreshes(fleet.refreshes() + 3);

    ServerStats stats = fleet.stop("lagging replica " + promoted + " promoted, waiting");
    assertThat(promoted).isEqualTo(lagging);
    assertThat(sentDuringTheLag)
        .as("token requests sent while a replica lagged")
        .isLessThanOrEqualTo(1);
    fleet.assertNothingPresentedTwice(stats);
  }

  @Test
  void theLaggingReplicaIsPromoted_withoutWaitForReplicas_theRollbackIsReportedOnce() {
    TopologyFleet fleet = fleet("sentinel-rollback", 0);
    fleet.awaitRefreshes(2);

    RedisServerProcess master = group.master();
    RedisServerProcess lagging = group.replicas().get(0);
    group.setReplicaPriority(group.replicas().get(1), 0);
    group.pauseReplica(lagging);
    // Rotations the promoted replica will never have seen.
    fleet.awaitRefreshes(fleet.refreshes() + 2);
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
                fleet.loads.stream()
                    .allMatch(l -> l.errors().containsKey("ReauthenticationRequiredException")));

    ServerStats stats = fleet.stop("lagging replica " + promoted + " promoted, no wait");
    assertThat(stats.reuseDetections())
        .as("the rollback's cost, by the server's ledger")
        .isEqualTo(1);
    assertThat(stats.invalidGrants()).as("one clear failure, no retry loop").isEqualTo(1);
    assertThat(stats.tokenRequests()).isEqualTo(stats.refreshEvents() + 1);
  }
}

package dev.tokenherd.coordinator.redis.fleet;

import static dev.tokenherd.coordinator.redis.fleet.FleetSettings.KEY;
import static dev.tokenherd.coordinator.redis.fleet.TopologyFleet.WORKERS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.tokenherd.coordinator.TokenKey;
import dev.tokenherd.coordinator.redis.RedisBackend;
import dev.tokenherd.coordinator.redis.RedisKeys;
import dev.tokenherd.coordinator.spi.TokenRecord;
import dev.tokenherd.testkit.Closer;
import dev.tokenherd.testkit.RedisCluster;
import dev.tokenherd.testkit.RedisServerProcess;
import dev.tokenherd.testkit.RespClient;
import dev.tokenherd.testkit.ServerStats;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.redisson.RedissonObject;

/**
 * The fleet on a real Redis Cluster (3 masters, 3 replicas, redis-server processes on loopback):
 * every key of a credential in one slot, notices on that slot's shard, one token request per
 * refresh through a master's death mid-refresh and through a slot migration under load. Judged by
 * the rotating server's ledger (reuse detection revokes the family).
 */
class RedisClusterFleetIT {
  private final Closer resources = new Closer();
  private final RedisCluster cluster = RedisCluster.builder().start();

  @AfterEach
  void tearDown() throws Exception {
    try {
      resources.close();
    } finally {
      cluster.close();
    }
  }

  /** Workers aimed at the cluster through its seed nodes, as a user configures them. */
  private UnaryOperator<RedisBackend.Builder> onCluster(int replicas) {
    List<String> seeds =
        cluster.seeds().stream().map(u -> u.getHost() + ":" + u.getPort()).toList();
    return b -> {
      b.cluster(seeds).commandTimeout(Duration.ofSeconds(1));
      return replicas == 0 ? b : b.waitForReplicas(replicas, Duration.ofMillis(500));
    };
  }

  private TopologyFleet fleet(Duration ttl, String namespace, int replicas) {
    return resources.add(
        new TopologyFleet("RedisClusterFleetIT", ttl, namespace, onCluster(replicas)));
  }

  private int slotOf(String namespace) {
    return RedisCluster.slot(RedisKeys.of(namespace).record(KEY));
  }

  @Test
  void everyKeyAndChannelOfACredential_hashToOneSlot_asTheClusterComputesIt() throws Exception {
    RedisServerProcess node = cluster.nodes().get(0);
    for (String name :
        List.of("fleet-api", "billing-api", "a", "tenant.7_user-42", "tenant:42/a@b")) {
      RedisKeys keys = RedisKeys.of("ns");
      TokenKey key = TokenKey.of(name);
      String lock = keys.lock(key);
      List<String> all =
          List.of(
              keys.record(key),
              lock,
              keys.changed(key),
              RedissonObject.prefixName("redisson_lock_token", lock),
              RedissonObject.prefixName("redisson_lock__channel", lock));
      int slot = RedisCluster.slot(keys.record(key));
      for (String k : all) {
        assertThat(RedisCluster.slot(k)).as(k).isEqualTo(slot);
        assertThat(node.command("CLUSTER", "KEYSLOT", k)).as(k).isEqualTo(":" + slot);
      }
    }
  }

  @Test
  void threeWorkers_sendOneTokenRequestPerRefresh_andNoticesStayOnTheCredentialsShard()
      throws Exception {
    TopologyFleet fleet = fleet(FleetSettings.TOKEN_TTL, "cluster-fleet", 0);
    fleet.awaitRefreshes(FleetSettings.EXPIRIES);

    String channel = RedisKeys.of("cluster-fleet").changed(KEY);
    RedisServerProcess owner = cluster.masterOf(RedisCluster.slot(channel));
    for (RedisServerProcess master : cluster.masters()) {
      // Each worker's feed holds one shard subscription, on the master of the credential's slot.
      assertThat(shardSubscribers(master, channel))
          .as("SSUBSCRIBE on %s", master)
          .isEqualTo(master.equals(owner) ? WORKERS : 0);
    }
    // Subscribed once per worker, not again at every topology refresh (Lettuce opens and closes a
    // connection per node every second; the feed must not take those for its own).
    assertThat(commandCalls(owner, "ssubscribe"))
        .as("SSUBSCRIBE sent to the owner over %d refreshes", fleet.refreshes())
        .isLessThanOrEqualTo(2L * WORKERS);
    ServerStats stats = fleet.stop("steady");
    assertThat(stats.refreshEvents()).isGreaterThanOrEqualTo(FleetSettings.EXPIRIES);
    fleet.assertNothingPresentedTwice(stats);
    FleetSettings.assertOnlyValidTokensServed(fleet.loads, stats);
  }

  private static long commandCalls(RedisServerProcess node, String command) throws Exception {
    Object reply =
        RespClient.call(
            new InetSocketAddress(InetAddress.getLoopbackAddress(), node.port()),
            null,
            List.of("INFO", "commandstats"));
    Matcher calls =
        Pattern.compile("cmdstat_" + command + ":calls=(\\d+)").matcher(String.valueOf(reply));
    return calls.find() ? Long.parseLong(calls.group(1)) : 0;
  }

  private static long shardSubscribers(RedisServerProcess node, String channel) throws Exception {
    Object reply =
        RespClient.call(
            new InetSocketAddress(InetAddress.getLoopbackAddress(), node.port()),
            null,
            List.of("PUBSUB", "SHARDNUMSUB", channel));
    List<?> pair = (List<?>) reply;
    return ((Number) pair.get(1)).longValue();
  }

  @Test
  void theMasterOfTheCredentialsSlotKilledMidRefresh_withWaitForReplicas_presentsNothingTwice() {
    TopologyFleet fleet = fleet(Duration.ofSeconds(2), "cluster-kill", 1);
    fleet.awaitRefreshes(2);

    long before = fleet.refreshes();
    // Mid-refresh: a token request is in flight (received, not yet answered) when the master dies.
    await()
        .atMost(Duration.ofSeconds(60))
        .pollInterval(Duration.ofMillis(1))
        .until(() -> fleet.server.stats().tokenRequests() > fleet.refreshes());
    RedisServerProcess master = cluster.masterOf(slotOf("cluster-kill"));
    cluster.kill(master);
    RedisServerProcess promoted = cluster.awaitPromotionAfterKill(master);
    // The promoted replica has no replica of its own, so no refresh mark can be confirmed: no
    // token request is sent for this slot until the old master is back, as its replica.
    long sentWithoutAReplica = fleet.server.stats().tokenRequests();
    await().atMost(Duration.ofSeconds(60)).until(() -> fleet.underReplicated() >= 2);
    assertThat(fleet.server.stats().tokenRequests() - sentWithoutAReplica)
        .as("token requests sent while the slot's master had no replica")
        .isLessThanOrEqualTo(1);
    master.startAgain();
    cluster.awaitStable();
    fleet.awaitRefreshes(before + 5);

    fleet.assertNothingPresentedTwice(fleet.stop("master killed, " + promoted + " promoted"));
  }

  @Test
  void theCredentialsSlotMigratedUnderLoad_noCallFails_andOneRequestPerRefresh() throws Exception {
    TopologyFleet fleet = fleet(Duration.ofSeconds(3), "cluster-move", 1);
    fleet.awaitRefreshes(3);
    RedisBackend probe =
        resources.add(onCluster(0).apply(RedisBackend.builder().namespace("cluster-move")).build());

    int slot = slotOf("cluster-move");
    RedisServerProcess source = cluster.masterOf(slot);
    RedisServerProcess target =
        cluster.masters().stream().filter(m -> !m.equals(source)).findFirst().orElseThrow();
    List<String> phases = new ArrayList<>();
    cluster.migrateSlot(
        slot,
        target,
        // Migrating, no key moved yet: the source still serves the record.
        () -> phases.add("migrating: " + readAndRewrite(probe, fleet)),
        // Every key moved: the source answers ASK, and the clients follow it to the target.
        () -> phases.add("keys moved: " + readAndRewrite(probe, fleet)));
    // The target owns the slot: the source answers MOVED, the clients re-read the layout.
    phases.add("moved: " + readAndRewrite(probe, fleet));
    fleet.awaitRefreshes(fleet.refreshes() + 3);
    assertThat(cluster.masterOf(slot)).isEqualTo(target);

    ServerStats stats = fleet.stop("slot " + slot + " migrated " + phases);
    fleet.assertNothingPresentedTwice(stats);
    FleetSettings.assertOnlyValidTokensServed(fleet.loads, stats);
    // Redis ended the shard subscriptions on the source when the slot left it (SUNSUBSCRIBE);
    // each feed subscribed again, on the new owner.
    await()
        .atMost(Duration.ofSeconds(30))
        .untilAsserted(
            () ->
                assertThat(shardSubscribers(target, RedisKeys.of("cluster-move").changed(KEY)))
                    .isEqualTo(WORKERS));
  }

  /**
   * Reads the record and writes it back unchanged through the store (both routed by the record's
   * key: served, redirected with ASK or MOVED), while the callers go on being served. During a
   * migration no refresh can start: the lock's script names its key (absent while free) and its
   * fence counter, and Redis answers such a command TRYAGAIN while the slot moves; callers are
   * served their cached tokens meanwhile, and the refresh starts once the slot has moved.
   */
  private static String readAndRewrite(RedisBackend probe, TopologyFleet fleet) {
    TokenRecord stored = probe.tokenStore().read(KEY).toCompletableFuture().join().orElseThrow();
    // A record with a live refresh mark is only read: rewriting it would extend the mark.
    String rewrite =
        stored.refreshing() != null
            ? "skipped (marked)"
            : probe
                .tokenStore()
                .compareAndSet(KEY, stored.version(), stored)
                .toCompletableFuture()
                .join()
                .result()
                .toString();
    fleet.awaitCalls(20_000);
    return "read v" + stored.version() + ", rewrite " + rewrite;
  }
}

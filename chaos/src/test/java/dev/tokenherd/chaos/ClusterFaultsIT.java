package dev.tokenherd.chaos;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tokenherd.coordinator.redis.RedisKeys;
import dev.tokenherd.testkit.RecordedTokenRequest;
import dev.tokenherd.testkit.RecordedTokenRequest.Outcome;
import dev.tokenherd.testkit.RedisCluster;
import dev.tokenherd.testkit.RedisServerProcess;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Scenarios 13a-b: the fleet on a real Redis Cluster (testkit {@link RedisCluster}: 3 masters, 3
 * replicas, {@code cluster-node-timeout} 2 s), every worker a JVM of its own aimed at the cluster's
 * seed nodes ({@code cluster=}, no proxy: see {@link FleetTopology}). Every key of the credential
 * lives in one slot; the faults hit that slot: its master killed mid-refresh, the slot moved to
 * another master under load. The server rotates and revokes the family on reuse.
 */
class ClusterFaultsIT {
  private static final Duration AT_MOST = Duration.ofSeconds(90);
  private static final int SLOT =
      RedisCluster.slot(RedisKeys.of("chaos").record(ChaosSettings.KEY));

  /**
   * 13a, with {@code waitForReplicas(1, 1 s)}: the holder's refresh mark is confirmed by the slot's
   * replica, and the holder is held at its {@code endpoint} breakpoint; the slot's master is
   * SIGKILLed there, and the holder sends its request while the slot has no master. Its rotation's
   * write is retried (the engine's rotation retry, up to a lease past the lease) until the replica
   * is promoted, and lands there: nothing is lost. The promoted master has no replica, so every
   * mark after that is confirmed by nobody and taken back: the shard sends no token request until
   * the old master is restarted and rejoins as its replica; then the fleet refreshes again.
   *
   * <p>A 6 s lease, 2 s endpoint timeout and 8 s tokens: the rotation's write is retried until a
   * lease past the lease's end, 12 s after the lock, and in three runs the write that landed was
   * sent 4.9-5.9 s after the lock (the kill 0.1-1.1 s after it, the promotion 4.0-4.6 s after the
   * kill, then Lettuce's topology refresh); with the suite's 2 s lease the retries would end before
   * the promotion and the rotation would be lost (reported, but a re-authentication).
   */
  @Test
  void slotMasterKilledWhileTheHolderIsAtTheEndpoint_withWait_nothingPresentedTwice()
      throws Exception {
    try (RedisCluster cluster = FleetTopology.startCluster();
        ChaosFleet fleet =
            new ChaosFleet(
                "13a-cluster-master-killed-mid-refresh",
                Duration.ofSeconds(8),
                FleetTopology.of(cluster))) {
      fleet.seed();
      fleet.startWorkers(
          3, "endpoint", "waitForReplicas=1", "endpointTimeoutMillis=2000", "leaseMillis=4000");
      ChaosFleet.Worker holder = fleet.awaitBreak("endpoint");
      RedisServerProcess master = cluster.masterOf(SLOT);
      assertThat(fleet.events("under_replicated", e -> true))
          .as("the holder's mark was confirmed by the slot's replica, else it would not send")
          .isEmpty();
      fleet.fault("SIGKILL master of slot " + SLOT, "redis:" + master.port());
      long killedAt = ChaosFleet.micros();
      cluster.kill(master);
      holder.send("go");
      RedisServerProcess promoted = cluster.awaitPromotionAfterKill(master);
      long promotedAt = ChaosFleet.micros();
      JsonNode rotation = FailoverIT.awaitRotationBy(fleet, holder.id);
      JsonNode rotationUnder =
          fleet.awaitEvent(
              "under_replicated",
              e ->
                  e.get("worker").asText().equals(holder.id)
                      && e.get("version").asLong() == rotation.get("version").asLong(),
              AT_MOST);
      // Every refresh after that finds its mark confirmed by nobody: two attempts, nothing sent.
      long rotatedAt = rotationUnder.get("t").asLong();
      fleet.awaitEvents("under_replicated", e -> e.get("t").asLong() > rotatedAt, 2, AT_MOST);
      long sentWithoutReplica = requestsAfter(fleet, promotedAt);
      long sentAfterKill = requestsAfter(fleet, killedAt);
      fleet.fault("restart as a replica", "redis:" + master.port());
      long restartedAt = ChaosFleet.micros();
      master.startAgain();
      cluster.awaitStable();
      long rejoinedAt = ChaosFleet.micros();
      assertThat(cluster.replicasOf(promoted)).contains(master);
      long before = fleet.refreshes();
      fleet.awaitRefreshes(before + 2, AT_MOST);
      long promotedVersion = ChaosFleet.storedVersion(promoted::command);
      Map<String, Object> figures = new LinkedHashMap<>();
      figures.put("slot", SLOT);
      figures.put("promotedAfterKillMillis", (promotedAt - killedAt) / 1000);
      // applied between its sentAt and its t, which comes after the WAIT (1 s: no replica)
      figures.put(
          "rotationWriteSentAfterKillMillis", (rotation.get("sentAt").asLong() - killedAt) / 1000);
      figures.put(
          "rotationWriteSentAfterLockMillis",
          (rotation.get("sentAt").asLong() - lockedAt(fleet, holder)) / 1000);
      figures.put("rotatedVersion", rotation.get("version").asLong());
      figures.put("requestsAfterKill", sentAfterKill);
      figures.put("requestsWhileTheSlotHadNoReplica", sentWithoutReplica);
      figures.put(
          "marksUnconfirmedWithoutReplica",
          fleet
              .events(
                  "under_replicated",
                  e -> e.get("t").asLong() > rotatedAt && e.get("t").asLong() < restartedAt)
              .size());
      figures.put("replicatingAfterRestartMillis", (rejoinedAt - restartedAt) / 1000);
      figures.put(
          "firstRefreshAfterRestartMillis",
          (fleet.firstRefreshAfter(restartedAt) - restartedAt) / 1000);
      figures.put("versionAfterTwoMoreRefreshes", promotedVersion);
      InvariantChecker.Report report = fleet.finish(figures);
      assertThat(sentAfterKill).as("the holder's request, and nothing else").isEqualTo(1);
      assertThat(sentWithoutReplica).isZero();
      assertThat(promotedVersion).isGreaterThan(rotation.get("version").asLong());
      assertThat(report.expected()).isEmpty();
      assertThat(report.figures().get("reauthRequired")).isEqualTo(0);
      assertThat(fleet.server.requests())
          .extracting(RecordedTokenRequest::outcome)
          .containsOnly(Outcome.REFRESHED);
    }
  }

  /**
   * 13b: the credential's slot is moved to another master under load ({@link
   * RedisCluster#migrateSlot}, stepwise, with {@code waitForReplicas(1, 1 s)}). While the slot is
   * migrating no refresh can start: the lock's script names its key (absent while free) and its
   * fence counter, and the node answers {@code TRYAGAIN}; the scenario holds the migration there
   * until a refresh has tried and been refused, then lets it go on. Every caller must be served
   * throughout (no error of any kind: the cached token is good for 2 s after refresh-ahead starts,
   * callers wait 3 s more), and the fleet refreshes on the new owner. 8 s tokens.
   */
  @Test
  void slotMigratedUnderLoad_noCallFails_oneRequestPerRefresh() throws Exception {
    try (RedisCluster cluster = FleetTopology.startCluster();
        ChaosFleet fleet =
            new ChaosFleet(
                "13b-cluster-slot-migration", Duration.ofSeconds(8), FleetTopology.of(cluster))) {
      fleet.seed();
      fleet.startWorkers(3, null, "waitForReplicas=1");
      JsonNode first = FailoverIT.awaitRotation(fleet, e -> true);
      RedisServerProcess source = cluster.masterOf(SLOT);
      RedisServerProcess target =
          cluster.masters().stream().filter(m -> !m.equals(source)).findFirst().orElseThrow();
      fleet.fault("migrate slot " + SLOT + " to " + target.port(), "redis:" + source.port());
      long startedAt = ChaosFleet.micros();
      Map<String, Object> figures = new LinkedHashMap<>();
      cluster.migrateSlot(
          SLOT,
          target,
          () -> {
            // Migrating, no key moved: hold here until a refresh tries to start and is refused.
            long from = ChaosFleet.micros();
            JsonNode refused =
                fleet.awaitEvent(
                    "lock_failed",
                    e -> e.get("t").asLong() > from && e.get("error").asText().contains("TRYAGAIN"),
                    AT_MOST);
            String error = refused.get("error").asText();
            // what Redis answered; Redisson's message goes on with the channel and the command
            int details = error.indexOf(". channel:");
            figures.put("lockRefused", details < 0 ? error : error.substring(0, details));
            figures.put("heldMigratingMillis", (ChaosFleet.micros() - from) / 1000);
            awaitEveryWorkerServes(fleet);
          },
          // Every key moved: the source answers ASK, and the clients follow it to the target.
          () -> awaitEveryWorkerServes(fleet));
      long movedAt = ChaosFleet.micros();
      assertThat(cluster.masterOf(SLOT)).isEqualTo(target);
      long before = fleet.refreshes();
      fleet.awaitRefreshes(before + 2, AT_MOST);
      figures.put("slot", SLOT);
      figures.put("firstRotationVersion", first.get("version").asLong());
      figures.put("migrationMillis", (movedAt - startedAt) / 1000);
      figures.put(
          "firstRefreshAfterTheMoveMillis", (fleet.firstRefreshAfter(movedAt) - movedAt) / 1000);
      figures.put(
          "lockRefusalsDuringTheMove",
          fleet
              .events(
                  "lock_failed",
                  e -> e.get("t").asLong() > startedAt && e.get("t").asLong() < movedAt)
              .size());
      InvariantChecker.Report report = fleet.finish(figures);
      assertThat(report.figures().get("errorTransitionsByType")).isEqualTo(Map.of());
      assertThat(fleet.server.requests())
          .extracting(RecordedTokenRequest::outcome)
          .containsOnly(Outcome.REFRESHED);
      assertThat(ChaosFleet.storedVersion(target::command))
          .isGreaterThan(first.get("version").asLong());
    }
  }

  /**
   * Awaits a serve by every worker after now: each logs its latest serve at least every 100 ms of
   * serving one token, and the first serve of each new one ({@link ServeLog}).
   */
  private static void awaitEveryWorkerServes(ChaosFleet fleet) {
    long from = ChaosFleet.micros();
    for (ChaosFleet.Worker worker : fleet.workers) {
      await(worker.id + " served")
          .atMost(AT_MOST)
          .pollInterval(Duration.ofMillis(50))
          .until(
              () ->
                  fleet.events().stream()
                      .anyMatch(
                          e ->
                              e.get("type").asText().startsWith("served")
                                  && e.get("worker").asText().equals(worker.id)
                                  && e.get("servedAt").asLong() > from));
    }
  }

  /** When {@code holder} took the lease it is refreshing under. */
  private static long lockedAt(ChaosFleet fleet, ChaosFleet.Worker holder) {
    List<JsonNode> locks = fleet.events("lock", e -> e.get("worker").asText().equals(holder.id));
    return locks.get(0).get("t").asLong();
  }

  private static long requestsAfter(ChaosFleet fleet, long micros) {
    List<RecordedTokenRequest> requests = fleet.server.requests();
    return requests.stream().filter(r -> EventLog.micros(r.receivedAt()) > micros).count();
  }
}

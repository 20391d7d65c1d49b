package dev.tokenherd.chaos;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tokenherd.testkit.RecordedTokenRequest;
import dev.tokenherd.testkit.RecordedTokenRequest.Outcome;
import dev.tokenherd.testkit.RedisSentinelGroup;
import dev.tokenherd.testkit.RedisServerProcess;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Scenarios 14a-b: scenario 10's failover to a lagging replica, made by real Sentinels (testkit
 * {@link RedisSentinelGroup}: a master, two replicas, three Sentinels, {@code
 * down-after-milliseconds} 1 s) instead of by the harness repointing proxies. Every worker is a JVM
 * aimed at the Sentinels ({@code sentinel=}, no proxy: see {@link FleetTopology}). One replica is
 * killed first, so that the other, made to lag, is the only one the Sentinels can promote; the
 * group's verified recipe then makes it lag ({@link RedisSentinelGroup#pauseReplica}: SIGSTOP and
 * its replication link cut), kills the master and resumes it, and the Sentinels promote it: every
 * write it missed is rolled back, record, refresh mark and the lock's fence counter together. The
 * server rotates and revokes the family on reuse.
 */
class SentinelFailoverIT {
  private static final Duration AT_MOST = FailoverIT.AT_MOST;

  /**
   * 14a, as 10a, without {@code waitForReplicas}: the holder's refresh mark reaches the replica,
   * the replica is cut off, the holder rotates on the master, the master dies and the Sentinels
   * promote the replica, which holds the record before the rotation with the holder's mark. The
   * next holder presents the rolled-back refresh token once; the fleet reports the lost rotation
   * (see {@link FailoverIT#finishWithTheLossReported}), which the checker lists as expected
   * findings.
   */
  @Test
  void laggingReplicaPromotedBySentinels_withoutWait_lostRotationIsReported() throws Exception {
    try (RedisSentinelGroup group = FleetTopology.startSentinelGroup();
        ChaosFleet fleet =
            new ChaosFleet(
                "14a-sentinel-lagging-replica-without-wait",
                ChaosSettings.TOKEN_TTL,
                FleetTopology.of(group))) {
      Start start = start(fleet, group);
      RedisServerProcess master = start.master();
      RedisServerProcess lagging = start.lagging();
      ChaosFleet.Worker holder = fleet.armAndAwaitBreak("endpoint", AT_MOST);
      assertThat(holder).as("a holder at its endpoint breakpoint").isNotNull();
      // The mark is on the master; make sure the replica has it too, then cut it off.
      ChaosFleet.awaitRecordReplicated(master::command, lagging::command);
      long held = ChaosFleet.storedVersion(master::command);
      long lostAfter = cutOff(fleet, group, lagging);
      long goAt = ChaosFleet.micros();
      holder.send("go");
      JsonNode rotation =
          FailoverIT.awaitRotation(
              fleet, e -> e.get("worker").asText().equals(holder.id) && e.get("t").asLong() > goAt);
      long failoverAt = killMasterAndAwaitPromotion(fleet, group, master, lagging, held, lostAfter);
      assertThat(held).as("the promoted replica lags").isLessThan(rotation.get("version").asLong());
      FailoverIT.finishWithTheLossReported(
          fleet, holder, rotation, failoverAt, held, lagging::command);
    }
  }

  /**
   * 14b, with {@code waitForReplicas(1, 1 s)}: a holder is stopped before its refresh mark, the
   * replica is cut off, and the holder goes on: its mark is confirmed by no replica, so it takes it
   * back and sends nothing, and so does every holder after it. The master dies and the Sentinels
   * promote the lagging replica: no token request was sent that it cannot see. It has no replica of
   * its own (the other was killed, the old master is dead), so the fleet refreshes again once the
   * old master is restarted and the Sentinels make it the new master's replica. The promoted record
   * is the last confirmed rotation; no refresh token is presented twice; 0 violations.
   */
  @Test
  void laggingReplicaPromotedBySentinels_withWait_noRequestWasSentItCannotSee() throws Exception {
    try (RedisSentinelGroup group = FleetTopology.startSentinelGroup();
        ChaosFleet fleet =
            new ChaosFleet(
                "14b-sentinel-lagging-replica-with-wait",
                ChaosSettings.TOKEN_TTL,
                FleetTopology.of(group))) {
      Start start = start(fleet, group, "waitForReplicas=1");
      RedisServerProcess master = start.master();
      RedisServerProcess lagging = start.lagging();
      JsonNode confirmed = start.rotation();
      ChaosFleet.Worker holder = fleet.armAndAwaitBreak("mark", AT_MOST);
      assertThat(holder).as("a holder at its mark breakpoint").isNotNull();
      long held = ChaosFleet.storedVersion(master::command);
      long lostAfter = cutOff(fleet, group, lagging);
      int sentBefore = fleet.server.requests().size();
      holder.send("go");
      JsonNode unconfirmed =
          fleet.awaitEvent(
              "under_replicated",
              e -> e.get("worker").asText().equals(holder.id) && e.get("t").asLong() > lostAfter,
              AT_MOST);
      fleet.awaitEvents("under_replicated", e -> e.get("t").asLong() > lostAfter, 2, AT_MOST);
      long failoverAt = killMasterAndAwaitPromotion(fleet, group, master, lagging, held, lostAfter);
      int sentWhileLagging = fleet.server.requests().size() - sentBefore;
      long promotedVersion = ChaosFleet.storedVersion(lagging::command);
      fleet.fault(
          "restart the old master (the Sentinels make it a replica)", "redis:" + master.port());
      long restartedAt = ChaosFleet.micros();
      master.startAgain();
      group.awaitStable();
      long rejoinedAt = ChaosFleet.micros();
      long before = fleet.refreshes();
      fleet.awaitRefreshes(before + 2, AT_MOST);
      Map<String, Object> figures = new LinkedHashMap<>();
      figures.put("confirmedVersion", confirmed.get("version").asLong());
      figures.put("versionAtTheCut", held);
      figures.put("promotedReplicaVersion", promotedVersion);
      figures.put("requestsWhileTheReplicaLagged", sentWhileLagging);
      figures.put(
          "unconfirmedMarksBeforeFailover",
          fleet
              .events(
                  "under_replicated",
                  e -> e.get("t").asLong() > lostAfter && e.get("t").asLong() < failoverAt)
              .size());
      figures.put(
          "firstUnconfirmedAfterCutMillis", (unconfirmed.get("t").asLong() - lostAfter) / 1000);
      figures.put("replicatingAfterRestartMillis", (rejoinedAt - restartedAt) / 1000);
      figures.put(
          "firstRefreshAfterRestartMillis",
          (fleet.firstRefreshAfter(restartedAt) - restartedAt) / 1000);
      InvariantChecker.Report report = fleet.finish(figures);
      assertThat(sentWhileLagging).as("token requests sent while the replica lagged").isZero();
      assertThat(promotedVersion)
          .as("the promoted replica holds the last confirmed rotation")
          .isEqualTo(held)
          .isEqualTo(confirmed.get("version").asLong());
      assertThat(report.expected()).isEmpty();
      assertThat(report.figures().get("reauthRequired")).isEqualTo(0);
      assertThat(fleet.server.requests())
          .extracting(RecordedTokenRequest::outcome)
          .containsOnly(Outcome.REFRESHED);
    }
  }

  /** The group's master, the replica that will lag, and the fleet's first stored rotation. */
  private record Start(RedisServerProcess master, RedisServerProcess lagging, JsonNode rotation) {}

  /**
   * Kills one replica, so that the other is the only one the Sentinels can promote, seeds, starts
   * three workers with {@code workerArguments} and awaits their first rotation.
   */
  private static Start start(
      ChaosFleet fleet, RedisSentinelGroup group, String... workerArguments) {
    RedisServerProcess master = group.master();
    RedisServerProcess killed = group.replicas().get(1);
    fleet.fault("SIGKILL replica (never to be promoted)", "redis:" + killed.port());
    group.kill(killed);
    RedisServerProcess lagging = group.replicas().get(0);
    fleet.seed();
    fleet.startWorkers(3, null, workerArguments);
    return new Start(master, lagging, FailoverIT.awaitRotation(fleet, e -> true));
  }

  /**
   * Cuts {@code replica} off the master ({@link RedisSentinelGroup#pauseReplica}) and returns when
   * (epoch micros) nothing written on the master reaches it any more.
   */
  private static long cutOff(
      ChaosFleet fleet, RedisSentinelGroup group, RedisServerProcess replica) {
    fleet.fault("replica SIGSTOPped, its replication link cut", "redis:" + replica.port());
    group.pauseReplica(replica);
    return ChaosFleet.micros();
  }

  /**
   * Logs the failover for the checker (nothing more is written on the master: it is killed next),
   * kills the master, resumes the lagging replica at once (the group's recipe) and awaits the
   * Sentinels' promotion of it; returns when the failover was logged.
   */
  private static long killMasterAndAwaitPromotion(
      ChaosFleet fleet,
      RedisSentinelGroup group,
      RedisServerProcess master,
      RedisServerProcess lagging,
      long held,
      long lostAfter) {
    long failoverAt = ChaosFleet.micros();
    fleet.topologyFailover("replica:127.0.0.1:" + lagging.port(), held, lostAfter);
    fleet.fault("SIGKILL master", "redis:" + master.port());
    group.kill(master);
    group.resume(lagging);
    RedisServerProcess promoted = group.awaitNewMasterAfter(master);
    assertThat(promoted).as("the Sentinels promoted the lagging replica").isEqualTo(lagging);
    return failoverAt;
  }
}

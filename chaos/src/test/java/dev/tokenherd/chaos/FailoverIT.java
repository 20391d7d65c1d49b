package dev.tokenherd.chaos;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tokenherd.testkit.RecordedTokenRequest;
import dev.tokenherd.testkit.RecordedTokenRequest.Outcome;
import dev.tokenherd.testkit.RotationMode;
import java.io.IOException;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;

/**
 * Scenario 10: failover to a lagging replica. A primary and a replica {@code redis-server}; the
 * workers reach Redis through their proxies, which the test repoints from the primary to the
 * promoted replica (the "failover"). Replication is asynchronous, so what the promotion loses
 * depends on what the replica had acknowledged; {@code waitForReplicas} is the fleet's answer.
 */
class FailoverIT {
  static final Duration AT_MOST = Duration.ofSeconds(90);

  /**
   * 10a, without WAIT: replication stops after the holder's refresh mark reached the replica but
   * before its rotation; the promoted replica holds the old record with that mark. What the engine
   * must then do ({@code RotationWriter.onPermanentFailure}: a mark of another fence + {@code
   * invalid_grant} = lost rotation): the next holder presents the rolled-back refresh token once,
   * the server detects the reuse and revokes the family, and the fleet marks the credential {@code
   * REAUTH_REQUIRED} with reason {@code LOST_ROTATION}, so callers get {@code
   * LostRotationException}, never a silent retry. The checker lists the reuse and the re-used
   * version as expected findings, not violations. The re-authentication record reuses the
   * rolled-back version number, which the workers that cached the lost version already hold: they
   * must still install it (a stored record of the same version that differs from theirs is a
   * failover's, see {@code NearCache.divergedAfterFailover}), so every worker reports {@code
   * REAUTH_REQUIRED/LOST_ROTATION} to its listener, and exactly one worker (the detector) counts
   * the lost rotation. Before that fix, those workers learned it only at their token's expiry
   * (docs/chaos.md, Findings).
   */
  @Test
  void failoverToLaggingReplica_withoutWait_lostRotationIsReported() throws Exception {
    try (ChaosFleet fleet =
        new ChaosFleet(
            "10a-failover-without-wait",
            ChaosSeed.get(),
            RotationMode.ROTATE_REVOKE_FAMILY_ON_REUSE,
            Duration.ofSeconds(8))) {
      RedisNode replica = fleet.startReplica();
      fleet.seed();
      fleet.awaitReplicated();
      // Held at its write, the server's answer in hand: held at the endpoint instead, its request
      // must go out within its send-by deadline (about 1 s with the suite's settings), and
      // stopping replication took the harness 0.9 s on a loaded machine (the request refused as
      // overdue, another worker rotated, and the scenario lost its premise; seen in session 9).
      // The 4 s lease (8 s tokens) gives the harness as long again before the holder's mark runs
      // out: 4 s from BREAK to the stopped replication were seen on a machine loaded by a second
      // build and a compose fleet.
      fleet.startWorkers(3, "write", "endpointTimeoutMillis=2000", "leaseMillis=4000");
      ChaosFleet.Worker holder = fleet.awaitBreak("write");
      // The mark is on the primary; make sure the replica has it too, then cut replication.
      ChaosFleet.awaitRecordReplicated(fleet.redis(), replica);
      fleet.fault("replication stopped (REPLICAOF NO ONE)", "replica");
      assertThat(replica.command("REPLICAOF", "NO", "ONE")).isEqualTo("+OK");
      holder.send("go");
      JsonNode rotation = awaitRotationBy(fleet, holder.id);
      long failoverAt = ChaosFleet.micros();
      long held = fleet.failover(replica);
      assertThat(held).as("the promoted replica lags").isLessThan(rotation.get("version").asLong());
      finishWithTheLossReported(fleet, holder, rotation, failoverAt, held, replica);
    }
  }

  /**
   * What 10a and 14a expect after a lagging replica was promoted and the holder's rotation rolled
   * back: the next holder presents the rolled-back refresh token once (the server detects the reuse
   * and revokes the family), the fleet marks the credential {@code REAUTH_REQUIRED} with reason
   * {@code LOST_ROTATION}, every worker's listener is told, callers get a typed permanent error,
   * one worker counts the lost rotation; the checker lists the reuse as an expected finding. Awaits
   * all that, ends the scenario and asserts it.
   */
  static void finishWithTheLossReported(
      ChaosFleet fleet,
      ChaosFleet.Worker holder,
      JsonNode rotation,
      long failoverAt,
      long held,
      RedisCommands promoted)
      throws IOException {
    JsonNode reauth =
        fleet.awaitEvent(
            "write",
            e ->
                e.get("t").asLong() > failoverAt
                    && e.get("status").asText().equals("REAUTH_REQUIRED")
                    && e.get("outcome").asText().equals("APPLIED"),
            AT_MOST);
    String reason = ChaosFleet.recordField(promoted, "reauth_reason", "none");
    JsonNode typed =
        fleet.awaitEvent(
            "error",
            e ->
                e.get("t").asLong() > failoverAt
                    && e.get("error").asText().endsWith("Exception")
                    && !e.get("retryable").asBoolean(),
            AT_MOST);
    long rotatedAt = rotation.get("t").asLong();
    List<JsonNode> sent =
        fleet.events(
            "request",
            e -> e.get("worker").asText().equals(holder.id) && e.get("t").asLong() < rotatedAt);
    String presented = sent.get(sent.size() - 1).get("rtFp").asText();
    List<Outcome> outcomes =
        fleet.server.requests().stream()
            .filter(r -> presented.equals(r.refreshTokenFingerprint()))
            .map(RecordedTokenRequest::outcome)
            .toList();
    long reauthAt = reauth.get("t").asLong();
    long lastListenerEvent = 0;
    for (ChaosFleet.Worker worker : fleet.workers) {
      JsonNode told =
          fleet.awaitEvent(
              "reauth",
              e ->
                  e.get("worker").asText().equals(worker.id)
                      && e.get("t").asLong() > failoverAt
                      && e.get("reason").asText().equals("LOST_ROTATION"),
              AT_MOST);
      lastListenerEvent = Math.max(lastListenerEvent, told.get("t").asLong());
    }
    Map<String, Object> figures = new LinkedHashMap<>();
    figures.put("rotatedVersion", rotation.get("version").asLong());
    figures.put("promotedReplicaVersion", held);
    figures.put("reauthReason", reason);
    figures.put("reauthVersion", reauth.get("version").asLong());
    figures.put("reauthAfterFailoverMillis", (reauthAt - failoverAt) / 1000);
    figures.put("lastWorkerToldAfterReauthMillis", (lastListenerEvent - reauthAt) / 1000);
    figures.put("firstCallerError", typed.get("error").asText());
    figures.put("presentationsOfRolledBackToken", outcomes.size());
    InvariantChecker.Report report = fleet.finish(figures);
    assertThat(reason).isEqualTo("LOST_ROTATION");
    assertThat(outcomes)
        .as("the rolled-back refresh token is presented once more, and only once")
        .containsExactly(Outcome.REFRESHED, Outcome.REUSE_DETECTED);
    assertThat(report.expected())
        .extracting(Violation::invariant)
        .as("the loss is classified as expected and reported")
        .contains("I2");
    assertThat(typed.get("error").asText())
        .isIn("LostRotationException", "ReauthenticationRequiredException");
    assertThat(fleet.events("lost_rotation", e -> true))
        .as("one detector, one lost_rotation listener event")
        .hasSize(1);
    long counted =
        fleet.events("summary", e -> true).stream()
            .mapToLong(e -> e.path("lostRotations").asLong())
            .sum();
    assertThat(counted).as("stats.lostRotations over the fleet").isEqualTo(1);
  }

  /**
   * 10b, with {@code waitForReplicas(1, 1 s)}: the replica is promoted the moment the holder's
   * write returns (replication stopped before anything else happens). The acknowledged rotation
   * survives: the promoted replica holds the rotated version, no refresh token is presented twice
   * and nobody has to re-authenticate. The promoted node has no replica, so every refresh mark
   * there is confirmed by nobody and taken back, and nothing is sent (since a7c0484, which also
   * waits on marks); once a new replica of it has synchronised, the fleet refreshes there again.
   */
  @Test
  void failoverRightAfterRotation_withWait_rotationSurvives() throws Exception {
    try (ChaosFleet fleet =
        new ChaosFleet(
            "10b-failover-with-wait",
            ChaosSeed.get(),
            RotationMode.ROTATE_REVOKE_FAMILY_ON_REUSE,
            Duration.ofSeconds(8))) {
      RedisNode replica = fleet.startReplica();
      fleet.seed();
      fleet.awaitReplicated();
      // 8 s tokens, a 4 s lease: the failover must come before the next rotation, and a harness
      // slowed by a loaded machine (4 s from BREAK to its next step were seen in session 9) must
      // not let the 4 s tokens' next refresh in first (the promoted node then held version 3).
      fleet.startWorkers(
          3, "unlock", "waitForReplicas=1", "endpointTimeoutMillis=2000", "leaseMillis=4000");
      ChaosFleet.Worker holder = fleet.awaitBreak("unlock");
      JsonNode rotation = awaitRotationBy(fleet, holder.id);
      long failoverAt = ChaosFleet.micros();
      long held = fleet.failover(replica);
      holder.send("go");
      fleet.awaitEvents("under_replicated", e -> e.get("t").asLong() > failoverAt, 2, AT_MOST);
      long sentWithoutReplica =
          fleet.server.requests().stream()
              .filter(r -> EventLog.micros(r.receivedAt()) > failoverAt)
              .count();
      fleet.fault("replica of the promoted node started", "redis");
      long replicaAt = ChaosFleet.micros();
      fleet.environment.startReplica(replica);
      long before = fleet.refreshes();
      fleet.awaitRefreshes(before + 2, AT_MOST);
      long after = ChaosFleet.storedVersion(replica);
      Map<String, Object> figures = new LinkedHashMap<>();
      figures.put("rotatedVersion", rotation.get("version").asLong());
      figures.put("promotedReplicaVersion", held);
      figures.put("versionAfterTwoMoreRefreshes", after);
      figures.put("requestsWithoutAReplica", sentWithoutReplica);
      figures.put(
          "firstRefreshAfterNewReplicaMillis",
          (fleet.firstRefreshAfter(replicaAt) - replicaAt) / 1000);
      InvariantChecker.Report report = fleet.finish(figures);
      assertThat(held).isEqualTo(rotation.get("version").asLong());
      assertThat(sentWithoutReplica)
          .as("token requests while the promoted node had no replica")
          .isZero();
      assertThat(report.expected()).isEmpty();
      assertThat(report.figures().get("reauthRequired")).isEqualTo(0);
      assertThat(fleet.server.requests())
          .extracting(RecordedTokenRequest::outcome)
          .doesNotContain(Outcome.REUSE_DETECTED, Outcome.INVALID_GRANT);
    }
  }

  /**
   * 10c, with {@code waitForReplicas(1, 1 s)} and the replica frozen (SIGSTOP) during the rotation:
   * {@code WAIT} times out, the write stands (the server already rotated) and the shortfall is
   * reported as an under-replicated write (listener event and stats), not as a failure. The replica
   * is frozen while the holder waits at its {@code write} breakpoint, the server's answer in hand:
   * frozen earlier (at {@code endpoint}), the holder's request must still go out within its send-by
   * deadline, and in containers the harness needs about a second from {@code BREAK} to {@code go}
   * (the docker CLI between them), which a 2 s lease does not leave (seen: the request refused as
   * overdue, and every later holder's mark spent its 1 s {@code WAIT} and its send window with it;
   * docs/chaos.md, Findings).
   */
  @Test
  void replicaFrozenDuringRotation_withWait_underReplicatedWriteIsReported() throws Exception {
    try (ChaosFleet fleet =
        new ChaosFleet(
            "10c-wait-times-out", ChaosSeed.get(), RotationMode.ROTATE_REVOKE_FAMILY_ON_REUSE)) {
      RedisNode replica = fleet.startReplica();
      fleet.seed();
      fleet.awaitReplicated();
      fleet.startWorkers(3, "write", "waitForReplicas=1");
      ChaosFleet.Worker holder = fleet.awaitBreak("write");
      fleet.fault("SIGSTOP", "replica");
      replica.pause();
      long pausedAt = ChaosFleet.micros();
      holder.send("go");
      JsonNode under =
          fleet.awaitEvent(
              "under_replicated", e -> e.get("worker").asText().equals(holder.id), AT_MOST);
      JsonNode rotation = awaitRotationBy(fleet, holder.id);
      fleet.fault("SIGCONT", "replica");
      replica.resume();
      fleet.awaitReplicated();
      long before = fleet.refreshes();
      fleet.awaitRefreshes(before + 1, AT_MOST);
      Map<String, Object> figures = new LinkedHashMap<>();
      figures.put("underReplicatedVersion", under.get("version").asLong());
      figures.put("acknowledged", under.get("acknowledged").asInt());
      figures.put("reportedAfterPauseMillis", (under.get("t").asLong() - pausedAt) / 1000);
      InvariantChecker.Report report = fleet.finish(figures);
      assertThat(under.get("version").asLong()).isEqualTo(rotation.get("version").asLong());
      assertThat(under.get("requested").asInt()).isEqualTo(1);
      assertThat(under.get("acknowledged").asInt()).isZero();
      assertThat(report.figures().get("reauthRequired")).isEqualTo(0);
      long summarized =
          fleet.events("summary", e -> e.get("worker").asText().equals(holder.id)).stream()
              .mapToLong(e -> e.path("underReplicatedWrites").asLong())
              .sum();
      assertThat(summarized).as("stats.underReplicatedWrites of the holder").isPositive();
    }
  }

  /** Awaits {@code worker}'s first stored rotation (an applied content write, status ACTIVE). */
  static JsonNode awaitRotationBy(ChaosFleet fleet, String worker) {
    return awaitRotation(fleet, e -> e.get("worker").asText().equals(worker));
  }

  /** Awaits the first stored rotation (an applied content write, status ACTIVE) that matches. */
  static JsonNode awaitRotation(ChaosFleet fleet, Predicate<JsonNode> which) {
    return fleet.awaitEvent(
        "write",
        e ->
            e.get("content").asBoolean()
                && e.get("status").asText().equals("ACTIVE")
                && e.get("outcome").asText().equals("APPLIED")
                && which.test(e),
        AT_MOST);
  }
}

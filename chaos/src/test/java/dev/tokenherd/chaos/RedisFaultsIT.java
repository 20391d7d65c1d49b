package dev.tokenherd.chaos;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tokenherd.testkit.RotationMode;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Scenarios 5–7: Redis restarts, a worker is cut off from Redis, pub/sub subscribers are killed.
 */
class RedisFaultsIT {
  private static final Duration AT_MOST = Duration.ofSeconds(90);

  /** Scenario 5: redis-server (AOF on) is restarted under traffic; nothing is lost. */
  @Test
  void redisRestartedWithAof_nothingLost() throws Exception {
    try (ChaosFleet fleet =
        new ChaosFleet(
            "5-redis-restart-aof", ChaosSeed.get(), RotationMode.ROTATE_REVOKE_FAMILY_ON_REUSE)) {
      fleet.seed();
      fleet.startWorkers(3, null);
      fleet.awaitRefreshes(1, AT_MOST);
      long before = fleet.refreshes();
      fleet.fault("redis restart", "redis");
      long restartedAt = ChaosFleet.micros();
      fleet.redis().restart();
      fleet.awaitRefreshes(before + 2, AT_MOST);
      Map<String, Object> figures = new LinkedHashMap<>();
      figures.put(
          "timeToNextRefreshMillis", (fleet.firstRefreshAfter(restartedAt) - restartedAt) / 1000);
      InvariantChecker.Report report = fleet.finish(figures);
      assertThat(report.figures().get("reauthRequired")).isEqualTo(0);
    }
  }

  /**
   * Scenario 6: one worker's connections to Redis are cut for longer than the token's life: it
   * serves its cached token until expiry, then typed errors, then recovers by itself once healed.
   */
  /*
   * Its own policy: a 2 s endpoint timeout and a 4 s lease (8 s tokens, so the lease stays well
   * inside a token's life), on top of the workers' warm-up. With 1 s / 2 s, a first request on the
   * loaded 2-core machine could time out after the server had rotated, and the (correctly
   * reported) lost rotation left nothing for the scenario to cut (docs/chaos.md, Findings).
   */
  @Test
  void workerCutFromRedis_servesCachedThenTypedErrors_thenRecovers() throws Exception {
    try (ChaosFleet fleet =
        new ChaosFleet(
            "6-worker-cut-from-redis",
            ChaosSeed.get(),
            RotationMode.ROTATE_REVOKE_FAMILY_ON_REUSE,
            Duration.ofSeconds(8))) {
      fleet.seed();
      fleet.startWorkers(3, null, "endpointTimeoutMillis=2000", "leaseMillis=4000");
      // Cut only after the first rotation is stored: the server logs a refresh when it answers,
      // and a cut between that answer and the holder's write loses the rotation (reported, but
      // then the scenario tests a lost rotation instead of its own fault; seen in a full run).
      fleet.awaitEvent(
          "write",
          e ->
              e.get("content").asBoolean()
                  && e.get("outcome").asText().equals("APPLIED")
                  && e.get("status").asText().equals("ACTIVE"),
          AT_MOST);
      ChaosFleet.Worker cut = fleet.workers.get(0);
      fleet.fault("proxy cut", cut.id);
      long cutAt = ChaosFleet.micros();
      cut.link.cut();
      JsonNode firstError =
          fleet.awaitEvent(
              "error",
              e -> e.get("worker").asText().equals(cut.id) && e.get("t").asLong() > cutAt,
              AT_MOST);
      // The rest of the fleet keeps refreshing while it is cut off.
      long before = fleet.refreshes();
      fleet.awaitRefreshes(before + 1, AT_MOST);
      fleet.fault("proxy healed", cut.id);
      long healedAt = ChaosFleet.micros();
      cut.link.heal();
      JsonNode recovered =
          fleet.awaitEvent(
              "recovered",
              e -> e.get("worker").asText().equals(cut.id) && e.get("t").asLong() > healedAt,
              AT_MOST);
      Map<String, Object> figures = new LinkedHashMap<>();
      figures.put("firstErrorAfterCutMillis", (firstError.get("t").asLong() - cutAt) / 1000);
      figures.put("firstErrorType", firstError.get("error").asText());
      figures.put("timeToRecoverAfterHealMillis", (recovered.get("t").asLong() - healedAt) / 1000);
      fleet.finish(figures);
      assertThat(firstError.get("retryable").asBoolean()).as("a retryable, typed error").isTrue();
    }
  }

  /**
   * Scenario 7: every pub/sub connection is killed at each of five refreshes; waiters still finish.
   */
  @Test
  void pubSubSubscribersKilledRepeatedly_waitersStillFinish() throws Exception {
    try (ChaosFleet fleet =
        new ChaosFleet(
            "7-pubsub-killed", ChaosSeed.get(), RotationMode.ROTATE_REVOKE_FAMILY_ON_REUSE)) {
      fleet.seed();
      fleet.startWorkers(3, null);
      int kills = 0;
      for (int i = 1; i <= 5; i++) {
        fleet.awaitRefreshes(i, AT_MOST);
        String killed = fleet.redis().command("CLIENT", "KILL", "TYPE", "pubsub");
        fleet.fault("CLIENT KILL TYPE pubsub: " + killed, "redis");
        kills++;
      }
      long before = fleet.refreshes();
      fleet.awaitRefreshes(before + 1, AT_MOST);
      Map<String, Object> figures = new LinkedHashMap<>();
      figures.put("pubsubKills", kills);
      InvariantChecker.Report report = fleet.finish(figures);
      assertThat(report.figures().get("errorTransitionsByType")).isEqualTo(Map.of());
    }
  }
}

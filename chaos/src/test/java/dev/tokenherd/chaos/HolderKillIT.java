package dev.tokenherd.chaos;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tokenherd.testkit.RecordedTokenRequest;
import dev.tokenherd.testkit.RotationMode;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Scenarios 1–3: three worker JVMs; the one that takes the lease stops at a breakpoint ({@code
 * BREAK <point>} on its stdout) and is SIGKILLed there. The survivors must carry on, and the
 * checker must find I1–I6 intact in the logs.
 */
class HolderKillIT {
  private static final Duration RECOVERY = Duration.ofSeconds(60);

  /** Scenario 1: killed under the lease, before the token request: the next holder refreshes. */
  @Test
  void holderKilledBeforeEndpoint_anotherWorkerRefreshes() throws Exception {
    try (ChaosFleet fleet =
        new ChaosFleet(
            "1-kill-before-endpoint",
            ChaosSeed.get(),
            RotationMode.ROTATE_REVOKE_FAMILY_ON_REUSE)) {
      Map<String, Object> figures = killAt(fleet, "endpoint");
      int before = fleet.server.requests().size();
      assertThat(before).as("nothing was sent by the killed holder").isZero();
      long recovered = awaitRefreshesAfterKill(fleet, figures, 2);
      InvariantChecker.Report report = fleet.finish(figures);
      assertThat(recovered).isPositive();
      assertThat(report.figures().get("lostRotationsReported")).isEqualTo(0);
    }
  }

  /**
   * Scenario 2: killed after the server rotated, before the write. With family revocation the
   * rotation is lost: the fleet must report it as a LostRotationException (counted, re-auth
   * required), never retry in a loop; a new seed heals it.
   */
  @Test
  void holderKilledAfterEndpoint_lostRotationIsDetectedAndReported() throws Exception {
    try (ChaosFleet fleet =
        new ChaosFleet(
            "2-kill-before-write", ChaosSeed.get(), RotationMode.ROTATE_REVOKE_FAMILY_ON_REUSE)) {
      Map<String, Object> figures = killAt(fleet, "write");
      long killedAt = (long) figures.get("killedAtMicros");
      JsonNode lost = fleet.awaitEvent("lost_rotation", e -> true, RECOVERY);
      figures.put("timeToDetectMillis", (lost.get("t").asLong() - killedAt) / 1000);
      // Every surviving worker's callers get the typed error, not a generic failure.
      for (ChaosFleet.Worker w : fleet.workers.subList(0, fleet.workers.size())) {
        if (w.process.isAlive()) {
          fleet.awaitEvent(
              "error",
              e ->
                  e.get("worker").asText().equals(w.id)
                      && e.get("error").asText().equals("LostRotationException"),
              RECOVERY);
        }
      }
      long afterKill =
          fleet.server.requests().stream()
              .filter(r -> EventLog.micros(r.receivedAt()) > killedAt)
              .count();
      figures.put("requestsAfterKill", afterKill);
      fleet.fault("reseed", "fleet");
      long seededAt = ChaosFleet.micros();
      fleet.seed();
      JsonNode served =
          fleet.awaitEvent(
              "served",
              e -> e.get("t").asLong() > seededAt && e.get("version").asLong() > 0,
              RECOVERY);
      figures.put("timeToServeAfterSeedMillis", (served.get("t").asLong() - seededAt) / 1000);
      InvariantChecker.Report report = fleet.finish(figures);
      assertThat(afterKill).as("one detection, no retry loop").isEqualTo(1);
      assertThat(report.figures().get("lostRotationsReported")).isEqualTo(1);
    }
  }

  /**
   * Scenario 2, grace-period mode: the next holder presents the same refresh token within the grace
   * period, receives the successor, and the fleet carries on without re-authentication.
   */
  @Test
  void holderKilledAfterEndpoint_gracePeriod_fleetRecoversWithoutReauth() throws Exception {
    try (ChaosFleet fleet =
        new ChaosFleet(
            "2-kill-before-write-grace", ChaosSeed.get(), RotationMode.ROTATE_WITH_GRACE_PERIOD)) {
      Map<String, Object> figures = killAt(fleet, "write");
      awaitRefreshesAfterKill(fleet, figures, 2);
      InvariantChecker.Report report = fleet.finish(figures);
      assertThat(report.figures().get("reauthRequired")).isEqualTo(0);
      assertThat((long) report.figures().get("graceReuses")).isEqualTo(1);
    }
  }

  /** Scenario 3: killed after the write, before unlocking: the others adopt the new record. */
  @Test
  void holderKilledBeforeUnlock_othersAdoptAndContinue() throws Exception {
    try (ChaosFleet fleet =
        new ChaosFleet(
            "3-kill-before-unlock", ChaosSeed.get(), RotationMode.ROTATE_REVOKE_FAMILY_ON_REUSE)) {
      Map<String, Object> figures = killAt(fleet, "unlock");
      awaitRefreshesAfterKill(fleet, figures, 2);
      InvariantChecker.Report report = fleet.finish(figures);
      assertThat(report.figures().get("lostRotationsReported")).isEqualTo(0);
    }
  }

  /** Seeds, starts three armed workers, SIGKILLs the first to reach {@code point}. */
  static Map<String, Object> killAt(ChaosFleet fleet, String point) throws Exception {
    fleet.seed();
    fleet.startWorkers(3, point);
    ChaosFleet.Worker holder = fleet.awaitBreak(point);
    fleet.fault("SIGKILL@" + point, holder.id);
    long killedAt = ChaosFleet.micros();
    holder.kill();
    Map<String, Object> figures = new LinkedHashMap<>();
    figures.put("killed", holder.id);
    figures.put("killedAtMicros", killedAt);
    return figures;
  }

  /**
   * Awaits {@code count} successful grants received after the kill; records the time from the kill
   * to the first one.
   */
  static long awaitRefreshesAfterKill(ChaosFleet fleet, Map<String, Object> figures, int count) {
    long killedAt = (long) figures.get("killedAtMicros");
    org.awaitility.Awaitility.await("refreshes after the kill")
        .atMost(RECOVERY)
        .pollInterval(Duration.ofMillis(100))
        .until(() -> successesAfter(fleet, killedAt).size() >= count);
    List<RecordedTokenRequest> after = successesAfter(fleet, killedAt);
    long recovered = (EventLog.micros(after.get(0).receivedAt()) - killedAt) / 1000;
    figures.put("timeToNextRefreshMillis", recovered);
    figures.put(
        "requestsAfterKill",
        fleet.server.requests().stream()
            .filter(r -> EventLog.micros(r.receivedAt()) > killedAt)
            .count());
    return Math.max(recovered, 1);
  }

  private static List<RecordedTokenRequest> successesAfter(ChaosFleet fleet, long micros) {
    return fleet.server.requests().stream()
        .filter(r -> EventLog.micros(r.receivedAt()) > micros)
        .filter(
            r ->
                r.outcome() == RecordedTokenRequest.Outcome.REFRESHED
                    || r.outcome() == RecordedTokenRequest.Outcome.GRACE_REUSE)
        .toList();
  }
}

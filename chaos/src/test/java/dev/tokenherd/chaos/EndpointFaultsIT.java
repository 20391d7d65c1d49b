package dev.tokenherd.chaos;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.tokenherd.testkit.Fault;
import dev.tokenherd.testkit.RecordedTokenRequest;
import dev.tokenherd.testkit.RecordedTokenRequest.Outcome;
import dev.tokenherd.testkit.RotationMode;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Scenarios 8 and 9: the token endpoint fails for a while, or revokes the credential. */
class EndpointFaultsIT {
  private static final Duration AT_MOST = Duration.ofSeconds(60);

  /**
   * Scenario 8: 503, then 429 with Retry-After, then timeouts (a 2 s stall against a 1 s client
   * timeout), each until three requests failed; after each the fleet refreshes by itself.
   */
  @Test
  void endpointFailsTransiently_fleetRetriesAndRecovers() throws Exception {
    try (ChaosFleet fleet =
        new ChaosFleet(
            "8-endpoint-503-429-timeout",
            ChaosSeed.get(),
            RotationMode.ROTATE_REVOKE_FAMILY_ON_REUSE)) {
      fleet.seed();
      fleet.startWorkers(3, null);
      awaitRefreshes(fleet, 0, 1);
      Map<String, Object> figures = new LinkedHashMap<>();
      phase(fleet, figures, "503", Fault.status(503));
      phase(fleet, figures, "429", Fault.tooManyRequests(Duration.ofSeconds(1)));
      phase(fleet, figures, "timeout", Fault.delay(Duration.ofSeconds(2)));
      InvariantChecker.Report report = fleet.finish(figures);
      assertThat(report.figures().get("reauthRequired")).isEqualTo(0);
    }
  }

  private static void phase(
      ChaosFleet fleet, Map<String, Object> figures, String name, Fault fault) {
    int before = fleet.server.requests().size();
    fleet.fault("endpoint " + name, "server");
    long start = ChaosFleet.micros();
    fleet.server.failAll(fault);
    await("three failed requests (" + name + ")")
        .atMost(AT_MOST)
        .pollInterval(Duration.ofMillis(50))
        .until(() -> failedSince(fleet, before) >= 3);
    fleet.server.clearFaults();
    fleet.fault("endpoint healed", "server");
    long healed = ChaosFleet.micros();
    long refreshesBefore = refreshes(fleet);
    awaitRefreshes(fleet, refreshesBefore, 1);
    long recovered =
        fleet.server.requests().stream()
            .filter(r -> r.outcome() == Outcome.REFRESHED)
            .mapToLong(r -> EventLog.micros(r.receivedAt()))
            .filter(t -> t > healed)
            .min()
            .orElseThrow();
    figures.put(name + ".faultWindowMillis", (healed - start) / 1000);
    figures.put(name + ".failedRequests", failedSince(fleet, before));
    figures.put(name + ".timeToRefreshAfterHealMillis", (recovered - healed) / 1000);
  }

  private static long failedSince(ChaosFleet fleet, int index) {
    var requests = fleet.server.requests();
    return requests.subList(Math.min(index, requests.size()), requests.size()).stream()
        .filter(r -> !r.processed())
        .count();
  }

  private static long refreshes(ChaosFleet fleet) {
    return fleet.server.requests().stream().filter(r -> r.outcome() == Outcome.REFRESHED).count();
  }

  private static void awaitRefreshes(ChaosFleet fleet, long from, int more) {
    await("refreshes")
        .atMost(AT_MOST)
        .pollInterval(Duration.ofMillis(50))
        .until(() -> refreshes(fleet) >= from + more);
  }

  /**
   * Scenario 9: the server revokes the family. One worker detects it, the credential is marked
   * re-authentication-required, every worker's callers get the typed error, and no more requests
   * are sent (observed for 3 s) until a new seed, after which the fleet serves again.
   */
  @Test
  void familyRevoked_fleetStopsAsking_untilReseeded() throws Exception {
    try (ChaosFleet fleet =
        new ChaosFleet(
            "9-family-revoked", ChaosSeed.get(), RotationMode.ROTATE_REVOKE_FAMILY_ON_REUSE)) {
      fleet.seed();
      fleet.startWorkers(3, null);
      awaitRefreshes(fleet, 0, 1);
      fleet.fault("revoke family", "server");
      long revokedAt = ChaosFleet.micros();
      fleet.server.revokeAll();
      var reauth =
          fleet.awaitEvent(
              "write",
              e ->
                  e.get("status").asText().equals("REAUTH_REQUIRED")
                      && e.get("outcome").asText().equals("APPLIED"),
              AT_MOST);
      for (ChaosFleet.Worker w : fleet.workers) {
        fleet.awaitEvent(
            "error",
            e ->
                e.get("worker").asText().equals(w.id)
                    && e.get("error").asText().equals("ReauthenticationRequiredException"),
            AT_MOST);
      }
      // A deliberate observation window: nothing may be sent while re-auth is required.
      long requestsAtDetection = requestsAfter(fleet, revokedAt);
      await("no retry loop")
          .during(Duration.ofSeconds(3))
          .atMost(Duration.ofSeconds(5))
          .until(() -> requestsAfter(fleet, revokedAt) == requestsAtDetection);
      Map<String, Object> figures = new LinkedHashMap<>();
      figures.put("requestsAfterRevocation", requestsAfter(fleet, revokedAt));
      figures.put("timeToDetectMillis", (reauth.get("t").asLong() - revokedAt) / 1000);
      long seededAt = ChaosFleet.micros();
      fleet.seed();
      for (ChaosFleet.Worker w : fleet.workers) {
        fleet.awaitEvent(
            "served",
            e -> e.get("worker").asText().equals(w.id) && e.get("t").asLong() > seededAt,
            AT_MOST);
      }
      figures.put(
          "timeToServeAfterSeedMillis",
          (fleet.events("served", e -> e.get("t").asLong() > seededAt).stream()
                      .mapToLong(e -> e.get("t").asLong())
                      .max()
                      .orElseThrow()
                  - seededAt)
              / 1000);
      fleet.finish(figures);
      assertThat(figures.get("requestsAfterRevocation")).isEqualTo(1L);
    }
  }

  private static long requestsAfter(ChaosFleet fleet, long micros) {
    return fleet.server.requests().stream()
        .map(RecordedTokenRequest::receivedAt)
        .filter(t -> EventLog.micros(t) > micros)
        .count();
  }
}

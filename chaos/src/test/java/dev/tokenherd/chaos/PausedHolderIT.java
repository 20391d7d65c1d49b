package dev.tokenherd.chaos;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tokenherd.testkit.RotationMode;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Scenario 4: the holder has its answer and is SIGSTOPped (a GC pause) past its lease before
 * writing; another worker takes the lease, refreshes and writes; the holder is SIGCONTed and its
 * write must be rejected by the fence (I3), after which it adopts the stored record. Grace-period
 * mode, so that the second holder's re-presentation of the same refresh token is answered with the
 * successor rather than a family revocation.
 */
class PausedHolderIT {
  @Test
  void holderStoppedPastLease_itsWriteIsFenced() throws Exception {
    try (ChaosFleet fleet =
        new ChaosFleet(
            "4-sigstop-past-lease", ChaosSeed.get(), RotationMode.ROTATE_WITH_GRACE_PERIOD)) {
      fleet.seed();
      fleet.startWorkers(3, "write");
      ChaosFleet.Worker holder = fleet.awaitBreak("write");
      // Resumed, it continues into its write.
      Map<String, Object> figures = fleet.stopUntilAnotherRefreshes(holder);
      JsonNode rejected =
          fleet.awaitEvent(
              "write",
              e ->
                  e.get("worker").asText().equals(holder.id)
                      && e.get("outcome").asText().equals("FENCE_REJECTED"),
              Duration.ofSeconds(60));
      figures.put("rejectedFence", rejected.get("fence").asLong());
      figures.put("storedFence", rejected.get("storedFence").asLong());
      // The fleet keeps going: one more refresh after the rejection.
      fleet.awaitEvent(
          "refreshed",
          e -> e.get("t").asLong() > rejected.get("t").asLong(),
          Duration.ofSeconds(60));
      InvariantChecker.Report report = fleet.finish(figures);
      assertThat(rejected.get("storedFence").asLong())
          .isGreaterThan(rejected.get("fence").asLong());
      assertThat((long) report.figures().get("fenceRejectedWrites")).isEqualTo(1);
    }
  }
}

package dev.tokenherd.chaos;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tokenherd.coordinator.redis.RedisKeys;
import dev.tokenherd.testkit.Fault;
import dev.tokenherd.testkit.RecordedTokenRequest;
import dev.tokenherd.testkit.RecordedTokenRequest.Outcome;
import dev.tokenherd.testkit.RotationMode;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Scenarios 12a-c: the lock loses what makes it exclusive or fenced, under the engine's newest
 * rules (docs/architecture.md, "Fences: one owner, and a counter that goes back"): Redisson's fence
 * counter deleted, the held lock's key deleted (what an eviction does), a holder paused between
 * taking the lock and writing its refresh mark while another takes over. The server rotates and
 * revokes the family on reuse, so a refresh token presented twice would cost the fleet its
 * credential. Each must end with no violation, and the server's own log must show one request per
 * refresh, every one granted, and no refresh token presented twice. The same faults are in the
 * soak's mix ({@link ChaosSoakIT.SoakFault}).
 */
class RedisLockFaultsIT {
  private static final Duration AT_MOST = Duration.ofSeconds(60);

  /** Redisson's fence counter: {@code redisson_lock_token:} + the lock's name. */
  static final String FENCE_COUNTER =
      "redisson_lock_token:" + RedisKeys.of("chaos").lock(ChaosSettings.KEY);

  /** The refresh lock's own key. */
  static final String LOCK = RedisKeys.of("chaos").lock(ChaosSettings.KEY);

  /**
   * 12a: the counter is deleted twice, each time after a rotation, so that the next lease's fence
   * (the counter starts again at 1) is below the stored one. The holder's mark is refused for its
   * fence, the lock re-fences the lease above the stored fence ({@code LockLease.advancePast}), and
   * the refresh goes on: no request is lost or sent twice.
   */
  @Test
  void fenceCounterDeleted_leasesAreReFenced_oneRequestPerRefresh() throws Exception {
    try (ChaosFleet fleet =
        new ChaosFleet(
            "12a-fence-counter-deleted",
            ChaosSeed.get(),
            RotationMode.ROTATE_REVOKE_FAMILY_ON_REUSE)) {
      fleet.seed();
      fleet.startWorkers(3, null);
      // Two rotations first: the stored fence is then above 1, where the counter starts again.
      fleet.awaitRefreshes(2, AT_MOST);
      Map<String, Object> figures = new LinkedHashMap<>();
      for (int i = 1; i <= 2; i++) {
        long deletedAt = ChaosFleet.micros();
        String reply = fleet.redis().command("DEL", FENCE_COUNTER);
        fleet.fault("DEL " + FENCE_COUNTER + ": " + reply, "redis");
        assertThat(reply).as("the counter existed").isEqualTo(":1");
        JsonNode refence =
            fleet.awaitEvent(
                "refence", e -> e.get("t").asLong() > deletedAt && e.has("newFence"), AT_MOST);
        figures.put("refence" + i, refence.get("fence") + " -> " + refence.get("newFence"));
        figures.put(
            "refence" + i + "AfterDeleteMillis", (refence.get("t").asLong() - deletedAt) / 1000);
        fleet.awaitEvent(
            "write",
            e ->
                e.get("t").asLong() > refence.get("t").asLong()
                    && e.get("content").asBoolean()
                    && e.get("outcome").asText().equals("APPLIED"),
            AT_MOST);
      }
      fleet.awaitRefreshes(fleet.refreshes() + 1, AT_MOST);
      finishWithOneRequestPerRefresh(fleet, figures);
    }
  }

  /**
   * 12b: the lock's key is deleted while its holder's request is in flight (the server rotates at
   * once and answers 700 ms later), as an eviction would. Another worker takes the lock, but the
   * holder's refresh mark is live in the store for the rest of its lease: the other's mark is
   * refused ({@code MARK_HELD}), it sends nothing and adopts the holder's rotation. The workers
   * ignore refresh announcements, as those of earlier versions do: a worker that heeds them leaves
   * the lock alone while the holder's announced refresh runs, so none would take it.
   */
  @Test
  void lockKeyDeletedMidLease_theNextHolderWaitsForTheLiveMark() throws Exception {
    try (ChaosFleet fleet =
        new ChaosFleet(
            "12b-lock-key-deleted", ChaosSeed.get(), RotationMode.ROTATE_REVOKE_FAMILY_ON_REUSE)) {
      fleet.seed();
      fleet.startWorkers(3, null, "announcements=off");
      fleet.awaitRefreshes(1, AT_MOST);
      int before = fleet.server.requests().size();
      fleet.server.enqueue(Fault.delayAfterProcessing(Duration.ofMillis(700)));
      await("the delayed request processed")
          .atMost(AT_MOST)
          .pollInterval(Duration.ofMillis(5))
          .until(() -> fleet.server.requests().size() > before);
      long deletedAt = ChaosFleet.micros();
      String reply = fleet.redis().command("DEL", LOCK);
      fleet.fault("DEL " + LOCK + " mid-lease: " + reply, "redis");
      assertThat(reply).as("the lock was held").isEqualTo(":1");
      String presented = fleet.server.requests().get(before).refreshTokenFingerprint();
      JsonNode sent =
          fleet.awaitEvent("request", e -> e.get("rtFp").asText().equals(presented), AT_MOST);
      String holder = sent.get("worker").asText();
      JsonNode rotation =
          fleet.awaitEvent(
              "write",
              e ->
                  e.get("worker").asText().equals(holder)
                      && e.get("t").asLong() > deletedAt
                      && e.get("content").asBoolean(),
              AT_MOST);
      List<JsonNode> takeovers =
          fleet.events(
              "lock",
              e ->
                  !e.get("worker").asText().equals(holder)
                      && e.get("t").asLong() > deletedAt
                      && e.get("t").asLong() < rotation.get("t").asLong());
      List<JsonNode> heldOff =
          fleet.events(
              "write",
              e ->
                  e.get("t").asLong() > deletedAt
                      && e.get("t").asLong() < rotation.get("t").asLong()
                      && e.get("outcome").asText().equals("MARK_HELD"));
      fleet.awaitRefreshes(fleet.refreshes() + 1, AT_MOST);
      Map<String, Object> figures = new LinkedHashMap<>();
      figures.put("holder", holder);
      figures.put("holderRotation", rotation.get("outcome").asText());
      figures.put("locksTakenWhileInFlight", takeovers.size());
      figures.put("marksRefusedWhileInFlight", heldOff.size());
      finishWithOneRequestPerRefresh(fleet, figures);
      assertThat(rotation.get("outcome").asText()).isEqualTo("APPLIED");
      assertThat(takeovers).as("another worker took the deleted lock").isNotEmpty();
      assertThat(heldOff).as("and was held off by the live mark").isNotEmpty();
    }
  }

  /**
   * 12c: the holder is SIGSTOPped after taking the lock, before writing its refresh mark, for
   * longer than its lease; another worker takes the lock and refreshes. Resumed, the holder's mark
   * is refused (its version moved and its fence is below the stored one), it sends nothing and
   * adopts the other's rotation.
   */
  @Test
  void holderStoppedBeforeItsMark_anotherTakesOver_theStaleMarkIsRefused() throws Exception {
    try (ChaosFleet fleet =
        new ChaosFleet(
            "12c-sigstop-before-mark",
            ChaosSeed.get(),
            RotationMode.ROTATE_REVOKE_FAMILY_ON_REUSE)) {
      fleet.seed();
      fleet.startWorkers(3, "mark");
      ChaosFleet.Worker holder = fleet.awaitBreak("mark");
      Map<String, Object> figures = fleet.stopUntilAnotherRefreshes(holder);
      long continuedAt = (long) figures.get("continuedAtMicros");
      JsonNode refused =
          fleet.awaitEvent(
              "write",
              e ->
                  e.get("worker").asText().equals(holder.id)
                      && e.get("mark").asBoolean()
                      && e.get("t").asLong() > continuedAt,
              AT_MOST);
      fleet.awaitEvent("refreshed", e -> e.get("t").asLong() > refused.get("t").asLong(), AT_MOST);
      figures.put("holderMark", refused.get("outcome").asText());
      finishWithOneRequestPerRefresh(fleet, figures);
      assertThat(refused.get("outcome").asText()).isNotEqualTo("APPLIED");
    }
  }

  /**
   * Ends the scenario (no violation) and asserts, from the server's own log, one request per
   * refresh: every request granted, no refresh token presented twice.
   */
  private static void finishWithOneRequestPerRefresh(
      ChaosFleet fleet, Map<String, Object> figures) {
    fleet.finish(figures);
    List<RecordedTokenRequest> requests = fleet.server.requests();
    assertThat(requests).isNotEmpty().allMatch(r -> r.outcome() == Outcome.REFRESHED);
    assertThat(requests)
        .extracting(RecordedTokenRequest::refreshTokenFingerprint)
        .doesNotHaveDuplicates();
  }
}

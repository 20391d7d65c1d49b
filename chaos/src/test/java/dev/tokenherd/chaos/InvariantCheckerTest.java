package dev.tokenherd.chaos;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tokenherd.testkit.RecordedTokenRequest;
import dev.tokenherd.testkit.RecordedTokenRequest.Outcome;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The checker must find each kind of violation, with its evidence, and pass a clean history. */
final class InvariantCheckerTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Instant T0 = Instant.parse("2030-01-01T00:00:00Z");

  private final List<JsonNode> events = new ArrayList<>();
  private final List<RecordedTokenRequest> requests = new ArrayList<>();

  private ObjectNode event(long ms, String worker, String type) {
    ObjectNode e = JSON.createObjectNode();
    e.put("t", EventLog.micros(T0.plusMillis(ms)));
    e.put("worker", worker);
    e.put("type", type);
    events.add(e);
    return e;
  }

  private void request(long ms, String rtFp, Outcome outcome) {
    requests.add(
        new RecordedTokenRequest(T0.plusMillis(ms), "refresh_token", rtFp, outcome, 200, null));
  }

  /** One clean refresh: lock, request, response, write, unlock. */
  private void cleanRefresh(
      long ms, String worker, long fence, String rt, String next, long version) {
    event(ms, worker, "lock").put("fence", fence).put("acquired", true);
    event(ms + 1, worker, "request").put("rtFp", rt).put("fence", fence);
    request(ms + 2, rt, Outcome.REFRESHED);
    event(ms + 3, worker, "response").put("rtFp", rt).put("fence", fence).put("newRtFp", next);
    write(ms + 4, worker, version, fence, "APPLIED", next);
  }

  private ObjectNode write(
      long ms, String worker, long version, long fence, String outcome, String rt) {
    return event(ms, worker, "write")
        .put("expected", version - 1)
        .put("version", version)
        .put("fence", fence)
        .put("status", "ACTIVE")
        .put("content", true)
        .put("outcome", outcome)
        .put("rtFp", rt);
  }

  @Test
  void check_cleanHistory_noViolations() {
    cleanRefresh(0, "w0", 1, "rt0", "rt1", 2);
    cleanRefresh(100, "w1", 2, "rt1", "rt2", 3);
    event(150, "w0", "served")
        .put("expiresAt", EventLog.micros(T0.plusSeconds(60)))
        .put("expired", false);
    InvariantChecker.Report report = InvariantChecker.check(events, requests);
    assertThat(report.violations()).isEmpty();
    assertThat(report.figures())
        .containsEntry("refreshEvents", 2L)
        .containsEntry("tokenRequests", 2);
  }

  @Test
  void check_refreshTokenPresentedAfterItsRotationWasStored_isI2() {
    cleanRefresh(0, "w0", 1, "rt0", "rt1", 2);
    event(50, "w1", "lock").put("fence", 2);
    event(51, "w1", "request").put("rtFp", "rt0").put("fence", 2);
    request(52, "rt0", Outcome.REUSE_DETECTED);
    InvariantChecker.Report report = InvariantChecker.check(events, requests);
    assertThat(report.of("I2")).singleElement().satisfies(v -> assertThat(v.evidence()).hasSize(2));
  }

  @Test
  void check_lostRotationNotReported_isI2_reportedIsFine() {
    event(0, "w0", "lock").put("fence", 1);
    event(1, "w0", "request").put("rtFp", "rt0").put("fence", 1);
    request(2, "rt0", Outcome.REFRESHED);
    event(3, "harness", "fault").put("kind", "SIGKILL").put("target", "w0");
    event(10, "w1", "lock").put("fence", 2);
    event(11, "w1", "request").put("rtFp", "rt0").put("fence", 2);
    request(12, "rt0", Outcome.REUSE_DETECTED);
    assertThat(InvariantChecker.check(events, requests).of("I2")).hasSize(1);
    event(13, "w1", "lost_rotation");
    assertThat(InvariantChecker.check(events, requests).violations()).isEmpty();
  }

  @Test
  void check_rotationRolledBackByFailover_reportedIsExpected_unreportedIsI2() {
    cleanRefresh(0, "w0", 1, "rt0", "rt1", 2);
    event(20, "harness", "fault")
        .put("kind", "failover")
        .put("target", "replica")
        .put("rolledBackAbove", 1);
    event(30, "w1", "lock").put("fence", 2);
    event(31, "w1", "request").put("rtFp", "rt0").put("fence", 2);
    request(32, "rt0", Outcome.REUSE_DETECTED);
    event(34, "w2", "version_regression").put("version", 1).put("previous", 2);
    InvariantChecker.Report silent = InvariantChecker.check(events, requests);
    assertThat(silent.of("I2"))
        .singleElement()
        .satisfies(v -> assertThat(v.message()).contains("no worker reported it"));
    assertThat(silent.of("I3")).isEmpty();

    event(40, "w1", "write")
        .put("expected", 1)
        .put("version", 2)
        .put("fence", 2)
        .put("status", "REAUTH_REQUIRED")
        .put("content", true)
        .put("outcome", "APPLIED");
    InvariantChecker.Report reported = InvariantChecker.check(events, requests);
    assertThat(reported.violations()).isEmpty();
    assertThat(reported.expected())
        .extracting(Violation::invariant)
        .containsExactlyInAnyOrder("I2", "I3", "I3");
  }

  @Test
  void check_lowerFenceAppliedAfterHigher_andDuplicateVersion_areI3() {
    cleanRefresh(0, "w0", 2, "rt0", "rt1", 2);
    write(10, "w1", 3, 1, "APPLIED", "rtX");
    write(20, "w2", 3, 3, "APPLIED", "rtY");
    event(30, "w2", "version_regression").put("version", 1).put("previous", 2);
    InvariantChecker.Report report = InvariantChecker.check(events, requests);
    assertThat(report.of("I3"))
        .extracting(Violation::message)
        .anyMatch(m -> m.contains("fence 1 was applied after one with fence 2"))
        .anyMatch(m -> m.contains("two content writes produced version 3"))
        .anyMatch(m -> m.contains("versions go back"));
  }

  @Test
  void check_requestsWithoutLeaseOrTwicePerLease_orUnlogged_areI1() {
    event(0, "w0", "request").put("rtFp", "a").put("fence", -1);
    event(1, "w1", "request").put("rtFp", "b").put("fence", 4);
    event(2, "w1", "request").put("rtFp", "c").put("fence", 4);
    event(3, "w1", "response").put("rtFp", "c").put("fence", 4).put("newRtFp", "d");
    request(1, "a", Outcome.NOT_PROCESSED);
    request(2, "b", Outcome.NOT_PROCESSED);
    request(3, "c", Outcome.REFRESHED);
    request(4, "x", Outcome.NOT_PROCESSED);
    assertThat(InvariantChecker.check(events, requests).of("I1"))
        .extracting(Violation::message)
        .anyMatch(m -> m.contains("without a lease"))
        .anyMatch(m -> m.contains("more than one token request"))
        .anyMatch(m -> m.contains("workers logged sending 3"))
        .anyMatch(m -> m.contains("neither stored nor explained"));
  }

  @Test
  void check_expiredServed_hungAndUntyped_areI4AndI5() {
    event(0, "w0", "served").put("expiresAt", EventLog.micros(T0)).put("expired", true);
    event(1, "w0", "slow_call").put("millis", 9000);
    event(2, "w0", "untyped_error").put("error", "java.lang.IllegalStateException");
    event(3, "w0", "error").put("error", "StoreUnavailableException");
    event(4, "w0", "summary").put("calls", 7);
    InvariantChecker.Report report = InvariantChecker.check(events, requests);
    assertThat(report.of("I4")).hasSize(1);
    assertThat(report.of("I5")).hasSize(2);
    assertThat(report.figures().get("calls")).isEqualTo(7L);
    assertThat(report.figures().get("errorTransitionsByType"))
        .isEqualTo(Map.of("StoreUnavailableException", 1L));
  }

  @Test
  void check_requestsAfterReauthBeyondOnePerWorker_isI6_untilSeed() {
    event(0, "w0", "write")
        .put("version", 5)
        .put("fence", 3)
        .put("status", "REAUTH_REQUIRED")
        .put("content", true)
        .put("outcome", "APPLIED");
    request(10, "r", Outcome.INVALID_GRANT);
    request(11, "r", Outcome.INVALID_GRANT);
    event(20, "harness", "seed");
    request(30, "s", Outcome.NOT_PROCESSED);
    InvariantChecker.Report report = InvariantChecker.check(events, requests);
    assertThat(report.of("I6"))
        .singleElement()
        .satisfies(v -> assertThat(v.message()).startsWith("2 token requests"));
    assertThat(report.figures().get("requestsAfterReauth")).isEqualTo(2L);
  }

  @Test
  void readEvents_andSummary_roundTrip(@TempDir Path dir) throws IOException {
    Clock clock = Clock.fixed(T0, ZoneOffset.UTC);
    try (EventLog log = new EventLog(dir.resolve("w0.jsonl"), "w0", clock)) {
      log.emit(
          "served",
          e -> e.put("expiresAt", EventLog.micros(T0.plusSeconds(1))).put("expired", false));
    }
    List<JsonNode> read = InvariantChecker.readEvents(dir);
    assertThat(read)
        .singleElement()
        .satisfies(e -> assertThat(e.get("worker").asText()).isEqualTo("w0"));
    Path summary = dir.resolve("out/summary.json");
    ChaosSummary.record(
        summary, "a", 1, 1, InvariantChecker.check(read, List.of()), Map.of("x", 1));
    event(0, "w0", "slow_call");
    ChaosSummary.record(summary, "b", 2, 1, InvariantChecker.check(events, List.of()), Map.of());
    JsonNode root = JSON.readTree(Files.readString(summary));
    assertThat(root.get("scenarios").get("a").get("figures").get("x").asInt()).isEqualTo(1);
    assertThat(root.get("totalViolations").asInt()).isEqualTo(1);
  }
}

package dev.tokenherd.chaos;

import static java.util.Objects.requireNonNull;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tokenherd.coordinator.Redaction;
import dev.tokenherd.testkit.FakeAuthorizationServer;
import dev.tokenherd.testkit.IssuedAccessToken;
import dev.tokenherd.testkit.RecordedTokenRequest;
import dev.tokenherd.testkit.RecordedTokenRequest.Outcome;
import dev.tokenherd.testkit.RotationMode;
import dev.tokenherd.testkit.TokenGrant;
import java.io.IOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
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
  private final List<IssuedAccessToken> accessTokens = new ArrayList<>();
  private long droppedRequests;

  private InvariantChecker.Report check() {
    return InvariantChecker.check(
        events, new InvariantChecker.ServerLog(requests, droppedRequests, accessTokens));
  }

  /** The server issued access token {@code fp} at {@code issuedMs}, valid for {@code ttlMs}. */
  private void issued(String fp, long issuedMs, long ttlMs) {
    accessTokens.add(
        new IssuedAccessToken(fp, T0.plusMillis(issuedMs), T0.plusMillis(issuedMs + ttlMs), null));
  }

  /** A worker logged serving access token {@code fp} at {@code ms}. */
  private ObjectNode served(long ms, String worker, String type, String fp) {
    return event(ms, worker, type)
        .put("atFp", fp)
        .put("servedAt", EventLog.micros(T0.plusMillis(ms)));
  }

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

  /** An applied {@code REAUTH_REQUIRED} record. */
  private void reauthWrite(long ms, String worker, long version, long fence) {
    event(ms, worker, "write")
        .put("version", version)
        .put("fence", fence)
        .put("status", "REAUTH_REQUIRED")
        .put("content", true)
        .put("outcome", "APPLIED");
  }

  @Test
  void check_cleanHistory_noViolations() {
    cleanRefresh(0, "w0", 1, "rt0", "rt1", 2);
    cleanRefresh(100, "w1", 2, "rt1", "rt2", 3);
    issued("at1", 2, 60_000);
    served(150, "w0", "served", "at1").put("expiresAt", EventLog.micros(T0.plusSeconds(60)));
    served(250, "w0", "served_last", "at1");
    InvariantChecker.Report report = check();
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
    InvariantChecker.Report report = check();
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
    assertThat(check().of("I2")).hasSize(1);
    event(13, "w1", "lost_rotation");
    assertThat(check().violations()).isEmpty();
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
    InvariantChecker.Report silent = check();
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
    InvariantChecker.Report reported = check();
    assertThat(reported.violations()).isEmpty();
    assertThat(reported.expected())
        .extracting(Violation::invariant)
        .containsExactlyInAnyOrder("I2", "I3", "I3");
  }

  /**
   * Scenario 14b: with {@code waitForReplicas} the marks written while the replica was cut off were
   * confirmed by nobody and taken back; the promoted replica never saw them nor the fences they
   * took, so the lock issues those fences again. Only the failover's {@code lostAfter} (when the
   * replica stopped receiving) tells that those marks, of an unchanged version, were rolled back.
   */
  @Test
  void check_marksSentAfterTheReplicaWasCut_areRolledBackByTheFailover_notAFenceGoingBack() {
    cleanRefresh(0, "w0", 1, "rt0", "rt1", 2);
    markWrite(100, 101, "w1", 2, 2);
    markWrite(200, 201, "w2", 2, 3);
    markWrite(300, 301, "w0", 2, 4);
    ObjectNode failover =
        event(400, "harness", "fault")
            .put("kind", "failover")
            .put("target", "replica")
            .put("rolledBackAbove", 2);
    // sent before the failover, answered after it (the master killed under the WAIT)
    markWrite(350, 450, "w2", 2, 5);
    markWrite(500, 501, "w1", 2, 2);
    assertThat(check().of("I3"))
        .extracting(Violation::message)
        .containsExactly("a write with fence 2 was applied after one with fence 5");

    failover.put("lostAfter", EventLog.micros(T0.plusMillis(150)));
    assertThat(check().of("I3"))
        .as("fences 3 to 5 died with the old master; fence 2 before it survived")
        .isEmpty();
    failover.put("lostAfter", EventLog.micros(T0.plusMillis(250)));
    assertThat(check().of("I3"))
        .extracting(Violation::message)
        .containsExactly("a write with fence 2 was applied after one with fence 3");
    failover.put("lostAfter", EventLog.micros(T0.plusMillis(400)));
    assertThat(check().of("I3"))
        .as("cut off at the failover: nothing was lost")
        .extracting(Violation::message)
        .containsExactly("a write with fence 2 was applied after one with fence 5");
  }

  @Test
  void check_lowerFenceAppliedAfterHigher_andDuplicateVersion_areI3() {
    cleanRefresh(0, "w0", 2, "rt0", "rt1", 2);
    write(10, "w1", 3, 1, "APPLIED", "rtX");
    write(20, "w2", 3, 3, "APPLIED", "rtY");
    event(30, "w2", "version_regression").put("version", 1).put("previous", 2);
    InvariantChecker.Report report = check();
    assertThat(report.of("I3"))
        .extracting(Violation::message)
        .anyMatch(m -> m.contains("fence 1 was applied after one with fence 2"))
        .anyMatch(m -> m.contains("two content writes produced version 3"))
        .anyMatch(m -> m.contains("versions go back"));
  }

  /** A refresh mark applied at {@code version}, sent at {@code sentMs} and logged at {@code ms}. */
  private void markWrite(long sentMs, long ms, String worker, long version, long fence) {
    event(ms, worker, "write")
        .put("sentAt", EventLog.micros(T0.plusMillis(sentMs)))
        .put("expected", version)
        .put("version", version)
        .put("fence", fence)
        .put("status", "ACTIVE")
        .put("content", false)
        .put("mark", true)
        .put("outcome", "APPLIED");
  }

  /**
   * As in the first 30-minute soak with the new faults (seed 2952743704917964542): a holder stopped
   * right after sending its mark logged it 2 s later, after another's higher-fence mark. Ordered by
   * log times, the old rule called it a fence going back.
   */
  @Test
  void check_twoMarksOfOneVersion_judgedBySendingTimes_notByWhenAStoppedWorkerLoggedThem() {
    cleanRefresh(0, "w0", 1, "rt0", "rt1", 2);
    // w1 sent its mark (fence 2) at 10 ms, was stopped, and logged it at 300 ms; w2 marked with
    // fence 3 at 100-110 ms. The store applied w1's first: no violation.
    markWrite(10, 300, "w1", 2, 2);
    markWrite(100, 110, "w2", 2, 3);
    assertThat(check().of("I3")).isEmpty();

    // Sent after fence 3's mark was answered, and applied: the store let a lower fence in.
    markWrite(400, 410, "w3", 2, 2);
    assertThat(check().of("I3"))
        .extracting(Violation::message)
        .containsExactly("a write with fence 2 was applied after one with fence 3");
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
    assertThat(check().of("I1"))
        .extracting(Violation::message)
        .anyMatch(m -> m.contains("without a lease"))
        .anyMatch(m -> m.contains("more than one token request"))
        .anyMatch(m -> m.contains("workers logged sending 3"))
        .anyMatch(m -> m.contains("neither stored nor explained"));
  }

  @Test
  void check_expiredServed_hungAndUntyped_areI4AndI5() {
    issued("at0", -4000, 4000);
    served(0, "w0", "served", "at0").put("expiresAt", EventLog.micros(T0));
    event(1, "w0", "slow_call").put("millis", 9000);
    event(2, "w0", "untyped_error").put("error", "java.lang.IllegalStateException");
    event(3, "w0", "error").put("error", "StoreUnavailableException");
    event(4, "w0", "summary").put("calls", 7);
    InvariantChecker.Report report = check();
    assertThat(report.of("I4")).hasSize(1);
    assertThat(report.of("I5")).hasSize(2);
    assertThat(report.figures().get("calls")).isEqualTo(7L);
    assertThat(report.figures().get("errorTransitionsByType"))
        .isEqualTo(Map.of("StoreUnavailableException", 1L));
  }

  @Test
  void check_requestsAfterReauthNoneInFlight_isI6_untilSeed() {
    reauthWrite(0, "w0", 5, 3);
    request(10, "r", Outcome.INVALID_GRANT);
    request(11, "r", Outcome.INVALID_GRANT);
    event(20, "harness", "seed");
    request(30, "s", Outcome.NOT_PROCESSED);
    InvariantChecker.Report report = check();
    assertThat(report.of("I6"))
        .singleElement()
        .satisfies(v -> assertThat(v.message()).startsWith("2 token requests"));
    assertThat(report.figures().get("requestsAfterReauth")).isEqualTo(2L);
  }

  /**
   * I4 by the server's ledger: the library thinks the token lives another minute (it counts from
   * when it received the answer, and could be wrong), the server says it expired at 4 s. The old
   * rule judged by the library's {@code expiresAt} and passed this.
   */
  @Test
  void check_servedBeforeTheLibrarysExpiryButAtTheServers_isI4() {
    issued("at0", 0, 4000);
    served(10, "w0", "served", "at0").put("expiresAt", EventLog.micros(T0.plusSeconds(60)));
    served(3999, "w0", "served_last", "at0");
    assertThat(check().violations()).isEmpty();

    served(4000, "w1", "served_last", "at0");
    InvariantChecker.Report report = check();
    assertThat(report.of("I4"))
        .singleElement()
        .satisfies(
            v -> {
              assertThat(v.message()).contains("at0").contains("server's ledger");
              assertThat(v.evidence()).hasSize(2).first().asString().contains("accessToken");
            });
    assertThat(report.figures()).containsEntry("closestServeToExpiryMillis", 0.0);
  }

  @Test
  void check_tokenTheServerNeverIssued_isI4_servedAfterRevocationIsCounted() {
    accessTokens.add(new IssuedAccessToken("at0", T0, T0.plusSeconds(4), T0.plusMillis(1000)));
    served(0, "w0", "served", "at0");
    served(1500, "w0", "served_last", "at0");
    served(20, "w1", "served", "atX");
    InvariantChecker.Report report = check();
    assertThat(report.of("I4"))
        .singleElement()
        .satisfies(v -> assertThat(v.message()).contains("never issued"));
    assertThat(report.figures()).containsEntry("servedAfterRevocation", 1L);
  }

  /**
   * I2: a lost rotation of rt0 was reported; a later reuse of rtA, whose rotation was lost too, was
   * not. The old rule let any one {@code lost_rotation} excuse every reuse of the run.
   */
  @Test
  void check_lossReportedForOneRefreshToken_doesNotExcuseTheReuseOfAnother_isI2() {
    event(0, "w0", "request").put("rtFp", "rt0").put("fence", 1);
    request(2, "rt0", Outcome.REFRESHED);
    event(3, "harness", "fault").put("kind", "SIGKILL").put("target", "w0");
    event(11, "w1", "request").put("rtFp", "rt0").put("fence", 2);
    request(12, "rt0", Outcome.REUSE_DETECTED);
    event(13, "w1", "lost_rotation");
    event(100, "w2", "request").put("rtFp", "rtA").put("fence", 3);
    request(102, "rtA", Outcome.REFRESHED);
    event(103, "harness", "fault").put("kind", "SIGKILL").put("target", "w2");
    event(111, "w1", "request").put("rtFp", "rtA").put("fence", 4);
    request(112, "rtA", Outcome.REUSE_DETECTED);
    assertThat(check().of("I2"))
        .singleElement()
        .satisfies(v -> assertThat(v.message()).contains("rtA").contains("for it afterwards"));

    event(113, "w1", "lost_rotation");
    assertThat(check().of("I2")).isEmpty();
  }

  /**
   * The server's log dropped the first presentation of rt0: what is left shows no reuse. The old
   * checker could not tell and passed; now the truncation itself fails the check.
   */
  @Test
  void check_serverDroppedRequests_isALogViolation() {
    event(0, "w0", "request").put("rtFp", "rt0").put("fence", 1).put("lease", 1);
    event(10, "w1", "request").put("rtFp", "rt0").put("fence", 2).put("lease", 1);
    request(11, "rt0", Outcome.REUSE_DETECTED);
    droppedRequests = 1;
    InvariantChecker.Report report = check();
    assertThat(report.of("I2")).isEmpty();
    assertThat(report.of("LOG"))
        .singleElement()
        .satisfies(v -> assertThat(v.message()).contains("dropped its 1 oldest"));
  }

  /**
   * I6: only a request in flight when the re-authentication record was published may reach the
   * server after it. The old rule allowed one per worker ever seen (here 3), so w2's request, sent
   * after the record, passed.
   */
  @Test
  void check_requestsAfterReauth_onlyThoseInFlightAtPublication_isI6() {
    event(0, "w0", "lock").put("fence", 1);
    event(1, "w1", "lock").put("fence", 2);
    event(2, "w2", "lock").put("fence", 3);
    event(5, "w0", "request").put("rtFp", "r").put("fence", 1);
    reauthWrite(10, "w1", 5, 2);
    request(12, "r", Outcome.INVALID_GRANT);
    assertThat(check().of("I6")).isEmpty();

    event(15, "w2", "request").put("rtFp", "r").put("fence", 3);
    request(16, "r", Outcome.INVALID_GRANT);
    InvariantChecker.Report report = check();
    assertThat(report.of("I6"))
        .singleElement()
        .satisfies(
            v -> assertThat(v.message()).startsWith("2 token requests").contains("1 of them"));
  }

  /**
   * After the lock's fence counter was lost, the same fence is issued again: two leases of one
   * worker under fence 1, one request each, are not "two requests under one lease".
   */
  @Test
  void check_fenceIssuedAgainAfterCounterLoss_leasesToldApartBySerial_notI1() {
    event(0, "w0", "request").put("rtFp", "a").put("fence", 1).put("lease", 1);
    event(3, "w0", "response").put("rtFp", "a").put("fence", 1).put("newRtFp", "b");
    write(4, "w0", 2, 1, "APPLIED", "b");
    event(10, "w0", "request").put("rtFp", "b").put("fence", 1).put("lease", 2);
    event(13, "w0", "response").put("rtFp", "b").put("fence", 1).put("newRtFp", "c");
    write(14, "w0", 3, 1, "APPLIED", "c");
    request(1, "a", Outcome.REFRESHED);
    request(11, "b", Outcome.REFRESHED);
    assertThat(check().of("I1")).isEmpty();
    event(20, "w0", "request").put("rtFp", "c").put("fence", 1).put("lease", 2);
    request(21, "c", Outcome.NOT_PROCESSED);
    assertThat(check().of("I1"))
        .singleElement()
        .satisfies(v -> assertThat(v.message()).contains("w0/lease 2"));
  }

  /** The records of a real server: its dropped requests and its ledger's tokens. */
  @Test
  void serverLog_ofARealServer_countsDroppedRequests_andExportsItsLedger() throws Exception {
    try (FakeAuthorizationServer server =
        FakeAuthorizationServer.builder()
            .rotationMode(RotationMode.ROTATE_REVOKE_FAMILY_ON_REUSE)
            .requestLogLimit(1)
            .start()) {
      TokenGrant seed = server.issueTokens("read");
      HttpClient http = HttpClient.newHttpClient();
      for (int i = 0; i < 2; i++) {
        HttpRequest refresh =
            HttpRequest.newBuilder(server.tokenEndpoint())
                .header("Content-Type", "application/x-www-form-urlencoded")
                .POST(
                    HttpRequest.BodyPublishers.ofString(
                        "grant_type=refresh_token&client_id="
                            + server.clientId()
                            + "&client_secret="
                            + FakeAuthorizationServer.DEFAULT_CLIENT_SECRET
                            + "&refresh_token="
                            + seed.refreshToken()))
                .build();
        http.send(refresh, HttpResponse.BodyHandlers.discarding());
      }
      InvariantChecker.ServerLog log = InvariantChecker.ServerLog.of(server);
      assertThat(log.droppedRequests()).isEqualTo(1);
      assertThat(log.requests())
          .singleElement()
          .satisfies(r -> assertThat(r.outcome()).isEqualTo(Outcome.REUSE_DETECTED));
      // the seed's token and the first refresh's; the reuse revoked their family
      assertThat(log.accessTokens())
          .hasSize(2)
          .allSatisfy(
              t -> {
                assertThat(t.revokedAt()).isNotNull();
                assertThat(t.validAt(t.issuedAt())).isTrue();
                assertThat(t.validAt(requireNonNull(t.revokedAt()))).isFalse();
                assertThat(Duration.between(t.issuedAt(), t.expiresAt()))
                    .isEqualTo(FakeAuthorizationServer.DEFAULT_ACCESS_TOKEN_TTL);
              })
          .anySatisfy(
              t ->
                  assertThat(t.fingerprint()).isEqualTo(Redaction.fingerprint(seed.accessToken())));
      assertThat(InvariantChecker.check(List.of(), log).of("LOG")).hasSize(1);
    }
  }

  @Test
  void readEvents_andSummary_roundTrip(@TempDir Path dir) throws IOException {
    Clock clock = Clock.fixed(T0, ZoneOffset.UTC);
    try (EventLog log = new EventLog(dir.resolve("w0.jsonl"), "w0", clock)) {
      log.emit("served", e -> e.put("atFp", "at0").put("servedAt", EventLog.micros(T0)));
    }
    List<JsonNode> read = InvariantChecker.readEvents(dir);
    assertThat(read)
        .singleElement()
        .satisfies(e -> assertThat(e.get("worker").asText()).isEqualTo("w0"));
    Path summary = dir.resolve("out/summary.json");
    issued("at0", 0, 1000);
    ChaosSummary.record(
        summary,
        "a",
        1,
        1,
        InvariantChecker.check(read, new InvariantChecker.ServerLog(List.of(), 0, accessTokens)),
        Map.of("x", 1));
    event(0, "w0", "slow_call");
    ChaosSummary.record(summary, "b", 2, 1, check(), Map.of());
    JsonNode root = JSON.readTree(Files.readString(summary));
    assertThat(root.get("scenarios").get("a").get("figures").get("x").asInt()).isEqualTo(1);
    assertThat(root.get("totalViolations").asInt()).isEqualTo(1);
  }
}

package dev.tokenherd.chaos;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tokenherd.testkit.FakeAuthorizationServer;
import dev.tokenherd.testkit.IssuedAccessToken;
import dev.tokenherd.testkit.RecordedTokenRequest;
import dev.tokenherd.testkit.RecordedTokenRequest.Outcome;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.jspecify.annotations.Nullable;

/**
 * Checks I1–I6 (DESIGN.md) from what actually happened: the workers' event logs ({@link
 * ChaosWorker}), the harness's own log (faults injected, seeds) and the fake authorization server's
 * request log. Every violation comes with the lines that show it.
 *
 * <p>What each invariant means here, precisely:
 *
 * <ul>
 *   <li><b>I1</b> every token request the server received was sent by a worker under a lease, at
 *       most one per lease (a lease is one acquisition, named by its serial: a re-fence changes its
 *       fence, not the lease); and every successful grant that was not stored is explained (its
 *       holder was killed or stopped, or its write was fenced, or its answer was ambiguous).
 *   <li><b>I2</b> a refresh token the server processed is presented again only if the answer to its
 *       first presentation never reached the store (a lost rotation); and unless the server
 *       accepted it in its grace period, the loss of <em>that</em> refresh token was reported: a
 *       worker whose last token request presented it reported {@code lost_rotation} after the
 *       reuse. A report about one refresh token excuses no reuse of another.
 *   <li><b>I3</b> applied writes carry non-decreasing fences in the order the store applied them,
 *       wherever the logs make that order certain: across versions, and within one version (a mark
 *       keeps the version) when one write's answer came back ({@code t}) before the other was sent
 *       ({@code sentAt}); no two content writes produced the same version; no caller saw its
 *       versions go back.
 *   <li><b>I4</b> no worker served an access token at or past its expiry <em>by the authorization
 *       server's own ledger</em> ({@link ServerLog#accessTokens()}), judged at the serve time the
 *       worker logged ({@link ServeLog}), with no slack: every process reads the same system clock,
 *       and the logs' microsecond truncation only makes the rule stricter (by under 1 µs). A token
 *       the server never issued is a violation too. Serves after the server revoked the token's
 *       family are counted ({@code servedAfterRevocation}), not judged: no client can know of a
 *       revocation before its next refresh; what the fleet does once it knows is I6.
 *   <li><b>I5</b> no call took longer than its deadline plus slack; every failure was typed.
 *   <li><b>I6</b> once re-authentication is required, the only token requests the server receives
 *       until a new token set is seeded are those already in flight when the {@code
 *       REAUTH_REQUIRED} record was published: per refresh token, no more than the workers had
 *       logged sending before the record's write completed and the server had not yet received.
 * </ul>
 *
 * <p>The checker needs the server's whole request log: if the server dropped any request ({@link
 * ServerLog#droppedRequests()}), I1, I2 and I6 cannot be judged, and the report says so as a
 * violation of {@code LOG}.
 *
 * <p><b>Failovers.</b> A harness {@code fault} event of kind {@code failover} with {@code
 * rolledBackAbove} (the version the promoted replica held) says that every write applied before it
 * with a higher version was rolled back with the old primary. What follows from that loss is an
 * <em>expected</em> finding, listed in {@link Report#expected()} and not a violation, provided the
 * fleet reported it: a rolled-back rotation's refresh token presented again (I2) counts as expected
 * only if a worker then reported {@code lost_rotation} or {@code reauth}; the same version written
 * again after the failover (I3) and a caller's version going back over the rolled-back range are
 * expected. A rolled-back rotation reused with nothing reported stays a violation.
 */
public final class InvariantChecker {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Set<Outcome> PRESENTED =
      EnumSet.of(
          Outcome.REFRESHED, Outcome.GRACE_REUSE, Outcome.REUSE_DETECTED, Outcome.INVALID_GRANT);

  /**
   * The result of a check: violations with evidence, expected findings (consequences of an injected
   * data loss that the fleet reported, see the class comment), and the figures the logs yield.
   */
  public record Report(
      List<Violation> violations, List<Violation> expected, Map<String, Object> figures) {
    /** Copies the components. */
    public Report {
      violations = List.copyOf(violations);
      expected = List.copyOf(expected);
      figures = Map.copyOf(figures);
    }

    /** Returns the violations of one invariant. */
    public List<Violation> of(String invariant) {
      return violations.stream().filter(v -> v.invariant().equals(invariant)).toList();
    }
  }

  /**
   * What the fake authorization server knows at the end of a run.
   *
   * @param requests its request log, oldest first
   * @param droppedRequests how many requests the log does not hold (it must hold every one)
   * @param accessTokens every access token it issued, with its expiry and revocation
   */
  public record ServerLog(
      List<RecordedTokenRequest> requests,
      long droppedRequests,
      List<IssuedAccessToken> accessTokens) {
    /** Copies the lists. */
    public ServerLog {
      requests = List.copyOf(requests);
      accessTokens = List.copyOf(accessTokens);
    }

    /**
     * Takes the records of {@code server}; call it once the workers have stopped.
     *
     * @param server the run's authorization server
     * @return its request log, the requests it dropped and the access tokens it issued
     */
    public static ServerLog of(FakeAuthorizationServer server) {
      return new ServerLog(
          server.requests(), server.droppedRequests(), server.issuedAccessTokens());
    }
  }

  private InvariantChecker() {}

  /**
   * Reads every {@code *.jsonl} file in {@code logDirectory}, sorted by time.
   *
   * @param logDirectory the directory of the worker and harness logs
   * @return every event, oldest first
   */
  public static List<JsonNode> readEvents(Path logDirectory) {
    List<JsonNode> events = new ArrayList<>();
    try (Stream<Path> files = Files.list(logDirectory)) {
      for (Path file : files.filter(f -> f.toString().endsWith(".jsonl")).sorted().toList()) {
        for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
          if (!line.isBlank()) {
            events.add(JSON.readTree(line));
          }
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    events.sort(Comparator.comparingLong(e -> e.get("t").asLong()));
    return events;
  }

  /**
   * Checks the invariants.
   *
   * @param events worker and harness events, oldest first (see {@link #readEvents})
   * @param server what the fake authorization server recorded
   * @return violations and figures
   */
  public static Report check(List<JsonNode> events, ServerLog server) {
    List<Violation> violations = new ArrayList<>();
    List<Violation> expected = new ArrayList<>();
    Map<String, Object> figures = new LinkedHashMap<>();
    List<RecordedTokenRequest> requests = server.requests();
    List<JsonNode> failovers =
        ofType(events, "fault").stream()
            .filter(f -> f.path("kind").asText().equals("failover"))
            .toList();
    if (server.droppedRequests() > 0) {
      violations.add(
          new Violation(
              "LOG",
              "the server's request log dropped its "
                  + server.droppedRequests()
                  + " oldest token requests (FakeAuthorizationServer.Builder.requestLogLimit):"
                  + " I1, I2 and I6 cannot be judged from what is left",
              requests.stream().limit(1).map(InvariantChecker::request).toList()));
    }
    checkRequests(events, requests, violations, figures);
    checkReuse(events, requests, failovers, violations, expected);
    checkWrites(events, failovers, violations, expected, figures);
    checkServed(events, server.accessTokens(), violations, figures);
    checkReauth(events, requests, violations, figures);
    figures.put("expectedFindings", expected.size());
    return new Report(violations, expected, figures);
  }

  /** Returns the failover that rolled {@code write} back before {@code at}, if any. */
  private static java.util.Optional<JsonNode> rolledBackBy(
      JsonNode write, long at, List<JsonNode> failovers) {
    long t = write.get("t").asLong();
    long version = write.get("version").asLong();
    return failovers.stream()
        .filter(f -> f.get("t").asLong() > t && f.get("t").asLong() < at)
        .filter(f -> version > f.get("rolledBackAbove").asLong())
        .findFirst();
  }

  private static List<JsonNode> ofType(List<JsonNode> events, String type) {
    return events.stream().filter(e -> e.get("type").asText().equals(type)).toList();
  }

  private static String line(JsonNode event) {
    return event.toString();
  }

  private static String request(RecordedTokenRequest request) {
    ObjectNode node = JSON.createObjectNode();
    node.put("server", "request");
    node.put("t", EventLog.micros(request.receivedAt()));
    node.put("rtFp", request.refreshTokenFingerprint());
    node.put("outcome", request.outcome().name());
    node.put("status", request.status());
    if (request.fault() != null) {
      node.put("fault", String.valueOf(request.fault()));
    }
    return node.toString();
  }

  // I1 -------------------------------------------------------------------------------------------

  private static void checkRequests(
      List<JsonNode> events,
      List<RecordedTokenRequest> requests,
      List<Violation> violations,
      Map<String, Object> figures) {
    List<JsonNode> sent = ofType(events, "request");
    figures.put("tokenRequests", requests.size());
    figures.put("requestsLoggedByWorkers", sent.size());
    long refreshed = requests.stream().filter(r -> r.outcome() == Outcome.REFRESHED).count();
    figures.put("refreshEvents", refreshed);
    figures.put(
        "graceReuses", requests.stream().filter(r -> r.outcome() == Outcome.GRACE_REUSE).count());
    figures.put("faultedRequests", requests.stream().filter(r -> !r.processed()).count());
    if (requests.size() > sent.size()) {
      violations.add(
          new Violation(
              "I1",
              "the server received "
                  + requests.size()
                  + " token requests but workers logged sending "
                  + sent.size(),
              requests.stream().map(InvariantChecker::request).toList()));
    }
    Map<String, List<JsonNode>> perLease =
        sent.stream()
            .collect(
                Collectors.groupingBy(
                    InvariantChecker::leaseOf, LinkedHashMap::new, Collectors.toList()));
    perLease.forEach(
        (lease, list) -> {
          if (lease.endsWith("/-1")) {
            violations.add(
                new Violation(
                    "I1",
                    "a token request was sent without a lease",
                    list.stream().map(InvariantChecker::line).toList()));
          } else if (list.size() > 1) {
            violations.add(
                new Violation(
                    "I1",
                    "more than one token request under lease " + lease,
                    list.stream().map(InvariantChecker::line).toList()));
          }
        });
    // Successful grants whose answer was not stored must be explained.
    Set<String> storedRefreshTokens = new HashSet<>();
    for (JsonNode write : ofType(events, "write")) {
      if (write.get("outcome").asText().equals("APPLIED") && write.has("rtFp")) {
        storedRefreshTokens.add(write.get("rtFp").asText());
      }
    }
    long wasted = 0;
    List<String> unexplained = new ArrayList<>();
    for (JsonNode response : ofType(events, "response")) {
      if (storedRefreshTokens.contains(response.get("newRtFp").asText())) {
        continue;
      }
      wasted++;
      String worker = response.get("worker").asText();
      boolean explained = events.stream().anyMatch(e -> explainsLostGrant(e, worker));
      if (!explained) {
        unexplained.add(line(response));
      }
    }
    figures.put("grantsNotStored", wasted);
    if (!unexplained.isEmpty()) {
      violations.add(
          new Violation(
              "I1", "successful grants were neither stored nor explained by a fault", unexplained));
    }
  }

  /**
   * Names the lease a request was sent under: {@code worker/-1} without one, else the worker and
   * the lease's serial (older logs: its fence). A fence alone does not name a lease once the lock's
   * counter went back: the same fence is issued again, and a re-fence gives one lease two fences.
   */
  private static String leaseOf(JsonNode request) {
    String worker = request.get("worker").asText();
    long fence = request.get("fence").asLong();
    if (fence == -1 || !request.has("lease")) {
      return worker + "/" + fence;
    }
    return worker + "/lease " + request.get("lease").asLong();
  }

  private static boolean explainsLostGrant(JsonNode event, String worker) {
    String type = event.get("type").asText();
    if (type.equals("fault")) {
      return event.path("target").asText().equals(worker);
    }
    return event.get("worker").asText().equals(worker)
        && (type.equals("break") || type.equals("fence_rejected") || type.equals("refresh_failed"));
  }

  // I2 -------------------------------------------------------------------------------------------

  private static void checkReuse(
      List<JsonNode> events,
      List<RecordedTokenRequest> requests,
      List<JsonNode> failovers,
      List<Violation> violations,
      List<Violation> expected) {
    Map<String, List<RecordedTokenRequest>> byToken = new LinkedHashMap<>();
    for (RecordedTokenRequest request : requests) {
      if (PRESENTED.contains(request.outcome())) {
        byToken
            .computeIfAbsent(request.refreshTokenFingerprint(), k -> new ArrayList<>())
            .add(request);
      }
    }
    // presented fingerprint -> successors the workers received for it
    Map<String, Set<String>> successors = new HashMap<>();
    for (JsonNode response : ofType(events, "response")) {
      successors
          .computeIfAbsent(response.get("rtFp").asText(), k -> new HashSet<>())
          .add(response.get("newRtFp").asText());
    }
    List<JsonNode> appliedWrites =
        ofType(events, "write").stream()
            .filter(w -> w.get("outcome").asText().equals("APPLIED") && w.has("rtFp"))
            .toList();
    Map<String, List<JsonNode>> lossReports = lossReportsByToken(events);
    byToken.forEach(
        (fp, presentations) -> {
          for (int i = 1; i < presentations.size(); i++) {
            RecordedTokenRequest again = presentations.get(i);
            long at = EventLog.micros(again.receivedAt());
            Set<String> next = successors.getOrDefault(fp, Set.of());
            List<JsonNode> storedSuccessors =
                appliedWrites.stream()
                    .filter(w -> w.get("t").asLong() < at && next.contains(w.get("rtFp").asText()))
                    .toList();
            boolean storedBefore =
                storedSuccessors.stream().anyMatch(w -> rolledBackBy(w, at, failovers).isEmpty());
            List<String> evidence =
                new ArrayList<>(presentations.stream().map(InvariantChecker::request).toList());
            if (!storedBefore && !storedSuccessors.isEmpty()) {
              // Stored, then rolled back by a failover: the fleet cannot know the rotation
              // happened unless its mark survived; what it must do is report the loss.
              JsonNode failover =
                  rolledBackBy(storedSuccessors.get(0), at, failovers).orElseThrow();
              long from = failover.get("t").asLong();
              List<JsonNode> reported =
                  events.stream()
                      .filter(e -> e.get("t").asLong() > from)
                      .filter(InvariantChecker::reportsLoss)
                      .toList();
              evidence.add(line(failover));
              storedSuccessors.forEach(w -> evidence.add(line(w)));
              reported.stream().limit(3).forEach(e -> evidence.add(line(e)));
              if (reported.isEmpty() && again.outcome() != Outcome.GRACE_REUSE) {
                violations.add(
                    new Violation(
                        "I2",
                        "refresh token "
                            + fp
                            + " presented again after its stored rotation was rolled back by a"
                            + " failover, and no worker reported it",
                        evidence));
              } else {
                expected.add(
                    new Violation(
                        "I2",
                        "refresh token "
                            + fp
                            + " presented again after a failover rolled its rotation back;"
                            + " reported as "
                            + (reported.isEmpty()
                                ? "a grace reuse"
                                : reported.get(0).get("type").asText()
                                    + " "
                                    + reported
                                        .get(0)
                                        .path("error")
                                        .asText(reported.get(0).path("status").asText())),
                        evidence));
              }
            } else if (storedBefore) {
              violations.add(
                  new Violation(
                      "I2",
                      "refresh token " + fp + " presented again after its rotation was stored",
                      evidence));
            } else if (again.outcome() != Outcome.GRACE_REUSE
                && lossReports.getOrDefault(fp, List.of()).stream()
                    .noneMatch(r -> r.get("t").asLong() > at)) {
              lossReports.values().stream()
                  .flatMap(List::stream)
                  .limit(3)
                  .forEach(r -> evidence.add(line(r)));
              violations.add(
                  new Violation(
                      "I2",
                      "refresh token "
                          + fp
                          + " presented again after a lost rotation, and no worker reported"
                          + " LostRotationException for it afterwards",
                      evidence));
            }
          }
        });
  }

  /**
   * Returns each {@code lost_rotation} report under the refresh token it is about: the one the
   * reporting worker presented in its last token request before the report (the detector reports
   * right after the server refused what it presented).
   */
  private static Map<String, List<JsonNode>> lossReportsByToken(List<JsonNode> events) {
    Map<String, JsonNode> lastRequest = new HashMap<>();
    Map<String, List<JsonNode>> reports = new HashMap<>();
    for (JsonNode e : events) {
      String type = e.get("type").asText();
      String worker = e.get("worker").asText();
      if (type.equals("request")) {
        lastRequest.put(worker, e);
      } else if (type.equals("lost_rotation") && lastRequest.containsKey(worker)) {
        reports
            .computeIfAbsent(lastRequest.get(worker).get("rtFp").asText(), k -> new ArrayList<>())
            .add(e);
      }
    }
    return reports;
  }

  /**
   * A loss is reported by a listener event, a {@code REAUTH_REQUIRED} record in the store, or a
   * caller's typed re-authentication error (after a failover the listener may stay silent: see
   * docs/chaos.md, Findings).
   */
  private static boolean reportsLoss(JsonNode e) {
    String type = e.get("type").asText();
    return type.equals("lost_rotation")
        || type.equals("reauth")
        || (type.equals("write")
            && e.get("outcome").asText().equals("APPLIED")
            && e.get("status").asText().equals("REAUTH_REQUIRED"))
        || (type.equals("error")
            && (e.get("error").asText().equals("LostRotationException")
                || e.get("error").asText().equals("ReauthenticationRequiredException")));
  }

  // I3 -------------------------------------------------------------------------------------------

  private static void checkWrites(
      List<JsonNode> events,
      List<JsonNode> failovers,
      List<Violation> violations,
      List<Violation> expected,
      Map<String, Object> figures) {
    List<JsonNode> applied =
        ofType(events, "write").stream()
            .filter(w -> w.get("outcome").asText().equals("APPLIED"))
            .sorted(
                Comparator.<JsonNode>comparingLong(w -> w.get("version").asLong())
                    .thenComparingLong(InvariantChecker::sentAt))
            .toList();
    figures.put(
        "fenceRejectedWrites",
        ofType(events, "write").stream()
            .filter(w -> w.get("outcome").asText().equals("FENCE_REJECTED"))
            .count());
    // Which write the store applied first is certain across versions (a write that leaves version
    // v is applied before any that leaves v + 1), and within one version (marks, taken back or
    // settled, keep it) only when one write's answer came back before the other was sent: a write
    // is applied between its sentAt and its t (when its answer was logged), and a worker paused in
    // between (SIGSTOP) logs a write long after the store applied it.
    // The highest-fence write of the versions below the current one:
    @Nullable JsonNode maxBefore = null;
    @Nullable JsonNode groupMax = null;
    long groupVersion = Long.MIN_VALUE;
    List<JsonNode> group = new ArrayList<>();
    Map<Long, JsonNode> contentVersions = new HashMap<>();
    for (JsonNode write : applied) {
      if (rolledBackBy(write, Long.MAX_VALUE, failovers).isPresent()) {
        // Its fence and version died with the old primary; what replaces it is checked below.
        JsonNode previous = contentVersions.get(write.get("version").asLong());
        if (write.get("content").asBoolean() && previous == null) {
          contentVersions.put(write.get("version").asLong(), write);
        }
        continue;
      }
      if (write.get("version").asLong() != groupVersion) {
        maxBefore = higherFence(maxBefore, groupMax);
        groupMax = null;
        group.clear();
        groupVersion = write.get("version").asLong();
      }
      long sentAt = sentAt(write);
      @Nullable JsonNode earlier = maxBefore;
      for (JsonNode before : group) {
        if (before.get("t").asLong() < sentAt) {
          earlier = higherFence(earlier, before);
        }
      }
      long fence = write.get("fence").asLong();
      if (earlier != null && earlier.get("fence").asLong() > fence) {
        violations.add(
            new Violation(
                "I3",
                "a write with fence "
                    + fence
                    + " was applied after one with fence "
                    + earlier.get("fence").asLong(),
                List.of(line(earlier), line(write))));
      }
      group.add(write);
      groupMax = higherFence(groupMax, write);
      if (write.get("content").asBoolean()) {
        JsonNode previous = contentVersions.putIfAbsent(write.get("version").asLong(), write);
        if (previous != null
            && rolledBackBy(previous, write.get("t").asLong(), failovers).isPresent()) {
          expected.add(
              new Violation(
                  "I3",
                  "version "
                      + write.get("version").asLong()
                      + " written again after a failover rolled the first write back",
                  List.of(line(previous), line(write))));
          contentVersions.put(write.get("version").asLong(), write);
        } else if (previous != null) {
          violations.add(
              new Violation(
                  "I3",
                  "two content writes produced version " + write.get("version").asLong(),
                  List.of(line(previous), line(write))));
        }
      }
    }
    List<JsonNode> regressions = new ArrayList<>();
    for (JsonNode regression : ofType(events, "version_regression")) {
      long t = regression.get("t").asLong();
      boolean explained =
          failovers.stream()
              .anyMatch(
                  f ->
                      f.get("t").asLong() < t
                          && regression.get("previous").asLong()
                              > f.get("rolledBackAbove").asLong());
      if (explained) {
        expected.add(
            new Violation(
                "I3", "a caller's version went back over a failover", List.of(line(regression))));
      } else {
        regressions.add(regression);
      }
    }
    if (!regressions.isEmpty()) {
      violations.add(
          new Violation(
              "I3",
              "callers saw versions go back",
              regressions.stream().map(InvariantChecker::line).toList()));
    }
  }

  /** When a write was sent (older logs: when it was logged). */
  private static long sentAt(JsonNode write) {
    JsonNode sent = write.get("sentAt");
    return sent == null ? write.get("t").asLong() : sent.asLong();
  }

  /** Returns whichever write has the higher fence ({@code b} on a tie); either may be null. */
  private static @Nullable JsonNode higherFence(@Nullable JsonNode a, @Nullable JsonNode b) {
    if (a == null) {
      return b;
    }
    if (b == null) {
      return a;
    }
    return a.get("fence").asLong() > b.get("fence").asLong() ? a : b;
  }

  // I4, I5 ---------------------------------------------------------------------------------------

  private static void checkServed(
      List<JsonNode> events,
      List<IssuedAccessToken> accessTokens,
      List<Violation> violations,
      Map<String, Object> figures) {
    Map<String, IssuedAccessToken> issued = new HashMap<>();
    accessTokens.forEach(token -> issued.put(token.fingerprint(), token));
    List<JsonNode> serves =
        events.stream()
            .filter(
                e ->
                    e.get("type").asText().equals("served")
                        || e.get("type").asText().equals("served_last"))
            .toList();
    List<String> unknown = new ArrayList<>();
    Map<String, List<String>> expired = new LinkedHashMap<>();
    long afterRevocation = 0;
    long closest = Long.MAX_VALUE;
    for (JsonNode serve : serves) {
      String fp = serve.get("atFp").asText();
      long at = serve.get("servedAt").asLong();
      IssuedAccessToken token = issued.get(fp);
      if (token == null) {
        unknown.add(line(serve));
        continue;
      }
      long expiresAt = EventLog.micros(token.expiresAt());
      closest = Math.min(closest, expiresAt - at);
      if (at >= expiresAt) {
        expired.computeIfAbsent(fp, k -> new ArrayList<>(List.of(issued(token)))).add(line(serve));
      } else if (token.revokedAt() != null && at >= EventLog.micros(token.revokedAt())) {
        afterRevocation++;
      }
    }
    figures.put("servesLogged", serves.size());
    figures.put(
        "tokensServed", serves.stream().map(e -> e.get("atFp").asText()).distinct().count());
    figures.put("servedAfterRevocation", afterRevocation);
    if (closest != Long.MAX_VALUE) {
      figures.put("closestServeToExpiryMillis", closest / 1000.0);
    }
    if (!unknown.isEmpty()) {
      violations.add(new Violation("I4", "served access tokens the server never issued", unknown));
    }
    expired.forEach(
        (fp, evidence) ->
            violations.add(
                new Violation(
                    "I4",
                    "access token " + fp + " served at or past its expiry by the server's ledger",
                    evidence)));
    List<JsonNode> hung = new ArrayList<>(ofType(events, "slow_call"));
    if (!hung.isEmpty()) {
      violations.add(
          new Violation(
              "I5",
              "calls outlived their deadline",
              hung.stream().map(InvariantChecker::line).toList()));
    }
    List<JsonNode> untyped = ofType(events, "untyped_error");
    if (!untyped.isEmpty()) {
      violations.add(
          new Violation(
              "I5",
              "calls failed with an untyped error",
              untyped.stream().map(InvariantChecker::line).toList()));
    }
    Map<String, Long> errors =
        ofType(events, "error").stream()
            .collect(
                Collectors.groupingBy(
                    e -> e.get("error").asText(), LinkedHashMap::new, Collectors.counting()));
    figures.put("errorTransitionsByType", errors);
    long calls = ofType(events, "summary").stream().mapToLong(e -> e.get("calls").asLong()).sum();
    figures.put("calls", calls);
  }

  private static String issued(IssuedAccessToken token) {
    ObjectNode node = JSON.createObjectNode();
    node.put("server", "accessToken");
    node.put("atFp", token.fingerprint());
    node.put("issuedAt", EventLog.micros(token.issuedAt()));
    node.put("expiresAt", EventLog.micros(token.expiresAt()));
    Instant revokedAt = token.revokedAt();
    if (revokedAt != null) {
      node.put("revokedAt", EventLog.micros(revokedAt));
    }
    return node.toString();
  }

  // I6 -------------------------------------------------------------------------------------------

  private static void checkReauth(
      List<JsonNode> events,
      List<RecordedTokenRequest> requests,
      List<Violation> violations,
      Map<String, Object> figures) {
    List<JsonNode> reauthWrites =
        ofType(events, "write").stream()
            .filter(
                w ->
                    w.get("outcome").asText().equals("APPLIED")
                        && w.get("status").asText().equals("REAUTH_REQUIRED"))
            .toList();
    List<JsonNode> seeds = ofType(events, "seed");
    List<JsonNode> sent = ofType(events, "request");
    long after = 0;
    for (JsonNode reauth : reauthWrites) {
      long from = reauth.get("t").asLong();
      long until =
          seeds.stream()
              .mapToLong(s -> s.get("t").asLong())
              .filter(t -> t > from)
              .min()
              .orElse(Long.MAX_VALUE);
      List<RecordedTokenRequest> late =
          requests.stream()
              .filter(
                  r -> {
                    long at = EventLog.micros(r.receivedAt());
                    return at > from && at < until;
                  })
              .toList();
      after += late.size();
      // In flight when the record was published: sent (logged by a worker) before its write
      // completed, and not yet received by the server then; counted per refresh token presented.
      Map<String, Long> inFlight = new HashMap<>();
      sent.stream()
          .filter(e -> e.get("t").asLong() < from)
          .forEach(e -> inFlight.merge(e.get("rtFp").asText(), 1L, Long::sum));
      requests.stream()
          .filter(r -> EventLog.micros(r.receivedAt()) <= from)
          .forEach(r -> inFlight.merge(r.refreshTokenFingerprint(), -1L, Long::sum));
      Map<String, Long> lateByToken =
          late.stream()
              .collect(
                  Collectors.groupingBy(
                      RecordedTokenRequest::refreshTokenFingerprint, Collectors.counting()));
      long beyond =
          lateByToken.entrySet().stream()
              .mapToLong(
                  e ->
                      Math.max(
                          0, e.getValue() - Math.max(0, inFlight.getOrDefault(e.getKey(), 0L))))
              .sum();
      if (beyond > 0) {
        List<String> evidence = new ArrayList<>();
        evidence.add(line(reauth));
        late.forEach(r -> evidence.add(request(r)));
        sent.stream()
            .filter(e -> e.get("t").asLong() > from && e.get("t").asLong() < until)
            .forEach(e -> evidence.add(line(e)));
        violations.add(
            new Violation(
                "I6",
                late.size()
                    + " token requests after re-authentication was required, "
                    + beyond
                    + " of them not in flight when it was published",
                evidence));
      }
    }
    figures.put("reauthRequired", reauthWrites.size());
    figures.put("requestsAfterReauth", after);
    figures.put("lostRotationsReported", ofType(events, "lost_rotation").size());
  }
}

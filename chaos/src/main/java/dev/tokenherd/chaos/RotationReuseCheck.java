package dev.tokenherd.chaos;

import static dev.tokenherd.chaos.Events.ofType;
import static dev.tokenherd.chaos.Events.rolledBackBy;
import static dev.tokenherd.chaos.Evidence.line;
import static dev.tokenherd.chaos.Evidence.request;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tokenherd.testkit.RecordedTokenRequest;
import dev.tokenherd.testkit.RecordedTokenRequest.Outcome;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Judges I2 for the {@link InvariantChecker}: a refresh token the server processed is presented
 * again only if the answer to its first presentation never reached the store, and then (outside a
 * grace period) only after a worker reported the loss of that very refresh token; a reuse that
 * follows a failover's rollback and was reported is an expected finding, not a violation.
 */
final class RotationReuseCheck {
  private static final Set<Outcome> PRESENTED =
      EnumSet.of(
          Outcome.REFRESHED, Outcome.GRACE_REUSE, Outcome.REUSE_DETECTED, Outcome.INVALID_GRANT);

  private RotationReuseCheck() {}

  /**
   * Adds the I2 violations to {@code violations}, and the reuses a reported failover explains to
   * {@code expected}.
   */
  static void check(
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
                new ArrayList<>(presentations.stream().map(Evidence::request).toList());
            if (!storedBefore && !storedSuccessors.isEmpty()) {
              // Stored, then rolled back by a failover: the fleet cannot know the rotation
              // happened unless its mark survived; what it must do is report the loss.
              JsonNode failover =
                  rolledBackBy(storedSuccessors.get(0), at, failovers).orElseThrow();
              long from = failover.get("t").asLong();
              List<JsonNode> reported =
                  events.stream()
                      .filter(e -> e.get("t").asLong() > from)
                      .filter(RotationReuseCheck::reportsLoss)
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
}

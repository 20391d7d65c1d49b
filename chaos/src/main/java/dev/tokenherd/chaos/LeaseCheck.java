package dev.tokenherd.chaos;

import static dev.tokenherd.chaos.Events.ofType;
import static dev.tokenherd.chaos.Evidence.line;
import static dev.tokenherd.chaos.Evidence.request;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tokenherd.testkit.RecordedTokenRequest;
import dev.tokenherd.testkit.RecordedTokenRequest.Outcome;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Judges I1 for the {@link InvariantChecker}: every token request the server received was sent by a
 * worker under a lease, at most one per lease; and every successful grant that was not stored is
 * explained (its holder was killed or stopped, its write was fenced, or its answer was ambiguous).
 */
final class LeaseCheck {
  private LeaseCheck() {}

  /** Adds the I1 violations to {@code violations} and the request figures to {@code figures}. */
  static void check(
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
              requests.stream().map(Evidence::request).toList()));
    }
    Map<String, List<JsonNode>> perLease =
        sent.stream()
            .collect(
                Collectors.groupingBy(
                    LeaseCheck::leaseOf, LinkedHashMap::new, Collectors.toList()));
    perLease.forEach(
        (lease, list) -> {
          if (lease.endsWith("/-1")) {
            violations.add(
                new Violation(
                    "I1",
                    "a token request was sent without a lease",
                    list.stream().map(Evidence::line).toList()));
          } else if (list.size() > 1) {
            violations.add(
                new Violation(
                    "I1",
                    "more than one token request under lease " + lease,
                    list.stream().map(Evidence::line).toList()));
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
}

package dev.tokenherd.chaos;

import static dev.tokenherd.chaos.Events.ofType;
import static dev.tokenherd.chaos.Evidence.line;
import static dev.tokenherd.chaos.Evidence.request;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tokenherd.testkit.RecordedTokenRequest;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * Judges I6 for the {@link InvariantChecker}: once re-authentication is required, the only token
 * requests the server receives until a new token set is seeded are those already in flight when the
 * {@code REAUTH_REQUIRED} record was published, counted per refresh token.
 */
final class ReauthCheck {
  private ReauthCheck() {}

  /**
   * Adds the I6 violations to {@code violations} and the re-authentication figures to {@code
   * figures}.
   */
  static void check(
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

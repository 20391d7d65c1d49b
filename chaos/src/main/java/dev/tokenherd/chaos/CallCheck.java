package dev.tokenherd.chaos;

import static dev.tokenherd.chaos.Events.ofType;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * Judges I5 for the {@link InvariantChecker}: no call took longer than its deadline plus slack, and
 * every failure was typed; counts the calls and the error transitions by type.
 */
final class CallCheck {
  private CallCheck() {}

  /** Adds the I5 violations to {@code violations} and the call figures to {@code figures}. */
  static void check(
      List<JsonNode> events, List<Violation> violations, Map<String, Object> figures) {
    List<JsonNode> hung = new ArrayList<>(ofType(events, "slow_call"));
    if (!hung.isEmpty()) {
      violations.add(
          new Violation(
              "I5", "calls outlived their deadline", hung.stream().map(Evidence::line).toList()));
    }
    List<JsonNode> untyped = ofType(events, "untyped_error");
    if (!untyped.isEmpty()) {
      violations.add(
          new Violation(
              "I5",
              "calls failed with an untyped error",
              untyped.stream().map(Evidence::line).toList()));
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
}

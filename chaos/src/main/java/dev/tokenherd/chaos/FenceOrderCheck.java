package dev.tokenherd.chaos;

import static dev.tokenherd.chaos.Events.ofType;
import static dev.tokenherd.chaos.Events.rolledBackBy;
import static dev.tokenherd.chaos.Evidence.line;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * Judges I3 for the {@link InvariantChecker}: applied writes carry non-decreasing fences in the
 * order the store applied them, wherever the logs make that order certain; no two content writes
 * produced the same version; no caller saw its versions go back (a failover's rollback excepted, as
 * an expected finding).
 */
final class FenceOrderCheck {
  private FenceOrderCheck() {}

  /**
   * Adds the I3 violations to {@code violations}, what a failover explains to {@code expected}, and
   * the fenced writes to {@code figures}.
   */
  static void check(
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
                    .thenComparingLong(Events::sentAt))
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
      long sentAt = Events.sentAt(write);
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
              regressions.stream().map(Evidence::line).toList()));
    }
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
}

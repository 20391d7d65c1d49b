package dev.tokenherd.chaos;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import java.util.Optional;

/** Selects what the {@link InvariantChecker}'s judges need from the run's events. */
final class Events {
  private Events() {}

  /** Returns the events of one {@code type}, in the order given. */
  static List<JsonNode> ofType(List<JsonNode> events, String type) {
    return events.stream().filter(e -> e.get("type").asText().equals(type)).toList();
  }

  /**
   * Returns the failover that rolled {@code write} back before {@code at}, if any: one logged after
   * the write whose promoted replica holds a lower version ({@code rolledBackAbove}), or, where the
   * harness knows when the replica stopped receiving ({@code lostAfter}, epoch micros: a Sentinel
   * group's replica cut off before the master is killed), one that the write was sent between that
   * instant and the failover (the master is killed right after the failover is logged, so such a
   * write, if applied at all, was applied there, even if its answer was logged after the failover).
   * Marks keep the version, so only the time tells that they were lost.
   */
  static Optional<JsonNode> rolledBackBy(JsonNode write, long at, List<JsonNode> failovers) {
    long t = write.get("t").asLong();
    long sent = sentAt(write);
    long version = write.get("version").asLong();
    return failovers.stream()
        .filter(f -> f.get("t").asLong() < at)
        .filter(
            f ->
                (f.get("t").asLong() > t && version > f.get("rolledBackAbove").asLong())
                    || (f.has("lostAfter")
                        && sent > f.get("lostAfter").asLong()
                        && sent < f.get("t").asLong()))
        .findFirst();
  }

  /** When a write was sent (older logs: when it was logged). */
  static long sentAt(JsonNode write) {
    JsonNode sent = write.get("sentAt");
    return sent == null ? write.get("t").asLong() : sent.asLong();
  }
}

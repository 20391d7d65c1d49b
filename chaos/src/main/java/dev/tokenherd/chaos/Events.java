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

  /** Returns the failover that rolled {@code write} back before {@code at}, if any. */
  static Optional<JsonNode> rolledBackBy(JsonNode write, long at, List<JsonNode> failovers) {
    long t = write.get("t").asLong();
    long version = write.get("version").asLong();
    return failovers.stream()
        .filter(f -> f.get("t").asLong() > t && f.get("t").asLong() < at)
        .filter(f -> version > f.get("rolledBackAbove").asLong())
        .findFirst();
  }
}

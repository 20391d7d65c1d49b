package dev.tokenherd.chaos;

import java.util.List;

/**
 * One invariant violation the {@link InvariantChecker} found.
 *
 * @param invariant {@code I1} to {@code I6}
 * @param message what is wrong
 * @param evidence the log lines (worker events or server requests) that show it
 */
public record Violation(String invariant, String message, List<String> evidence) {
  /** Copies the evidence. */
  public Violation {
    evidence = List.copyOf(evidence);
  }
}

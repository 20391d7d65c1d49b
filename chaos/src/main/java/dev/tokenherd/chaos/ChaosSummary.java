package dev.tokenherd.chaos;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * The run's {@code summary.json}: for each scenario, its seed, iterations, invariant violations
 * with evidence, and the figures it measured. Scenarios run one after the other in one JVM and each
 * merges its entry into the file, so a partial run still leaves a valid summary.
 */
public final class ChaosSummary {
  private static final ObjectMapper JSON =
      new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  private ChaosSummary() {}

  private static void addFindings(ArrayNode into, List<Violation> findings, int maxEvidence) {
    for (Violation finding : findings) {
      ObjectNode v = into.addObject();
      v.put("invariant", finding.invariant());
      v.put("message", finding.message());
      ArrayNode evidence = v.putArray("evidence");
      finding.evidence().stream().limit(maxEvidence).forEach(evidence::add);
    }
  }

  /**
   * Adds or replaces the entry of {@code scenario} in {@code file}.
   *
   * @param file the summary file, created if missing
   * @param scenario the scenario's name
   * @param seed the seed it ran with
   * @param iterations how many times it ran
   * @param report what the checker found, merged over the iterations
   * @param figures what the scenario measured beyond the checker's own figures
   */
  public static synchronized void record(
      Path file,
      String scenario,
      long seed,
      int iterations,
      InvariantChecker.Report report,
      Map<String, ?> figures) {
    try {
      ObjectNode root;
      if (Files.exists(file)) {
        root = (ObjectNode) JSON.readTree(file.toFile());
      } else {
        Path parent = file.toAbsolutePath().getParent();
        if (parent != null) {
          Files.createDirectories(parent);
        }
        root = JSON.createObjectNode();
      }
      ObjectNode scenarios =
          root.has("scenarios") ? (ObjectNode) root.get("scenarios") : root.putObject("scenarios");
      ObjectNode entry = JSON.createObjectNode();
      entry.put("seed", seed);
      entry.put("iterations", iterations);
      entry.put("violationCount", report.violations().size());
      addFindings(entry.putArray("violations"), report.violations(), 50);
      entry.put("expectedCount", report.expected().size());
      addFindings(entry.putArray("expected"), report.expected(), 20);
      ObjectNode measured = entry.putObject("figures");
      report.figures().forEach((name, value) -> measured.set(name, JSON.valueToTree(value)));
      figures.forEach((name, value) -> measured.set(name, JSON.valueToTree(value)));
      scenarios.set(scenario, entry);
      long total = 0;
      for (JsonNode s : scenarios) {
        total += s.get("violationCount").asLong();
      }
      root.put("totalViolations", total);
      JSON.writeValue(file.toFile(), root);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}

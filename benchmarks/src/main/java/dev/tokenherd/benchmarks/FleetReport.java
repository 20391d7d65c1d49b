package dev.tokenherd.benchmarks;

import java.util.List;
import java.util.Locale;
import java.util.StringJoiner;

/**
 * Writes the fleet suite's rows as {@code fleet.csv} and as the Markdown table of {@code fleet.md}.
 */
final class FleetReport {
  /** The CSV header: the columns issue #6 asks for first, then the ones that explain them. */
  static final List<String> COLUMNS =
      List.of(
          "strategy",
          "pods",
          "threads",
          "refresh_events",
          "token_requests",
          "requests_per_refresh",
          "reuse_detected",
          "p50_wait_us",
          "p99_wait_us",
          "max_wait_us",
          "propagation_p99_us",
          "redis_cmds_per_refresh",
          "redis_rtt_us",
          "families_revoked",
          "token_requests_total",
          "invalid_grants",
          "revoked_after_ms",
          "window_calls",
          "propagated_tokens",
          "redis_cmds",
          "calls",
          "errors",
          "duration_ms",
          "redis_cmds_by_name");

  private FleetReport() {}

  /** Returns the CSV text: a header row, then one row per cell. */
  static String csv(List<FleetRow> rows) {
    StringBuilder out = new StringBuilder(String.join(",", COLUMNS)).append('\n');
    for (FleetRow r : rows) {
      StringJoiner line = new StringJoiner(",");
      line.add(r.strategy())
          .add(Integer.toString(r.pods()))
          .add(Integer.toString(r.threads()))
          .add(Long.toString(r.refreshEvents()))
          .add(Long.toString(r.tokenRequests()))
          .add(number(r.requestsPerRefresh(), 2))
          .add(Long.toString(r.reuseDetected()))
          .add(number(r.p50Wait(), 1))
          .add(number(r.p99Wait(), 1))
          .add(number(r.maxWait(), 1))
          .add(number(r.propagationP99(), 0))
          .add(number(r.redisCommandsPerRefresh(), 1))
          .add(number(r.redisRtt(), 0))
          .add(Long.toString(r.familiesRevoked()))
          .add(Long.toString(r.tokenRequestsTotal()))
          .add(Long.toString(r.invalidGrants()))
          .add(r.revoked() ? Long.toString(r.revokedAfterMillis()) : "")
          .add(Long.toString(r.waitCalls()))
          .add(Integer.toString(r.propagatedTokens()))
          .add(Long.toString(r.redisCommands()))
          .add(Long.toString(r.calls()))
          .add(Long.toString(r.errors()))
          .add(Long.toString(r.durationMillis()))
          .add(byName(r));
      out.append(line).append('\n');
    }
    return out.toString();
  }

  /** Returns the Markdown table of {@code rows}, one line per cell in the given order. */
  static String table(List<FleetRow> rows) {
    StringBuilder out = new StringBuilder();
    out.append(
        "| strategy | pods | threads | refreshes | token requests | requests / refresh | reuse"
            + " detected | revoked after | wait p50 (µs) | wait p99 (µs) | wait max (µs) |"
            + " propagation p99 (µs) | propagation / RTT | Redis cmds / refresh | RTT (µs) |\n");
    out.append("|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|\n");
    for (FleetRow r : rows) {
      cellKey(out, r)
          .append(r.refreshEvents())
          .append(" | ")
          .append(r.tokenRequests())
          .append(" | ")
          .append(cell(r.requestsPerRefresh(), 2))
          .append(" | ")
          .append(r.reuseDetected())
          .append(" | ")
          .append(r.revoked() ? r.revokedAfterMillis() + " ms" : "–")
          .append(" | ")
          .append(cell(r.p50Wait(), 1))
          .append(" | ")
          .append(cell(r.p99Wait(), 1))
          .append(" | ")
          .append(cell(r.maxWait(), 0))
          .append(" | ")
          .append(cell(r.propagationP99(), 0))
          .append(" | ")
          .append(cell(r.propagationInRoundTrips(), 1))
          .append(" | ")
          .append(cell(r.redisCommandsPerRefresh(), 1))
          .append(" | ")
          .append(cell(r.redisRtt(), 0))
          .append(" |\n");
    }
    return out.toString();
  }

  /** The commands by name, e.g. {@code evalsha=12 hgetall=30}: no commas, so one CSV field. */
  private static String byName(FleetRow r) {
    StringJoiner names = new StringJoiner(" ");
    r.redisCommandsByName().forEach((name, count) -> names.add(name + "=" + count));
    return names.toString();
  }

  /**
   * Returns the Markdown table of the Redis commands by name, per refresh and pod, one line per
   * cell that refreshed: what a refresh costs each pod, command by command.
   */
  static String commandBreakdown(List<FleetRow> rows) {
    StringBuilder out = new StringBuilder();
    out.append("| strategy | pods | threads | Redis cmds / refresh / pod | by command |\n");
    out.append("|---|--:|--:|--:|---|\n");
    for (FleetRow r : rows) {
      if (r.refreshEvents() == 0) {
        continue;
      }
      StringJoiner commands = new StringJoiner(", ");
      r.redisCommandsPerRefreshPerPod()
          .forEach(e -> commands.add("`" + e.getKey() + "` " + number(e.getValue(), 1)));
      cellKey(out, r)
          .append(number(r.redisCommandsPerRefresh() / r.pods(), 1))
          .append(" | ")
          .append(commands)
          .append(" |\n");
    }
    return out.toString();
  }

  /** Appends a table line's first three cells (strategy, pods, threads) and the next separator. */
  private static StringBuilder cellKey(StringBuilder out, FleetRow r) {
    return out.append("| ")
        .append(r.strategy())
        .append(" | ")
        .append(r.pods())
        .append(" | ")
        .append(r.threads())
        .append(" | ");
  }

  /** A CSV number: fixed decimals, dot separator, empty for NaN. */
  static String number(double value, int decimals) {
    if (Double.isNaN(value) || Double.isInfinite(value)) {
      return "";
    }
    return String.format(Locale.ROOT, "%." + decimals + "f", value);
  }

  private static String cell(double value, int decimals) {
    String text = number(value, decimals);
    return text.isEmpty() ? "–" : text;
  }
}

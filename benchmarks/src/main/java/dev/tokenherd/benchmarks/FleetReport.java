package dev.tokenherd.benchmarks;

import java.util.List;
import java.util.Locale;
import java.util.StringJoiner;
import java.util.function.Function;

/**
 * Writes the fleet suite's rows as {@code fleet.csv} and as the Markdown table of {@code fleet.md}.
 */
final class FleetReport {
  /**
   * The CSV header: the cell's key (strategy, Redis deployment, pods, threads), the rest of the
   * columns issue #6 asks for, then the ones that explain them.
   */
  static final List<String> COLUMNS =
      List.of(
          "strategy",
          "redis",
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
          "client_requests_refreshes",
          "client_requests_holder",
          "client_requests_holder_max",
          "client_requests_other",
          "client_requests_other_max",
          "client_requests_outside",
          "client_requests_cut_refreshes",
          "redis_cmds_by_name");

  private FleetReport() {}

  /** Returns the CSV text: a header row, then one row per cell. */
  static String csv(List<FleetRow> rows) {
    StringBuilder out = new StringBuilder(String.join(",", COLUMNS)).append('\n');
    for (FleetRow r : rows) {
      StringJoiner line = new StringJoiner(",");
      line.add(r.strategy())
          .add(r.redis())
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
          .add(Long.toString(r.durationMillis()));
      RoundTrips t = r.roundTrips();
      boolean counted = t.refreshes() > 0;
      line.add(counted ? Integer.toString(t.refreshes()) : "")
          .add(number(t.holderMean(), 2))
          .add(counted ? Integer.toString(t.holderMax()) : "")
          .add(number(t.otherMean(), 2))
          .add(counted && r.pods() > 1 ? Integer.toString(t.otherMax()) : "")
          .add(counted ? Long.toString(t.outside()) : "")
          .add(counted ? Integer.toString(t.cut()) : "")
          .add(byName(r));
      out.append(line).append('\n');
    }
    return out.toString();
  }

  /** Returns the Markdown table of {@code rows}, one line per cell in the given order. */
  static String table(List<FleetRow> rows) {
    StringBuilder out = new StringBuilder();
    out.append(
        "| strategy | redis | pods | threads | refreshes | token requests | requests / refresh |"
            + " reuse detected | revoked after | wait p50 (µs) | wait p99 (µs) | wait max (µs) |"
            + " propagation p99 (µs) | propagation / RTT | Redis cmds / refresh | RTT (µs) |\n");
    out.append("|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|\n");
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

  /**
   * Returns the Markdown table that sets each cell run on both deployments side by side: per
   * strategy, pods and threads, every number as {@code standalone / cluster}, and where a ratio
   * means something, the cluster's as a multiple of the standalone baseline measured in the same
   * run. Empty if no cell ran on both.
   */
  static String topologyComparison(List<FleetRow> rows) {
    String standalone = FleetTopology.STANDALONE.id();
    String cluster = FleetTopology.CLUSTER.id();
    StringBuilder out = new StringBuilder();
    for (FleetRow s : rows) {
      if (!s.redis().equals(standalone)) {
        continue;
      }
      java.util.Optional<FleetRow> onCluster =
          rows.stream()
              .filter(
                  r ->
                      r.redis().equals(cluster)
                          && r.strategy().equals(s.strategy())
                          && r.pods() == s.pods()
                          && r.threads() == s.threads())
              .findFirst();
      if (onCluster.isEmpty()) {
        continue;
      }
      FleetRow c = onCluster.get();
      List<String> cells =
          List.of(
              s.strategy(),
              Integer.toString(s.pods()),
              Integer.toString(s.threads()),
              s.refreshEvents() + " / " + c.refreshEvents(),
              pair(s.requestsPerRefresh(), c.requestsPerRefresh(), 2, false),
              s.reuseDetected() + " / " + c.reuseDetected(),
              pair(s.p99Wait(), c.p99Wait(), 1, false),
              pair(s.maxWait(), c.maxWait(), 0, true),
              pair(s.propagationP99(), c.propagationP99(), 0, true),
              pair(s.redisCommandsPerRefresh(), c.redisCommandsPerRefresh(), 1, true),
              pair(
                  s.redisCommandsPerRefresh() - s.topologyCommandsPerRefresh(),
                  c.redisCommandsPerRefresh() - c.topologyCommandsPerRefresh(),
                  1,
                  true),
              pair(s.redisRtt(), c.redisRtt(), 0, false));
      out.append("| ").append(String.join(" | ", cells)).append(" |\n");
    }
    if (out.length() == 0) {
      return "";
    }
    return "| strategy | pods | threads | refreshes | requests / refresh | reuse detected | wait p99"
        + " (µs) | wait max (µs) | propagation p99 (µs) | Redis cmds / refresh | without topology"
        + " reads and handshakes | RTT (µs) |\n"
        + "|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|\n"
        + out;
  }

  /**
   * {@code standalone / cluster}, and with {@code ratio} the cluster's multiple: {@code (x1.45)}.
   */
  private static String pair(double standalone, double cluster, int decimals, boolean ratio) {
    String text = cell(standalone, decimals) + " / " + cell(cluster, decimals);
    if (ratio && standalone > 0 && !Double.isNaN(cluster)) {
      text += " (×" + number(cluster / standalone, 2) + ")";
    }
    return text;
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
    out.append("| strategy | redis | pods | threads | Redis cmds / refresh / pod | by command |\n");
    out.append("|---|---|--:|--:|--:|---|\n");
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

  /**
   * Returns the Markdown tables of the requests the pods' Redis clients sent per refresh (the cells
   * behind the counting proxies): the counts, then what they were, by kind and in order.
   */
  static String roundTrips(List<FleetRow> rows) {
    StringBuilder out = new StringBuilder();
    out.append(
        "| strategy | redis | pods | threads | refreshes | holder / refresh | holder max | other"
            + " pod / refresh | other pod max | outside refreshes | cut refreshes |\n");
    out.append("|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|\n");
    List<FleetRow> counted = rows.stream().filter(r -> r.roundTrips().refreshes() > 0).toList();
    for (FleetRow r : counted) {
      RoundTrips t = r.roundTrips();
      cellKey(out, r)
          .append(t.refreshes())
          .append(" | ")
          .append(cell(t.holderMean(), 2))
          .append(" | ")
          .append(t.holderMax())
          .append(" | ")
          .append(cell(t.otherMean(), 2))
          .append(" | ")
          .append(r.pods() > 1 ? Integer.toString(t.otherMax()) : "–")
          .append(" | ")
          .append(t.outside())
          .append(" | ")
          .append(t.cut())
          .append(" |\n");
    }
    out.append('\n');
    textColumns(
        out,
        counted,
        "holder, by kind / refresh | other pod, by kind / refresh | outside refreshes, by kind",
        t -> kinds(t.holderByLabel()),
        t -> kinds(t.otherByLabel()),
        t ->
            t.outsideByLabel().entrySet().stream()
                .map(e -> "`" + e.getKey() + "` " + e.getValue())
                .reduce((x, y) -> x + ", " + y)
                .orElse("–"));
    out.append('\n');
    textColumns(
        out,
        counted,
        "the holder's most frequent sequence | another pod's most frequent sequence",
        t -> t.holderSequence().isEmpty() ? "–" : t.holderSequence(),
        t -> t.otherSequence().isEmpty() ? "–" : t.otherSequence());
    return out.toString();
  }

  /** Appends a table of the cells' key and one text column per function. */
  @SafeVarargs
  private static void textColumns(
      StringBuilder out,
      List<FleetRow> rows,
      String header,
      Function<RoundTrips, String>... columns) {
    out.append("| strategy | redis | pods | threads | ").append(header).append(" |\n");
    out.append("|---|---|--:|--:|").append("---|".repeat(columns.length)).append('\n');
    for (FleetRow r : rows) {
      cellKey(out, r);
      StringJoiner cells = new StringJoiner(" | ", "", " |\n");
      for (Function<RoundTrips, String> column : columns) {
        cells.add(column.apply(r.roundTrips()));
      }
      out.append(cells);
    }
  }

  private static String kinds(java.util.Map<String, Double> byLabel) {
    StringJoiner kinds = new StringJoiner(", ");
    byLabel.forEach((label, count) -> kinds.add("`" + label + "` " + number(count, 2)));
    return kinds.length() == 0 ? "–" : kinds.toString();
  }

  /**
   * Returns the Markdown that shows the charts: per kind, what it shows in one sentence, then its
   * files, one per thread count per pod; a note where the run has no proxy counts to draw.
   */
  static String charts(List<FleetCharts.Drawn> drawn) {
    StringBuilder out = new StringBuilder();
    out.append(
        "Charts against the number of pods, one per thread count per pod (`-t<threads>` in the"
            + " name). Each line keeps its colour, marker and dashes on every chart, and is nudged"
            + " sideways a little so that lines with equal values show their markers side by"
            + " side.\n\n");
    for (FleetCharts.Chart chart : FleetCharts.Chart.values()) {
      List<String> files =
          drawn.stream()
              .filter(d -> d.chart() == chart)
              .map(d -> d.file().getFileName().toString())
              .toList();
      if (files.isEmpty()) {
        if (chart == FleetCharts.Chart.REDIS_REQUESTS) {
          out.append("**")
              .append(chart.title())
              .append("**: no chart, no cell of this run ran behind the counting proxies.\n\n");
        }
        continue;
      }
      out.append("**").append(chart.title()).append("**: ").append(chart.caption()).append(".\n\n");
      for (String file : files) {
        out.append("![").append(file).append("](").append(file).append(")\n");
      }
      out.append('\n');
    }
    return out.toString();
  }

  /**
   * Appends a table line's first four cells (strategy, Redis deployment, pods, threads) and the
   * next separator.
   */
  private static StringBuilder cellKey(StringBuilder out, FleetRow r) {
    return out.append("| ")
        .append(r.strategy())
        .append(" | ")
        .append(r.redis())
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

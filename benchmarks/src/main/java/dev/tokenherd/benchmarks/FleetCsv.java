package dev.tokenherd.benchmarks;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Reads a {@code fleet.csv} that {@link FleetReport#csv} wrote back into {@link FleetRow}s, so that
 * the charts can be redrawn from a committed run without running the suite again (it takes minutes,
 * and a rerun would give other numbers than the committed Markdown quotes).
 *
 * <p>Columns are found by name, so the CSVs of older runs read as well: one without {@code redis}
 * ran on a standalone server only; one without the {@code client_requests_*} columns ran before the
 * counting proxies, and its rows get {@link RoundTrips#NONE}. {@link #absentColumns()} names what
 * was missing, so that the caller can say which charts have nothing to draw. Columns derived from
 * others ({@code requests_per_refresh}, {@code redis_cmds_per_refresh}) and unknown ones are
 * ignored.
 *
 * <p><b>Note:</b> the CSV holds less than a row: numbers are rounded as {@link FleetReport#csv}
 * prints them, and a {@link RoundTrips}'s sequences and counts by kind are not in it (they are read
 * back empty). Everything the charts draw is in it.
 *
 * @param rows the cells, in the file's order
 * @param absentColumns the optional columns the file does not have, in {@link #OPTIONAL} order
 */
record FleetCsv(List<FleetRow> rows, List<String> absentColumns) {
  /** The columns older runs lack: the Redis deployment and the proxies' counts. */
  static final List<String> OPTIONAL =
      FleetReport.COLUMNS.stream()
          .filter(c -> c.equals("redis") || c.startsWith("client_requests_"))
          .toList();

  FleetCsv {
    rows = List.copyOf(rows);
    absentColumns = List.copyOf(absentColumns);
  }

  /**
   * Reads {@code file}.
   *
   * @throws IOException if it cannot be read
   * @throws IllegalArgumentException if it is not a fleet CSV (see {@link #parse})
   */
  static FleetCsv read(Path file) throws IOException {
    try {
      return parse(Files.readString(file, StandardCharsets.UTF_8));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(file + ": " + e.getMessage(), e);
    }
  }

  /**
   * Parses the text of a fleet CSV: a header row, then one row per cell.
   *
   * @throws IllegalArgumentException if a column other than the {@link #OPTIONAL} ones is missing,
   *     a row has another number of fields than the header, or a field is not a number where one
   *     belongs; the message names the line and the column
   */
  static FleetCsv parse(String text) {
    List<String> lines = text.lines().filter(l -> !l.isBlank()).toList();
    if (lines.isEmpty()) {
      throw new IllegalArgumentException("no header row");
    }
    Map<String, Integer> index = new HashMap<>();
    List<String> header = List.of(lines.get(0).split(",", -1));
    for (int i = 0; i < header.size(); i++) {
      index.put(header.get(i).trim(), i);
    }
    for (String column : FleetReport.COLUMNS) {
      if (!index.containsKey(column) && !OPTIONAL.contains(column)) {
        throw new IllegalArgumentException("no column " + column);
      }
    }
    List<String> absent = OPTIONAL.stream().filter(c -> !index.containsKey(c)).toList();
    List<FleetRow> rows = new ArrayList<>();
    for (int n = 1; n < lines.size(); n++) {
      List<String> fields = List.of(lines.get(n).split(",", -1));
      if (fields.size() != header.size()) {
        throw new IllegalArgumentException(
            "line " + (n + 1) + ": " + fields.size() + " fields, header has " + header.size());
      }
      rows.add(new Line(n + 1, fields, index).row());
    }
    return new FleetCsv(rows, absent);
  }

  /** One data line, read field by field by column name. */
  private record Line(int number, List<String> fields, Map<String, Integer> index) {
    FleetRow row() {
      int pods = integer("pods");
      return new FleetRow(
          text("strategy", ""),
          text("redis", FleetTopology.STANDALONE.id()),
          pods,
          integer("threads"),
          whole("refresh_events", 0),
          whole("token_requests", 0),
          whole("reuse_detected", 0),
          whole("families_revoked", 0),
          whole("token_requests_total", 0),
          whole("invalid_grants", 0),
          whole("revoked_after_ms", -1),
          whole("window_calls", 0),
          decimal("p50_wait_us"),
          decimal("p99_wait_us"),
          decimal("max_wait_us"),
          decimal("propagation_p99_us"),
          integer("propagated_tokens"),
          whole("redis_cmds", 0),
          commandsByName(text("redis_cmds_by_name", "")),
          decimal("redis_rtt_us"),
          whole("calls", 0),
          whole("errors", 0),
          whole("duration_ms", 0),
          roundTrips());
    }

    /**
     * The proxies' counts, or {@link RoundTrips#NONE} where the cell ran without them (the column
     * is absent or, for the peers and on a cluster, empty).
     */
    private RoundTrips roundTrips() {
      int refreshes = (int) whole("client_requests_refreshes", 0);
      if (refreshes == 0) {
        return RoundTrips.NONE;
      }
      return new RoundTrips(
          refreshes,
          decimal("client_requests_holder"),
          (int) whole("client_requests_holder_max", 0),
          decimal("client_requests_other"),
          (int) whole("client_requests_other_max", 0), // empty with one pod
          whole("client_requests_outside", 0),
          "",
          "",
          Map.of(),
          Map.of(),
          Map.of(),
          (int) whole("client_requests_cut_refreshes", 0));
    }

    /** The field of {@code column}, or {@code absent} if the file has no such column. */
    private String text(String column, String absent) {
      Integer i = index.get(column);
      return i == null ? absent : fields.get(i).trim();
    }

    private int integer(String column) {
      return Math.toIntExact(whole(column, 0));
    }

    /** A count; {@code empty} where the field is empty or the column absent. */
    private long whole(String column, long empty) {
      String value = text(column, "");
      return value.isEmpty() ? empty : count(column, value);
    }

    private long count(String column, String value) {
      try {
        return Long.parseLong(value);
      } catch (NumberFormatException e) {
        throw notANumber(column, value, e);
      }
    }

    /** A measurement; NaN ("not defined", written as an empty field) or absent read as NaN. */
    private double decimal(String column) {
      String value = text(column, "");
      try {
        return value.isEmpty() ? Double.NaN : Double.parseDouble(value);
      } catch (NumberFormatException e) {
        throw notANumber(column, value, e);
      }
    }

    private IllegalArgumentException notANumber(
        String column, String value, NumberFormatException e) {
      return new IllegalArgumentException(
          "line " + number + ", column " + column + ": not a number: " + value, e);
    }

    /** Parses {@code evalsha=12 hgetall=30}, the one-field form {@link FleetReport} writes. */
    private Map<String, Long> commandsByName(String value) {
      Map<String, Long> commands = new TreeMap<>();
      for (String pair : value.split(" ", -1)) {
        if (pair.isEmpty()) {
          continue;
        }
        int eq = pair.lastIndexOf('=');
        if (eq <= 0) {
          throw new IllegalArgumentException(
              "line " + number + ", column redis_cmds_by_name: not name=count: " + pair);
        }
        commands.put(pair.substring(0, eq), count("redis_cmds_by_name", pair.substring(eq + 1)));
      }
      return commands;
    }
  }
}

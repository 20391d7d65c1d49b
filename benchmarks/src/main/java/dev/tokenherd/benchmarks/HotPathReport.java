package dev.tokenherd.benchmarks;

import static java.util.Objects.requireNonNull;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Collectors;

/**
 * Turns hot-path measurements into the Markdown report and the verdicts against issue #6's targets:
 * {@code accessToken} within 2x of {@code ConcurrentHashMap.get} measured in the same run, zero
 * bytes allocated per call, zero Redis commands.
 */
final class HotPathReport {
  /** The speed target: at most this many times the map lookup's time per call. */
  static final double MAX_RATIO_TO_MAP = 2.0;

  /**
   * Below this many bytes per call a benchmark counts as not allocating. A real allocation on the
   * path is at least 16 bytes per call; GCProfiler's fraction of a byte is JMH's own bookkeeping
   * spread over millions of calls.
   */
  static final double ZERO_BYTES_THRESHOLD = 1.0;

  static final String VOLATILE = "volatileRead";
  static final String MAP = "concurrentHashMapGet";
  static final String ACCESS_TOKEN = "accessToken";
  static final String TOKEN_ASYNC = "tokenAsync";
  static final String ON_REDIS = "accessTokenOnRedis";

  /** The order of the table's rows. */
  private static final List<String> ORDER =
      List.of(VOLATILE, MAP, ACCESS_TOKEN, TOKEN_ASYNC, ON_REDIS);

  /**
   * One benchmark at one thread count.
   *
   * @param benchmark the method's simple name
   * @param threads the number of threads calling it
   * @param nanosPerCall the mean time per call, per thread
   * @param error the half-width of JMH's 99.9% confidence interval, or NaN with one iteration
   * @param bytesPerCall {@code gc.alloc.rate.norm}, or NaN without the GC profiler
   */
  record Measurement(
      String benchmark, int threads, double nanosPerCall, double error, double bytesPerCall) {
    Measurement {
      requireNonNull(benchmark, "benchmark");
    }
  }

  /**
   * One target at one thread count.
   *
   * @param target what is claimed
   * @param threads the thread count
   * @param measured what was measured
   * @param pass whether the claim held
   * @param gating whether a failure fails the run (deterministic claims do; timing on a shared
   *     machine does only in strict mode)
   */
  record Verdict(String target, int threads, String measured, boolean pass, boolean gating) {}

  private final List<Measurement> measurements;
  private final SortedMap<Integer, Map<String, Long>> redisCommands;

  /**
   * @param measurements the results
   * @param redisCommands per thread count, the commands Redis received during the Redis trial
   */
  HotPathReport(List<Measurement> measurements, Map<Integer, Map<String, Long>> redisCommands) {
    this.measurements = List.copyOf(measurements);
    this.redisCommands = new TreeMap<>(redisCommands);
  }

  private Optional<Measurement> find(String benchmark, int threads) {
    return measurements.stream()
        .filter(m -> m.benchmark().equals(benchmark) && m.threads() == threads)
        .findFirst();
  }

  private List<Integer> threadCounts() {
    return List.copyOf(
        measurements.stream()
            .map(Measurement::threads)
            .collect(Collectors.toCollection(TreeSet::new)));
  }

  /** Returns {@code benchmark}'s time per call divided by {@code baseline}'s, if both ran. */
  Optional<Double> ratio(String benchmark, String baseline, int threads) {
    return find(benchmark, threads)
        .flatMap(m -> find(baseline, threads).map(b -> m.nanosPerCall() / b.nanosPerCall()));
  }

  /**
   * Returns the verdicts for every target whose benchmarks ran.
   *
   * @param strict whether the speed target gates the run
   */
  List<Verdict> verdicts(boolean strict) {
    List<Verdict> verdicts = new ArrayList<>();
    for (int threads : threadCounts()) {
      int t = threads;
      ratio(ACCESS_TOKEN, MAP, t)
          .ifPresent(
              r ->
                  verdicts.add(
                      new Verdict(
                          "accessToken ≤ " + format(MAX_RATIO_TO_MAP) + "x ConcurrentHashMap.get",
                          t,
                          format(r) + "x",
                          r <= MAX_RATIO_TO_MAP,
                          strict)));
      for (String benchmark : List.of(ACCESS_TOKEN, TOKEN_ASYNC, ON_REDIS)) {
        find(benchmark, t)
            .filter(m -> !Double.isNaN(m.bytesPerCall()))
            .ifPresent(
                m ->
                    verdicts.add(
                        new Verdict(
                            benchmark + " allocates 0 B/call",
                            t,
                            formatBytes(m.bytesPerCall()) + " B/call",
                            m.bytesPerCall() < ZERO_BYTES_THRESHOLD,
                            true)));
      }
      if (find(ON_REDIS, t).isPresent()) {
        Map<String, Long> delta = redisCommands.get(t);
        if (delta == null) {
          verdicts.add(
              new Verdict(
                  "accessTokenOnRedis sends 0 Redis commands", t, "not recorded", false, true));
        } else {
          long hot = RedisCommandStats.hotPathCommands(delta);
          verdicts.add(
              new Verdict(
                  "accessTokenOnRedis sends 0 Redis commands",
                  t,
                  hot + " (all: " + (delta.isEmpty() ? "none" : delta) + ")",
                  hot == 0,
                  true));
        }
      }
    }
    return verdicts;
  }

  /**
   * Returns the report as Markdown.
   *
   * @param title the heading
   * @param runDescription when and how it ran (mode, forks, iterations)
   * @param machine the machine at the start
   * @param loadAfter the load average at the end
   * @param strict whether the speed target gates the run
   */
  String markdown(
      String title, String runDescription, Machine machine, String loadAfter, boolean strict) {
    StringBuilder md = new StringBuilder();
    md.append("# ").append(title).append("\n\n");
    md.append(runDescription).append("\n\n");
    md.append("| machine | |\n|---|---|\n");
    md.append("| CPU | ").append(machine.cpu()).append(" |\n");
    md.append("| processors (nproc) | ").append(machine.processors()).append(" |\n");
    md.append("| load average (1/5/15 min) | before ")
        .append(machine.loadAverage())
        .append(", after ")
        .append(loadAfter)
        .append(" |\n");
    md.append("| JVM | ").append(machine.jvm()).append(" |\n");
    md.append("| OS | ").append(machine.os()).append(" |\n\n");

    md.append("## Time and allocation per call\n\n");
    md.append(
        "Mean time per call per thread (±: JMH's 99.9% confidence half-width), its ratio to the"
            + " same run's baselines, and bytes allocated per call (`gc.alloc.rate.norm`).\n\n");
    md.append("| benchmark | threads | ns/call | ± | × CHM.get | × volatile | B/call |\n");
    md.append("|---|---:|---:|---:|---:|---:|---:|\n");
    for (int threads : threadCounts()) {
      for (String benchmark : ORDER) {
        int t = threads;
        find(benchmark, t)
            .ifPresent(
                m ->
                    md.append("| ")
                        .append(benchmark)
                        .append(" | ")
                        .append(t)
                        .append(" | ")
                        .append(format(m.nanosPerCall()))
                        .append(" | ")
                        .append(Double.isNaN(m.error()) ? "" : format(m.error()))
                        .append(" | ")
                        .append(ratio(benchmark, MAP, t).map(r -> format(r) + "x").orElse(""))
                        .append(" | ")
                        .append(ratio(benchmark, VOLATILE, t).map(r -> format(r) + "x").orElse(""))
                        .append(" | ")
                        .append(formatBytes(m.bytesPerCall()))
                        .append(" |\n"));
      }
    }

    md.append("\n## Targets (issue #6)\n\n");
    md.append("| target | threads | measured | verdict |\n|---|---:|---|---|\n");
    for (Verdict v : verdicts(strict)) {
      md.append("| ")
          .append(v.target())
          .append(" | ")
          .append(v.threads())
          .append(" | ")
          .append(v.measured())
          .append(" | ")
          .append(v.pass() ? "PASS" : v.gating() ? "**FAIL**" : "FAIL (timing; not gating)")
          .append(" |\n");
    }
    md.append(
        "\nRedis commands are counted with `INFO commandstats` from the end of set-up to"
            + " tear-down (warm-up and measurement). `info` (the probe itself) and `ping`"
            + " (Redisson's 30 s keep-alive, driven by time, not by calls) are listed but not"
            + " counted. Less than "
            + format(ZERO_BYTES_THRESHOLD)
            + " B/call counts as zero: an allocation on the path would be at least 16 B/call.\n");
    return md.toString();
  }

  static String format(double value) {
    if (Double.isNaN(value)) {
      return "n/a";
    }
    return String.format(Locale.ROOT, value < 10 ? "%.2f" : "%.1f", value);
  }

  static String formatBytes(double value) {
    if (Double.isNaN(value)) {
      return "n/a";
    }
    return String.format(Locale.ROOT, value < 1 ? "%.4f" : "%.1f", value);
  }
}

package dev.tokenherd.benchmarks;

import dev.tokenherd.benchmarks.HotPathReport.Measurement;
import dev.tokenherd.benchmarks.HotPathReport.Verdict;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import org.openjdk.jmh.profile.GCProfiler;
import org.openjdk.jmh.results.Result;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.results.format.ResultFormatFactory;
import org.openjdk.jmh.results.format.ResultFormatType;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;
import org.openjdk.jmh.runner.options.Options;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;

/**
 * Runs the benchmarks and writes their results to {@code bench.output} (default {@code
 * target/bench}): for the hot path, JMH's raw JSON ({@code hotpath.json}) and a Markdown report
 * with ratios to the same run's baselines and verdicts against the targets ({@code hotpath.md}).
 *
 * <p>System properties: {@code bench.quick=true} for the short variant (1 fork, 3 x 1 s warm-up, 3
 * x 1 s measurement; a few minutes in all); {@code bench.include} a regular expression restricting
 * the hot-path benchmarks (default all); {@code bench.strict=true} to fail on the speed target as
 * well. The run fails (exit status 1) if a deterministic target fails: an allocation on the hot
 * path, a Redis command sent by it. The speed target is reported but, on a shared machine, gates
 * only in strict mode.
 *
 * <p>The fleet suite ({@link FleetSuite}) writes {@code fleet.csv}, {@code fleet.md} and PNG charts
 * beside these: strategies x pods x threads per pod against a real Redis and the fake authorization
 * server. It fails the run if a Tokenherd cell saw a refresh-token reuse.
 *
 * <p>The clock suite ({@link ClockSuite}) writes {@code clock.md}: pods whose clocks are off by -30
 * s, +30 s and +1 h, with the fleet clock and without. It fails the run if the fleet clock served
 * an expired token or sent more token requests than refreshes.
 *
 * <p>The storm suite ({@link StormSuite}) writes {@code storm.md}: many credentials per pod
 * expiring within the same second, several pods on one Redis. It fails the run if a refresh token
 * was presented twice, a family was revoked or a token POST was not a refresh.
 *
 * <p>The charts suite ({@code charts}) runs nothing: it redraws the fleet suite's charts from the
 * CSVs that {@code bench.charts.from} names (comma-separated; default the committed {@code
 * ../docs/benchmarks/fleet.csv} and {@code fleet-quick.csv}), each beside its CSV and named after
 * it ({@code fleet-quick.csv} gives {@code fleet-quick-max-wait-t16.png}, ...), so that a change to
 * the charts does not need the suite's minutes and keeps the numbers the Markdown quotes.
 *
 * <p>{@code bench.suites} picks the suites, comma-separated: {@code hotpath}, {@code fleet}, {@code
 * clock}, {@code storm}, {@code charts} (default {@code hotpath,fleet}: the others take minutes or
 * redraw committed files); {@code bench.fleet.strategies} restricts the fleet suite's strategies
 * (default all); {@code bench.fleet.redis} its Redis deployments, {@code standalone} and {@code
 * cluster} (default both: the Tokenherd strategies run on each, the peers on {@code standalone}
 * only); {@code bench.fleet.pods} and {@code bench.fleet.threads} (comma-separated counts) replace
 * the variant's pod and thread counts.
 */
public final class BenchRunner {
  /** The system property naming the output directory; also read by the forked benchmarks. */
  static final String OUTPUT_PROPERTY = "bench.output";

  private static final List<Integer> THREAD_COUNTS = List.of(1, 2);

  private BenchRunner() {}

  /**
   * How long and how often JMH measures.
   *
   * @param name the variant's name
   * @param forks fresh JVMs per benchmark
   * @param warmups warm-up iterations per fork
   * @param warmupSeconds each warm-up iteration's length
   * @param iterations measurement iterations per fork
   * @param iterationSeconds each measurement iteration's length
   */
  record Plan(
      String name,
      int forks,
      int warmups,
      int warmupSeconds,
      int iterations,
      int iterationSeconds) {
    /** A few minutes in all: for a first look and for CI. */
    static final Plan QUICK = new Plan("quick", 1, 3, 1, 3, 1);

    /** For numbers worth quoting, on a quiet machine. */
    static final Plan FULL = new Plan("full", 2, 5, 1, 5, 2);

    void apply(ChainedOptionsBuilder options) {
      options
          .forks(forks)
          .warmupIterations(warmups)
          .warmupTime(TimeValue.seconds(warmupSeconds))
          .measurementIterations(iterations)
          .measurementTime(TimeValue.seconds(iterationSeconds));
    }

    String describe() {
      return String.format(
          Locale.ROOT,
          "%s: %d fork%s, %d x %d s warm-up, %d x %d s measurement",
          name,
          forks,
          forks == 1 ? "" : "s",
          warmups,
          warmupSeconds,
          iterations,
          iterationSeconds);
    }
  }

  /** The suites {@code bench.suites} can name. */
  static final Set<String> SUITES = Set.of("hotpath", "fleet", "clock", "storm", "charts");

  /** The CSVs the charts suite redraws when {@code bench.charts.from} is not set. */
  static final String COMMITTED_CSVS =
      "../docs/benchmarks/fleet.csv,../docs/benchmarks/fleet-quick.csv";

  /**
   * Runs the selected suites.
   *
   * @param args ignored
   * @throws Exception if a benchmark cannot run or the results cannot be written
   */
  public static void main(String[] args) throws Exception {
    boolean quick = Boolean.getBoolean("bench.quick");
    boolean strict = Boolean.getBoolean("bench.strict");
    Path output = Path.of(System.getProperty(OUTPUT_PROPERTY, "target/bench")).toAbsolutePath();
    String include = System.getProperty("bench.include", ".*");
    Set<String> suites = parseSuites(System.getProperty("bench.suites", "hotpath,fleet"));
    Files.createDirectories(output);

    List<String> failed = new ArrayList<>();
    if (suites.contains("hotpath")) {
      runHotPath(output, quick, strict, include).stream()
          .filter(v -> !v.pass() && v.gating())
          .forEach(v -> failed.add(v.toString()));
    }
    if (suites.contains("fleet")) {
      FleetPlan plan =
          (quick ? FleetPlan.QUICK : FleetPlan.FULL)
              .withStrategies(
                  FleetStrategy.parseList(System.getProperty("bench.fleet.strategies", "all")))
              .withTopologies(
                  FleetTopology.parseList(System.getProperty("bench.fleet.redis", "all")));
      plan =
          plan.withGrid(
              parseCounts(System.getProperty("bench.fleet.pods", ""), plan.pods()),
              parseCounts(System.getProperty("bench.fleet.threads", ""), plan.threads()));
      failed.addAll(FleetSuite.run(plan, output, quick));
    }
    if (suites.contains("clock")) {
      failed.addAll(ClockSuite.run(output, quick));
    }
    if (suites.contains("storm")) {
      failed.addAll(StormSuite.run(quick ? StormSuite.Plan.QUICK : StormSuite.Plan.FULL, output));
    }
    if (suites.contains("charts")) {
      for (String csv : System.getProperty("bench.charts.from", COMMITTED_CSVS).split(",", -1)) {
        if (!csv.isBlank()) {
          FleetCharts.redraw(Path.of(csv.trim()).toAbsolutePath(), System.out);
        }
      }
    }
    if (!failed.isEmpty()) {
      System.err.println("benchmark targets failed: " + failed);
      System.exit(1);
    }
  }

  /**
   * Parses a comma-separated list of positive counts ({@code bench.fleet.pods}, {@code
   * bench.fleet.threads}); blank keeps {@code defaults}.
   *
   * @throws IllegalArgumentException if a count is not a positive number
   */
  static List<Integer> parseCounts(String value, List<Integer> defaults) {
    if (value.isBlank()) {
      return defaults;
    }
    List<Integer> counts = new ArrayList<>();
    for (String item : value.split(",", -1)) {
      int count = Integer.parseInt(item.trim());
      if (count < 1) {
        throw new IllegalArgumentException("not a positive count: " + item);
      }
      counts.add(count);
    }
    return counts;
  }

  /**
   * Parses {@code bench.suites}.
   *
   * @throws IllegalArgumentException if it names an unknown suite or none
   */
  static Set<String> parseSuites(String value) {
    Set<String> suites = new LinkedHashSet<>();
    for (String name : value.split(",", -1)) {
      String suite = name.trim().toLowerCase(Locale.ROOT);
      if (suite.isEmpty()) {
        continue;
      }
      if (!SUITES.contains(suite)) {
        throw new IllegalArgumentException(
            "bench.suites: unknown suite "
                + suite
                + " (known: hotpath, fleet, clock, storm, charts)");
      }
      suites.add(suite);
    }
    if (suites.isEmpty()) {
      throw new IllegalArgumentException("bench.suites names no suite: " + value);
    }
    return suites;
  }

  private static List<Verdict> runHotPath(
      Path output, boolean quick, boolean strict, String include)
      throws RunnerException, IOException {
    Instant started = Instant.now().truncatedTo(ChronoUnit.SECONDS);
    Machine machine = Machine.current();
    ChainedOptionsBuilder base =
        new OptionsBuilder()
            .include(HotPathBenchmark.class.getName() + "\\.(" + include + ")$")
            .addProfiler(GCProfiler.class)
            .shouldFailOnError(true)
            .jvmArgsAppend(
                "-D" + OUTPUT_PROPERTY + "=" + output,
                "-Xms1g",
                "-Xmx1g",
                "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn");
    Plan plan = quick ? Plan.QUICK : Plan.FULL;
    plan.apply(base);
    Options common = base.build();

    List<RunResult> results = new ArrayList<>();
    Map<Integer, Map<String, Long>> redisCommands = new HashMap<>();
    for (int threads : THREAD_COUNTS) {
      Files.deleteIfExists(output.resolve(HotPathBenchmark.redisReportName(threads)));
      Options options = new OptionsBuilder().parent(common).threads(threads).build();
      results.addAll(new Runner(options).run());
      readRedisCommands(output.resolve(HotPathBenchmark.redisReportName(threads)))
          .ifPresent(delta -> redisCommands.put(threads, delta));
    }

    try (OutputStream json = Files.newOutputStream(output.resolve("hotpath.json"));
        PrintStream out = new PrintStream(json, true, StandardCharsets.UTF_8)) {
      ResultFormatFactory.getInstance(ResultFormatType.JSON, out).writeOut(results);
    }

    HotPathReport report = new HotPathReport(measurements(results), redisCommands);
    String description =
        "Run "
            + started
            + " ("
            + plan.describe()
            + "; JMH "
            + org.openjdk.jmh.util.Version.getPlainVersion()
            + ", average time mode, `-prof gc`). Raw results: `hotpath.json`."
            + " Reproduce: `./mvnw -B -Pbench verify -pl benchmarks -am -DskipTests"
            + (quick ? " -Dbench.quick=true" : "")
            + "`.";
    String markdown =
        report.markdown(
            "Hot path: accessToken() on a fresh token",
            description,
            machine,
            Machine.currentLoadAverage(),
            strict);
    Files.writeString(output.resolve("hotpath.md"), markdown, StandardCharsets.UTF_8);
    System.out.println();
    System.out.println(markdown);
    System.out.println("Written: " + output.resolve("hotpath.md") + ", hotpath.json");
    return report.verdicts(strict);
  }

  /** Extracts each result's time per call and bytes per call. */
  static List<Measurement> measurements(List<RunResult> results) {
    List<Measurement> measurements = new ArrayList<>();
    for (RunResult run : results) {
      String name = run.getParams().getBenchmark();
      Result<?> primary = run.getPrimaryResult();
      Result<?> bytes = run.getSecondaryResults().get("gc.alloc.rate.norm");
      measurements.add(
          new Measurement(
              name.substring(name.lastIndexOf('.') + 1),
              run.getParams().getThreads(),
              primary.getScore(),
              primary.getScoreError(),
              bytes == null ? Double.NaN : bytes.getScore()));
    }
    return measurements;
  }

  private static Optional<Map<String, Long>> readRedisCommands(Path file) throws IOException {
    if (!Files.exists(file)) {
      return Optional.empty();
    }
    Map<String, Long> delta = new TreeMap<>();
    for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
      int eq = line.indexOf('=');
      if (eq > 0) {
        delta.put(line.substring(0, eq), Long.parseLong(line.substring(eq + 1)));
      }
    }
    return Optional.of(delta);
  }
}

package dev.tokenherd.examples;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * The demo's options.
 *
 * @param pods how many pods
 * @param threads caller threads per pod
 * @param ttl the access token lifetime the fake server issues (whole seconds)
 * @param duration how long each strategy runs
 * @param latency how long the fake server takes per token request
 * @param strategies the strategies to run, one after the other
 * @param redisUri an existing Redis, or {@code null} to start one
 * @param processes whether each pod runs in its own JVM
 * @param json whether to end with one JSON line per strategy
 * @param chart where to draw the PNG of caller waits around expiries; null: none
 * @param faults the faults of {@code --chaos}, each a run of its own per strategy; empty: none
 */
record DemoOptions(
    int pods,
    int threads,
    Duration ttl,
    Duration duration,
    Duration latency,
    List<Strategy> strategies,
    @Nullable String redisUri,
    boolean processes,
    boolean json,
    @Nullable Path chart,
    List<ChaosFault> faults) {

  /**
   * The token lifetime unless {@code --ttl} says otherwise: short, for several expiries in a run,
   * yet long enough that a refresh ahead (from 65-75 % of it to the expired point, 0.6-1.1 s) is
   * not outrun by a busy machine's refresh, as with 3 s tokens it can be.
   */
  static final Duration DEFAULT_TTL = Duration.ofSeconds(5);

  /** Where the chart goes unless {@code --chart} says otherwise: the working directory. */
  static final String DEFAULT_CHART = "fleet-demo-waits.png";

  static final Set<String> VALUED =
      Set.of(
          "pods", "threads", "ttl", "duration", "latency", "strategy", "redis", "chart", "chaos");
  static final Set<String> FLAGS = Set.of("compare", "processes", "json", "chaos");

  static DemoOptions parse(List<String> arguments) {
    Args args = Args.parse(arguments, VALUED, FLAGS);
    List<ChaosFault> faults = faults(args);
    Duration ttl = args.duration("ttl", faults.isEmpty() ? DEFAULT_TTL : ChaosFault.TTL);
    if (ttl.toMillis() < 1000 || ttl.toMillis() % 1000 != 0) {
      throw new UsageException(
          "--ttl must be whole seconds, at least 1s (a token response's expires_in counts"
              + " seconds): "
              + Durations.format(ttl));
    }
    Duration duration =
        args.duration("duration", faults.isEmpty() ? Duration.ofSeconds(20) : ChaosFault.DURATION);
    if (duration.isZero()) {
      throw new UsageException("--duration must be positive");
    }
    boolean compare = args.flag("compare");
    String strategy = args.value("strategy");
    if (compare && strategy != null) {
      throw new UsageException("--compare runs every strategy: drop --strategy");
    }
    List<Strategy> strategies =
        compare
            ? List.of(Strategy.values())
            : List.of(strategy == null ? Strategy.TOKENHERD : Strategy.parse(strategy));
    return new DemoOptions(
        args.positiveInt("pods", 4),
        args.positiveInt("threads", 16),
        ttl,
        duration,
        args.duration("latency", Duration.ofMillis(50)),
        strategies,
        args.value("redis"),
        // a kill and a pause are signals to a process: chaos runs each pod in its own JVM
        args.flag("processes") || !faults.isEmpty(),
        args.flag("json"),
        chart(args.string("chart", DEFAULT_CHART)),
        faults);
  }

  /** {@code --chaos}: both faults; {@code --chaos=kill} or {@code --chaos=pause}: that one. */
  private static List<ChaosFault> faults(Args args) {
    String value = args.value("chaos");
    if (value == null) {
      return args.flag("chaos") ? List.of(ChaosFault.KILL, ChaosFault.PAUSE) : List.of();
    }
    for (ChaosFault fault : ChaosFault.values()) {
      if (fault.id().equals(value.trim().toLowerCase(java.util.Locale.ROOT))) {
        return List.of(fault);
      }
    }
    throw new UsageException(
        "--chaos takes kill or pause (--chaos=kill), or nothing for both: " + value);
  }

  private static @Nullable Path chart(String value) {
    if (value.equals("none")) {
      return null;
    }
    try {
      return Path.of(value);
    } catch (java.nio.file.InvalidPathException e) {
      throw new UsageException("--chart must be a file name, or none: " + value);
    }
  }
}

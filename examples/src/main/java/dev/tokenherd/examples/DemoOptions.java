package dev.tokenherd.examples;

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
    boolean json) {

  static final Set<String> VALUED =
      Set.of("pods", "threads", "ttl", "duration", "latency", "strategy", "redis");
  static final Set<String> FLAGS = Set.of("compare", "processes", "json");

  static DemoOptions parse(List<String> arguments) {
    Args args = Args.parse(arguments, VALUED, FLAGS);
    Duration ttl = args.duration("ttl", Duration.ofSeconds(3));
    if (ttl.toMillis() < 1000 || ttl.toMillis() % 1000 != 0) {
      throw new UsageException("--ttl must be whole seconds, at least 1s: " + ttl);
    }
    Duration duration = args.duration("duration", Duration.ofSeconds(20));
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
        args.flag("processes"),
        args.flag("json"));
  }
}

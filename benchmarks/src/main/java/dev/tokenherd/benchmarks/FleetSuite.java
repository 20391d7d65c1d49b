package dev.tokenherd.benchmarks;

import dev.tokenherd.coordinator.redis.RedisKeys;
import dev.tokenherd.testkit.RedisCluster;
import dev.tokenherd.testkit.RedisServerProcess;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;

/**
 * Runs the fleet suite against its own {@code redis-server} and, when the plan has cluster cells,
 * its own Redis Cluster (3 masters, 3 replicas), both on free loopback ports with no persistence
 * and both running for the whole suite, and writes {@code fleet.csv}, {@code fleet.md} and the PNG
 * charts into the output directory.
 */
final class FleetSuite {
  private FleetSuite() {}

  /**
   * Runs {@code plan} and writes its results.
   *
   * @return the failed invariants (empty if none): a Tokenherd cell with a reuse detection
   */
  static List<String> run(FleetPlan plan, Path output, boolean quick)
      throws IOException, InterruptedException {
    Instant started = Instant.now().truncatedTo(ChronoUnit.SECONDS);
    Machine machine = Machine.current();
    System.out.println("fleet suite, " + plan.describe());
    List<FleetRow> rows;
    String redisVersion;
    Map<FleetTopology, FleetRedis> targets = new EnumMap<>(FleetTopology.class);
    try (RedisServerProcess redis = RedisServerProcess.builder().appendOnly(false).start()) {
      redisVersion = RedisCommandStats.serverVersion(redis.port());
      targets.put(FleetTopology.STANDALONE, FleetRedis.standalone(redis));
      @Nullable RedisCluster cluster =
          plan.uses(FleetTopology.CLUSTER) ? startCluster(targets) : null;
      try {
        rows = new FleetBenchmark(plan, targets, System.out).run();
      } finally {
        if (cluster != null) {
          cluster.close();
        }
      }
    }
    String load = Machine.currentLoadAverage();
    Files.writeString(output.resolve("fleet.csv"), FleetReport.csv(rows), StandardCharsets.UTF_8);
    List<FleetCharts.Drawn> charts = new ArrayList<>();
    for (int threads : plan.threads()) {
      charts.addAll(FleetCharts.write(rows, threads, output, "fleet"));
    }
    String markdown = markdown(plan, rows, machine, load, started, quick, charts, redisVersion);
    Files.writeString(output.resolve("fleet.md"), markdown, StandardCharsets.UTF_8);
    System.out.println();
    System.out.println(markdown);
    System.out.println(
        "Written: "
            + output.resolve("fleet.md")
            + ", fleet.csv, "
            + charts.stream().map(d -> d.file().getFileName().toString()).toList());

    List<String> failed = new ArrayList<>();
    for (FleetRow row : rows) {
      if (row.strategy().startsWith("tokenherd") && row.reuseDetected() > 0) {
        failed.add(
            row.strategy() + " pods " + row.pods() + " threads " + row.threads() + ": reuse");
      }
    }
    return failed;
  }

  /** Starts a cluster of 3 masters and 3 replicas, and notes it in {@code targets}. */
  private static RedisCluster startCluster(Map<FleetTopology, FleetRedis> targets) {
    long started = System.nanoTime();
    RedisCluster cluster = RedisCluster.builder().appendOnly(false).start();
    try {
      FleetRedis redis =
          FleetRedis.cluster(
              cluster, RedisKeys.of("fleet").record(FleetTarget.KEY)); // any namespace: same slot
      targets.put(FleetTopology.CLUSTER, redis);
      System.out.printf(
          Locale.ROOT,
          "cluster started in %d ms: masters %s, the credential's slot on %d%n",
          TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started),
          redis.statsPorts(),
          redis.slotPort());
      return cluster;
    } catch (RuntimeException e) {
      cluster.close();
      throw e;
    }
  }

  static String markdown(
      FleetPlan plan,
      List<FleetRow> rows,
      Machine machine,
      String loadAfter,
      Instant started,
      boolean quick,
      List<FleetCharts.Drawn> charts,
      String redisVersion) {
    StringBuilder out = new StringBuilder();
    out.append("# Fleet benchmark: one credential, many pods\n\n");
    out.append("Run ")
        .append(started)
        .append(" (")
        .append(plan.describe())
        .append("). Raw numbers: `fleet.csv`. Reproduce: `./mvnw -B -Pbench verify -pl benchmarks")
        .append(" -am -DskipTests -Dbench.suites=fleet")
        .append(quick ? " -Dbench.quick=true" : "")
        .append("`.\n\n");
    out.append(
        "Each cell: a fresh fake authorization server (refresh-token rotation; a rotated-away"
            + " refresh token presented again is reuse and revokes the whole token family), a"
            + " fresh key namespace on one real `redis-server` (`redis` standalone) or on a real"
            + " Redis Cluster of 3 masters and 3 replicas (`redis` cluster: Tokenherd's strategies"
            + " only, built with `RedisBackend.Builder.cluster(seeds)`), both running for the whole"
            + " suite, and the pods in one JVM, each with its own Redis and HTTP clients; every"
            + " caller thread asks for a token, uses it for 0.5-1.5 ms and asks again. A cell stops"
            + " early when the server revokes the family: from then on that fleet is logged out,"
            + " and its counts stop at the revocation.\n\n");
    out.append(
        "- **requests / refresh**: token requests that presented a refresh token rotated in the"
            + " cell (a stampede presents the same one many times), plus any other received before"
            + " the revocation, per refresh that advanced the credential; 1 is the ideal. The"
            + " storm of a fleet already logged out is in `fleet.csv`'s `token_requests_total`.\n"
            + "- **wait**: duration of `accessToken()` for calls that started within ±500 ms of an"
            + " expiry or a refresh (before the revocation), failed calls included.\n"
            + "- **propagation**: from the holder's receipt of a new token (its write to Redis"
            + " follows, one round trip) to the moment the last pod first served it; tokens that"
            + " never reached every pod are left out. With a handful of refreshes per cell, p99 is"
            + " the maximum. `/ RTT` divides it by the median `PING` round trip measured just"
            + " before the cell (on a cluster, to the master of the credential's slot).\n"
            + "- **Redis cmds / refresh**: `INFO commandstats` calls during the cell, without"
            + " `info` and `ping`, per refresh; on a cluster summed over the 3 masters, without"
            + " `replconf` (the replicas' acknowledgements). Replicas are not counted: their"
            + " counters include every write replicated to them.\n"
            + "- **tokenherd-noahead**: Tokenherd with `refreshAheadFraction` "
            + FleetStrategy.NO_AHEAD_FRACTION
            + " (the policy requires < 1): refresh-ahead as good as off.\n\n");
    out.append(FleetReport.table(rows)).append('\n');
    out.append(FleetReport.charts(charts));
    String comparison = FleetReport.topologyComparison(rows);
    if (!comparison.isEmpty()) {
      out.append("## Standalone vs Cluster\n\n");
      out.append(
          "The cells that ran on both deployments, side by side: `standalone / cluster`, and in"
              + " brackets the cluster's number as a multiple of the standalone one measured in the"
              + " same run, seconds apart. `without topology reads and handshakes` leaves out"
              + " `cluster|*`, `client|*` and `hello`: what the cluster clients send to learn the"
              + " layout (Lettuce and Redisson every second, per pod) and to open the connections"
              + " of Lettuce's topology refresh; they follow the clock, not the refreshes (the"
              + " refresh's `INFO` is left out with the probes', and what it sends to replicas is"
              + " not counted). The proxies that count each pod's requests (below) cannot stand in"
              + " front of a cluster, whose clients connect to the addresses the nodes"
              + " announce.\n\n");
      out.append(comparison).append('\n');
    }
    out.append("## Redis commands by name\n\n");
    out.append(
        "What one refresh costs each pod in Redis commands, from the same `INFO commandstats`"
            + " deltas (without `info` and `ping`), divided by refreshes and pods. Counts over a"
            + " whole cell: commands that do not depend on refreshes (a naive pod's read per call,"
            + " a poller's reads) are spread over the cell's refreshes too.\n\n");
    out.append(FleetReport.commandBreakdown(rows)).append('\n');
    if (rows.stream().anyMatch(r -> r.roundTrips().refreshes() > 0)) {
      out.append("## Redis requests per refresh, holder and other pods\n\n");
      out.append(
          "Requests the pods' Redis clients sent (Lettuce for the store and the change feed,"
              + " Redisson for the lock), counted by a TCP proxy per pod that parses what the pod"
              + " sends: commands run inside scripts are not requests and are not counted. Only the"
              + " Tokenherd cells on the standalone Redis run behind the proxies. Each request goes to the nearest token"
              + " request in time (within "
              + RoundTrips.WINDOW_MICROS / 1_000
              + " ms), whose pod is that refresh's holder; `outside refreshes` are the rest (a"
              + " pod's first load of the record when its callers start; a hot path sends none)."
              + " A refresh whose token request was still in flight when the callers stopped is"
              + " `cut`: left out, with its requests."
              + " Kinds: `read` HGETALL of the record; `mark`, `unmark`, `write` the store's"
              + " compare-and-set script writing a refresh mark, taking it back, or a new version"
              + " (which publishes inside the script); `lock` Redisson's fenced tryLock script"
              + " (with the fence INCR inside), `unlock` its unlock script.\n\n");
      out.append(FleetReport.roundTrips(rows)).append('\n');
    }
    out.append("## Machine\n\n");
    machine.appendMarkdown(out, redisVersion);
    out.append("- load average (1, 5, 15 min): ")
        .append(machine.loadAverage())
        .append(" at the start, ")
        .append(loadAfter)
        .append(" at the end\n");
    out.append(
        String.format(
            Locale.ROOT,
            "%nThe pods share one JVM and %d processors with `redis-server`, the fake server and"
                + " whatever else runs: absolute times are the machine's as much as the code's."
                + " Read them against the same run's Redis round trip and across strategies.%n",
            machine.processors()));
    return out.toString();
  }
}

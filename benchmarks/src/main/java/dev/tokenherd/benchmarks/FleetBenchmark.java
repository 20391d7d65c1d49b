package dev.tokenherd.benchmarks;

import static java.util.Objects.requireNonNull;

import dev.tokenherd.benchmarks.RoundTrips.Request;
import dev.tokenherd.benchmarks.TimedEndpoint.TokenCall;
import dev.tokenherd.coordinator.RefreshListener;
import dev.tokenherd.examples.resp.RequestCountingProxy;
import dev.tokenherd.testkit.FakeAuthorizationServer;
import dev.tokenherd.testkit.RecordedTokenRequest;
import dev.tokenherd.testkit.RecordedTokenRequest.Outcome;
import dev.tokenherd.testkit.RotationMode;
import dev.tokenherd.testkit.ServerStats;
import dev.tokenherd.testkit.TokenGrant;
import java.io.IOException;
import java.io.PrintStream;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Queue;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * The fleet suite of issue #6: for each cell of a {@link FleetPlan} (strategy x Redis deployment x
 * pods x threads per pod), a fresh fake authorization server (rotation with family revocation on
 * reuse, added latency) and a fresh key namespace on a shared real Redis (one server or a cluster);
 * the pods run in this JVM, each with its own Redis and HTTP clients, for a few token lifetimes, or
 * until the server revokes the token family (after which a peer's fleet is logged out and
 * everything it does is failing fast).
 */
final class FleetBenchmark {
  /** How many PINGs time the Redis round trip before each cell. */
  static final int RTT_SAMPLES = 200;

  /** The largest request log the fake server keeps per cell: a naive stampede fits. */
  static final int REQUEST_LOG_LIMIT = 1_000_000;

  private final FleetPlan plan;
  private final Map<FleetTopology, FleetRedis> redis;
  private final PrintStream log;

  /**
   * Creates the benchmark.
   *
   * @param redis where each of the plan's deployments is
   */
  FleetBenchmark(FleetPlan plan, Map<FleetTopology, FleetRedis> redis, PrintStream log) {
    this.plan = requireNonNull(plan, "plan");
    this.redis = Map.copyOf(redis);
    this.log = requireNonNull(log, "log");
    for (FleetTopology topology : plan.topologies()) {
      if (plan.uses(topology) && !this.redis.containsKey(topology)) {
        throw new IllegalArgumentException("no " + topology.id() + " Redis given");
      }
    }
  }

  /**
   * Runs every cell of the plan, in order, and returns their rows. A short unreported cell per
   * strategy and deployment runs first, so that class loading and the JIT's first compilations (the
   * first HTTP request of the JVM alone takes hundreds of milliseconds, a cluster client's first
   * topology read some more) do not land in the first cell.
   */
  List<FleetRow> run() throws IOException, InterruptedException {
    for (FleetStrategy strategy : plan.strategies()) {
      for (FleetTopology topology : plan.topologies()) {
        if (topology.runs(strategy)) {
          runCell(
              new FleetPlan.Cell(strategy, topology, 2, 2),
              "fleet-warmup-" + strategy.id() + "-" + topology.id());
        }
      }
    }
    log.println("warm-up done");
    List<FleetRow> rows = new ArrayList<>();
    int index = 0;
    List<FleetPlan.Cell> cells = plan.cells();
    for (FleetPlan.Cell cell : cells) {
      index++;
      FleetRow row = runCell(cell, "fleet-bench-" + index);
      rows.add(row);
      log.printf(
          Locale.ROOT,
          "[%d/%d] %-17s %-10s pods %d threads %2d: refreshes %d, token requests %d, reuse %d%s,"
              + " wait p99 %s us, propagation p99 %s us, redis cmds/refresh %s, rtt %s us%s%n",
          index,
          cells.size(),
          row.strategy(),
          row.redis(),
          row.pods(),
          row.threads(),
          row.refreshEvents(),
          row.tokenRequests(),
          row.reuseDetected(),
          row.revoked() ? " (family revoked after " + row.revokedAfterMillis() + " ms)" : "",
          FleetReport.number(row.p99Wait(), 1),
          FleetReport.number(row.propagationP99(), 0),
          FleetReport.number(row.redisCommandsPerRefresh(), 1),
          FleetReport.number(row.redisRtt(), 0),
          row.roundTrips().refreshes() == 0
              ? ""
              : String.format(
                  Locale.ROOT,
                  ", client requests per refresh: holder %s (max %d), other pods %s (max %d),"
                      + " outside refreshes %d",
                  FleetReport.number(row.roundTrips().holderMean(), 1),
                  row.roundTrips().holderMax(),
                  FleetReport.number(row.roundTrips().otherMean(), 2),
                  row.roundTrips().otherMax(),
                  row.roundTrips().outside()));
    }
    return rows;
  }

  /** Runs one cell. */
  FleetRow runCell(FleetPlan.Cell cell, String namespace) throws IOException, InterruptedException {
    FleetRedis shared =
        requireNonNull(redis.get(cell.topology()), () -> "no " + cell.topology().id() + " Redis");
    try (FakeAuthorizationServer server =
        FakeAuthorizationServer.builder()
            .rotationMode(RotationMode.ROTATE_REVOKE_FAMILY_ON_REUSE)
            .accessTokenTtl(plan.tokenTtl())
            .latency(plan.endpointLatency())
            .requestLogLimit(REQUEST_LOG_LIMIT)
            .start()) {
      FleetTarget target =
          new FleetTarget(
              shared,
              server.tokenEndpoint(),
              server.clientId(),
              FakeAuthorizationServer.DEFAULT_CLIENT_SECRET,
              namespace);
      double rtt =
          FleetStats.median(RedisCommandStats.pingRoundTripsMicros(shared.slotPort(), RTT_SAMPLES));

      FleetClock clock = FleetClock.start();
      ConcurrentHashMap<String, Long> answeredAt = new ConcurrentHashMap<>();
      ConcurrentHashMap<Long, TokenCall> tokenCalls = new ConcurrentHashMap<>();
      Queue<Request> sent = new ConcurrentLinkedQueue<>();
      // Tokenherd's pods reach Redis through a counting proxy each; the peers' directly, so that
      // the extra hop does not change their numbers (a naive pod reads Redis on every call). On a
      // cluster, no proxy: the clients connect to the addresses the nodes announce.
      boolean countRequests = cell.strategy().isTokenHerd() && shared.countsRequests();
      List<RequestCountingProxy> proxies = new ArrayList<>();
      List<FleetPod> pods = new ArrayList<>();
      List<String> podNames = new ArrayList<>();
      TokenGrant grant;
      try {
        for (int i = 1; i <= cell.pods(); i++) {
          String name = "pod-" + i;
          podNames.add(name);
          TimedEndpoint endpoint =
              new TimedEndpoint(target.endpoint(), name, clock, answeredAt, tokenCalls);
          FleetTarget podTarget = target;
          if (countRequests) {
            RequestCountingProxy proxy =
                RequestCountingProxy.start(
                    name,
                    shared.slotPort(),
                    (arrived, connection, arguments) ->
                        sent.add(
                            new Request(clock.toMicros(arrived), name, connection, arguments)));
            proxies.add(proxy);
            podTarget = target.withRedis(shared.through(proxy.uri()));
          }
          pods.add(
              new FleetPod(
                  name,
                  cell.strategy().open(podTarget, name, endpoint, RefreshListener.NONE),
                  cell.threads(),
                  clock));
        }
        // seeded last, so that the first lifetime is not spent opening clients
        grant = server.issueTokens("read");
        target.seed(cell.strategy(), grant, Clock.systemUTC().instant());
        Map<String, Long> before = shared.commandStats();
        long startMicros = clock.nowMicros();
        pods.forEach(FleetPod::start);
        long end = System.nanoTime() + plan.cellDuration().toNanos();
        while (System.nanoTime() < end && server.stats().familiesRevoked() == 0) {
          LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(10));
        }
        for (FleetPod pod : pods) {
          pod.stop();
        }
        long stopMicros = clock.nowMicros();
        Map<String, Long> after = shared.commandStats();
        Map<String, Long> commands =
            RedisCommandStats.withoutProbes(RedisCommandStats.delta(before, after));
        ServerStats stats = settle(server);
        RoundTrips roundTrips =
            countRequests
                ? RoundTrips.of(podNames, sent, tokenCalls.values(), startMicros, stopMicros)
                : RoundTrips.NONE;
        return row(
            cell,
            server.requests(),
            stats,
            grant,
            clock,
            answeredAt,
            pods,
            startMicros,
            stopMicros,
            commands,
            rtt,
            roundTrips);
      } finally {
        pods.forEach(FleetPod::close);
        proxies.forEach(RequestCountingProxy::close);
      }
    }
  }

  private FleetRow row(
      FleetPlan.Cell cell,
      List<RecordedTokenRequest> requests,
      ServerStats stats,
      TokenGrant seeded,
      FleetClock clock,
      Map<String, Long> answeredAt,
      List<FleetPod> pods,
      long startMicros,
      long stopMicros,
      Map<String, Long> redisCommandsByName,
      double rtt,
      RoundTrips roundTrips) {
    long latencyMicros = TimeUnit.NANOSECONDS.toMicros(plan.endpointLatency().toNanos());
    // The family is revoked when the server processes the first reuse, one latency after receipt.
    long cutoff =
        requests.stream()
            .filter(r -> r.outcome() == Outcome.REUSE_DETECTED)
            .mapToLong(r -> clock.toMicros(r.receivedAt()) + latencyMicros)
            .min()
            .orElse(Long.MAX_VALUE);
    // A refresh event's requests are those that presented the refresh token it rotated: a stampede
    // presents the same one many times, and those arriving after the revocation still belong to
    // it. Requests presenting a token that never rotated count only if they came before the
    // revocation; the rest is the storm of a fleet that is already logged out.
    java.util.Set<String> rotated =
        requests.stream()
            .filter(r -> r.outcome() == Outcome.REFRESHED)
            .map(RecordedTokenRequest::refreshTokenFingerprint)
            .collect(java.util.stream.Collectors.toSet());
    long tokenRequests =
        requests.stream()
            .filter(
                r ->
                    rotated.contains(r.refreshTokenFingerprint())
                        || clock.toMicros(r.receivedAt()) < cutoff)
            .count();
    long refreshEvents = rotated.size();

    // the second around each expiry (the seeded token's and every refreshed one's) and each refresh
    List<Long> instants = new ArrayList<>();
    instants.add(clock.toMicros(seeded.expiresAt()));
    long ttlMicros = TimeUnit.NANOSECONDS.toMicros(plan.tokenTtl().toNanos());
    for (RecordedTokenRequest r : requests) {
      if (r.outcome() == Outcome.REFRESHED) {
        long received = clock.toMicros(r.receivedAt());
        instants.add(received);
        instants.add(received + latencyMicros + ttlMicros); // its token's expiry
      }
    }
    List<Long> inCell =
        instants.stream().filter(t -> t >= startMicros && t <= stopMicros && t < cutoff).toList();
    List<FleetStats.Window> windows = FleetStats.windows(inCell, FleetStats.HALF_WINDOW_MICROS);
    List<CallLog> logs = new ArrayList<>();
    long calls = 0;
    long errors = 0;
    for (FleetPod pod : pods) {
      logs.addAll(pod.logs());
      errors += pod.errors();
    }
    for (CallLog l : logs) {
      calls += l.size();
    }
    FleetStats.Waits waits = FleetStats.waits(logs, windows, cutoff);
    List<Long> propagation =
        FleetStats.propagation(
            answeredAt, pods.stream().map(FleetPod::firstServed).toList(), cutoff);
    Map<String, String> firstErrors = new TreeMap<>();
    pods.forEach(p -> firstErrors.putAll(p.firstErrors()));
    firstErrors.forEach((type, message) -> log.println("   first " + type + ": " + message));
    return new FleetRow(
        cell.strategy().id(),
        cell.topology().id(),
        cell.pods(),
        cell.threads(),
        refreshEvents,
        tokenRequests,
        stats.reuseDetections(),
        stats.familiesRevoked(),
        stats.tokenRequests(),
        stats.invalidGrants(),
        cutoff == Long.MAX_VALUE ? -1 : Math.max(0, (cutoff - startMicros) / 1_000),
        waits.calls(),
        waits.p50Micros(),
        waits.p99Micros(),
        waits.maxMicros(),
        FleetStats.percentile(propagation, 99),
        propagation.size(),
        redisCommandsByName.values().stream().mapToLong(Long::longValue).sum(),
        redisCommandsByName,
        rtt,
        calls,
        errors,
        (stopMicros - startMicros) / 1_000,
        roundTrips);
  }

  /**
   * Waits until every token request the server received has been answered (a request is counted on
   * receipt, its outcome only after the latency), at most the latency plus three seconds.
   */
  private ServerStats settle(FakeAuthorizationServer server) {
    return server.awaitAnswered(plan.endpointLatency().plusSeconds(3));
  }
}

package dev.tokenherd.examples;

import dev.tokenherd.testkit.FakeAuthorizationServer;
import dev.tokenherd.testkit.IssuedAccessToken;
import dev.tokenherd.testkit.RotationMode;
import dev.tokenherd.testkit.ServerStats;
import java.io.PrintStream;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.HdrHistogram.Histogram;
import org.jspecify.annotations.Nullable;

/**
 * Runs one strategy: a fresh fake authorization server (rotation, family revocation on reuse), a
 * fresh credential in its own Redis namespace, the pods for the configured time with a progress
 * line a second, then the server's counters once every request it received has been answered.
 */
final class FleetRun {
  private FleetRun() {}

  /**
   * Runs {@code strategy}, the {@code index}-th of {@code count} strategies this demo runs (for the
   * progress line's "2/4, about 45s left").
   */
  static RunResult run(
      Strategy strategy,
      @Nullable ChaosFault fault,
      DemoOptions options,
      String redisUri,
      PrintStream progress,
      int index,
      int count) {
    String namespace =
        "fleet-demo-" + strategy.id() + "-" + Long.toString(System.currentTimeMillis(), 36);
    try (FakeAuthorizationServer server =
            FakeAuthorizationServer.builder()
                .rotationMode(RotationMode.ROTATE_REVOKE_FAMILY_ON_REUSE)
                .accessTokenTtl(options.ttl())
                .latency(options.latency())
                .requestLogLimit(0)
                .start();
        RedisRequests redis = RedisRequests.start(redisUri, namespace + Target.TOTALS_SUFFIX)) {
      Target target =
          new Target(
              redis.podUri(),
              server.tokenEndpoint(),
              server.clientId(),
              FakeAuthorizationServer.DEFAULT_CLIENT_SECRET,
              namespace);
      List<PodHandle> pods = new ArrayList<>();
      Histogram latencies = Pod.newHistogram();
      WaitTimeline timeline = new WaitTimeline();
      PodHandle.Counts counts;
      ChaosRun chaos = null;
      boolean armed = false;
      long errorsAtStrike = -1;
      Instant from;
      Instant to;
      long started;
      try {
        for (int i = 1; i <= options.pods(); i++) {
          String name = "pod-" + i;
          if (options.processes()) {
            pods.add(
                fault == null
                    ? WorkerProcess.start(target, strategy, options.threads(), name)
                    : WorkerProcess.start(
                        target, strategy, options.threads(), name, ChaosFault.LEASE, true));
          } else {
            Pod pod = new Pod(name, strategy.open(target, name), options.threads());
            pods.add(pod);
          }
        }
        // Seeded once the pods' clients are open (worker processes wait for it), so that the
        // first token's lifetime is not spent starting JVMs and opening clients.
        for (PodHandle pod : pods) {
          if (pod instanceof WorkerProcess process) {
            process.awaitOpened();
          }
        }
        target.seed(strategy, server.issueTokens("read"));
        for (PodHandle pod : pods) {
          if (pod instanceof WorkerProcess process) {
            process.awaitReady();
          }
        }
        redis.startCounting();
        from = Instant.now();
        chaos =
            fault == null
                ? null
                : new ChaosRun(
                    fault,
                    strategy,
                    pods.stream().map(WorkerProcess.class::cast).toList(),
                    progress,
                    from);
        for (PodHandle pod : pods) {
          if (pod instanceof Pod local) {
            local.start();
          }
        }
        started = System.nanoTime();
        long end = started + options.duration().toNanos();
        long next = started + TimeUnit.SECONDS.toNanos(1);
        // armed as the callers start: the fault lands on the run's first token request (the
        // seeded token is fresh until then), however long the workers took to start, and leaves
        // the rest of the run to recover in
        long armAt = started;
        while (System.nanoTime() < end) {
          if (chaos != null && !armed && System.nanoTime() >= armAt) {
            armed = true;
            chaos.arm();
          }
          if (chaos != null && chaos.strike() != null && errorsAtStrike < 0) {
            errorsAtStrike = PodHandle.Counts.of(pods).errors();
          }
          LockSupport.parkNanos(
              Math.min(Math.min(next, end), armed ? end : armAt) - System.nanoTime());
          if (System.nanoTime() >= next) {
            Duration elapsed = Duration.ofNanos(next - started);
            Duration left =
                options
                    .duration()
                    .minus(elapsed)
                    .plus(options.duration().plus(SETTLING).multipliedBy(count - index));
            progress.println(
                progressLine(
                    strategy, index, count, elapsed, left, PodHandle.Counts.of(pods), server));
            next += TimeUnit.SECONDS.toNanos(1);
          }
        }
      } finally {
        redis.stopCounting();
        to = Instant.now();
        if (chaos != null) {
          chaos.close();
        }
        for (PodHandle pod : pods) {
          PodHandle.Waits waits = pod.stop();
          latencies.add(waits.latencies());
          timeline.add(waits.timeline());
        }
        counts = PodHandle.Counts.of(pods);
      }
      java.util.Map<String, String> errors = new java.util.TreeMap<>();
      for (PodHandle pod : pods) {
        if (pod instanceof Pod local) {
          errors.putAll(local.firstErrors());
        }
      }
      errors.forEach((type, message) -> progress.println("   first " + type + ": " + message));
      Duration ran = Duration.ofNanos(System.nanoTime() - started);
      ServerStats stats = settle(server, options);
      List<IssuedAccessToken> issued = server.issuedAccessTokens();
      boolean loggedOut = stats.reuseDetections() > 0 || stats.familiesRevoked() > 0;
      ChaosOutcome outcome =
          chaos == null
              ? null
              : ChaosOutcome.of(
                  chaos.fault(),
                  chaos.strike(),
                  loggedOut,
                  issued,
                  timeline,
                  to,
                  counts.errors() - Math.max(0, errorsAtStrike));
      return RunResult.of(
          strategy,
          options,
          ran,
          counts,
          stats,
          latencies,
          ExpiryWaits.of(timeline, expiries(issued), from, to, options.ttl()),
          redis.count(),
          revokedAfter(issued, from),
          outcome);
    }
  }

  /**
   * The expiries callers could meet: of every access token issued, those whose family was not
   * revoked before they expired (a revoked token's callers fail fast, without waiting).
   */
  static List<Instant> expiries(List<IssuedAccessToken> issued) {
    return issued.stream()
        .filter(t -> t.revokedAt() == null || t.revokedAt().isAfter(t.expiresAt()))
        .map(IssuedAccessToken::expiresAt)
        .toList();
  }

  /** When the server revoked the token family, counted from {@code from}; null if it did not. */
  static @Nullable Duration revokedAfter(List<IssuedAccessToken> issued, Instant from) {
    return issued.stream()
        .map(IssuedAccessToken::revokedAt)
        .filter(java.util.Objects::nonNull)
        .min(java.util.Comparator.naturalOrder())
        .map(revoked -> revoked.isBefore(from) ? Duration.ZERO : Duration.between(from, revoked))
        .orElse(null);
  }

  /** What a strategy's start-up and settling take besides its run, for the time left. */
  private static final Duration SETTLING = Duration.ofSeconds(3);

  static String progressLine(
      Strategy strategy,
      int index,
      int count,
      Duration elapsed,
      Duration left,
      PodHandle.Counts counts,
      FakeAuthorizationServer server) {
    ServerStats stats = server.stats();
    return String.format(
        "[%3ds] %-9s %d/%d, about %s left  calls %,11d  refreshes %,4d  token requests %,7d"
            + "  reuse detected %,5d  errors %,9d",
        elapsed.toSeconds(),
        strategy.id(),
        index,
        count,
        Durations.format(Durations.roundToSeconds(left)),
        counts.calls(),
        stats.refreshEvents(),
        stats.tokenRequests(),
        stats.reuseDetections(),
        counts.errors());
  }

  /**
   * Waits until every token request the server received has been answered: a request is counted on
   * receipt but its outcome only after the server's latency, and a refresh still on the wire when
   * the pods stopped would otherwise look like a request without a refresh.
   */
  static ServerStats settle(FakeAuthorizationServer server, DemoOptions options) {
    return server.awaitAnswered(options.latency().plusSeconds(3));
  }
}

package dev.tokenherd.examples;

import dev.tokenherd.testkit.FakeAuthorizationServer;
import dev.tokenherd.testkit.RotationMode;
import dev.tokenherd.testkit.ServerStats;
import java.io.PrintStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.HdrHistogram.Histogram;

/**
 * Runs one strategy: a fresh fake authorization server (rotation, family revocation on reuse), a
 * fresh credential in its own Redis namespace, the pods for the configured time with a progress
 * line a second, then the server's counters once every request it received has been answered.
 */
final class FleetRun {
  private FleetRun() {}

  static RunResult run(
      Strategy strategy, DemoOptions options, String redisUri, PrintStream progress) {
    String namespace =
        "fleet-demo-" + strategy.id() + "-" + Long.toString(System.currentTimeMillis(), 36);
    try (FakeAuthorizationServer server =
        FakeAuthorizationServer.builder()
            .rotationMode(RotationMode.ROTATE_REVOKE_FAMILY_ON_REUSE)
            .accessTokenTtl(options.ttl())
            .latency(options.latency())
            .requestLogLimit(0)
            .start()) {
      Target target =
          new Target(
              redisUri,
              server.tokenEndpoint(),
              server.clientId(),
              FakeAuthorizationServer.DEFAULT_CLIENT_SECRET,
              namespace);
      target.seed(server.issueTokens("read"), server.issueTokens("read"));
      List<PodHandle> pods = new ArrayList<>();
      Histogram latencies = Pod.newHistogram();
      PodHandle.Counts counts;
      long started;
      try {
        for (int i = 1; i <= options.pods(); i++) {
          String name = "pod-" + i;
          if (options.processes()) {
            pods.add(WorkerProcess.start(target, strategy, options.threads(), name));
          } else {
            Pod pod = new Pod(name, strategy.open(target, name), options.threads());
            pods.add(pod);
          }
        }
        for (PodHandle pod : pods) {
          if (pod instanceof WorkerProcess process) {
            process.awaitReady();
          } else {
            ((Pod) pod).start();
          }
        }
        started = System.nanoTime();
        long end = started + options.duration().toNanos();
        long next = started + TimeUnit.SECONDS.toNanos(1);
        while (System.nanoTime() < end) {
          LockSupport.parkNanos(Math.min(next, end) - System.nanoTime());
          if (System.nanoTime() >= next) {
            progress.println(
                progressLine(strategy, (next - started) / 1_000_000_000L, total(pods), server));
            next += TimeUnit.SECONDS.toNanos(1);
          }
        }
      } finally {
        for (PodHandle pod : pods) {
          latencies.add(pod.stop());
        }
        counts = total(pods);
      }
      java.util.Map<String, String> errors = new java.util.TreeMap<>();
      for (PodHandle pod : pods) {
        if (pod instanceof Pod local) {
          errors.putAll(local.firstErrors());
        }
      }
      errors.forEach((type, message) -> progress.println("   first " + type + ": " + message));
      Duration ran = Duration.ofNanos(System.nanoTime() - started);
      return RunResult.of(strategy, options, ran, counts, settle(server, options), latencies);
    }
  }

  static String progressLine(
      Strategy strategy, long seconds, PodHandle.Counts counts, FakeAuthorizationServer server) {
    ServerStats stats = server.stats();
    return String.format(
        "[%3ds] %-9s calls %,11d  refreshes %,4d  token requests %,7d  reuse detected %,5d"
            + "  errors %,9d",
        seconds,
        strategy.id(),
        counts.calls(),
        stats.refreshEvents(),
        stats.tokenRequests(),
        stats.reuseDetections(),
        counts.errors());
  }

  private static PodHandle.Counts total(List<PodHandle> pods) {
    PodHandle.Counts total = PodHandle.Counts.ZERO;
    for (PodHandle pod : pods) {
      total = total.plus(pod.counts());
    }
    return total;
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

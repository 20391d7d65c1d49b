package dev.tokenherd.examples;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tokenherd.testkit.ServerStats;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import org.HdrHistogram.Histogram;

/**
 * What one strategy's run came to: the server's counters and the callers'.
 *
 * @param strategy the strategy
 * @param pods how many pods
 * @param threads caller threads per pod
 * @param processes whether each pod ran in its own JVM
 * @param duration how long the callers ran
 * @param counts the callers' counters, summed over the pods
 * @param server the fake authorization server's counters after the run settled
 * @param p50Micros median call latency
 * @param p99Micros 99th percentile call latency
 * @param maxMicros slowest call
 */
record RunResult(
    Strategy strategy,
    int pods,
    int threads,
    boolean processes,
    Duration duration,
    PodHandle.Counts counts,
    ServerStats server,
    long p50Micros,
    long p99Micros,
    long maxMicros) {

  private static final ObjectMapper JSON = new ObjectMapper();

  static RunResult of(
      Strategy strategy,
      DemoOptions options,
      Duration duration,
      PodHandle.Counts counts,
      ServerStats server,
      Histogram latencies) {
    boolean empty = latencies.getTotalCount() == 0;
    return new RunResult(
        strategy,
        options.pods(),
        options.threads(),
        options.processes(),
        duration,
        counts,
        server,
        empty ? 0 : latencies.getValueAtPercentile(50),
        empty ? 0 : latencies.getValueAtPercentile(99),
        empty ? 0 : latencies.getMaxValue());
  }

  /** The JSON object of the {@code --json} line; the keys are the demo's documented contract. */
  Map<String, Object> toMap() {
    Map<String, Object> map = new LinkedHashMap<>();
    map.put("strategy", strategy.id());
    map.put("pods", pods);
    map.put("threads", threads);
    map.put("calls", counts.calls());
    map.put("refresh_events", server.refreshEvents());
    map.put("token_requests", server.tokenRequests());
    map.put("reuse_detected", server.reuseDetections());
    map.put("families_revoked", server.familiesRevoked());
    map.put("invalid_grants", server.invalidGrants());
    map.put("reauth_required", counts.reauthRequired());
    map.put("errors", counts.errors());
    map.put("p50_us", p50Micros);
    map.put("p99_us", p99Micros);
    map.put("max_us", maxMicros);
    map.put("duration_ms", duration.toMillis());
    map.put("processes", processes);
    return map;
  }

  String toJson() {
    try {
      return JSON.writeValueAsString(toMap());
    } catch (JsonProcessingException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** One sentence on what happened, in the terms of production. */
  String verdict() {
    long requests = server.tokenRequests();
    long refreshes = server.refreshEvents();
    StringBuilder b = new StringBuilder(strategy.id()).append(": ");
    if (requests == refreshes) {
      b.append(
          String.format(
              "%,d token requests for %,d refreshes (one per refresh)", requests, refreshes));
    } else {
      b.append(String.format("%,d token requests for %,d refreshes", requests, refreshes));
    }
    if (server.reuseDetections() > 0) {
      b.append(
          String.format(
              "; the server detected refresh-token reuse %,d times and revoked %,d token"
                  + " families: the fleet is logged out until a person logs in again",
              server.reuseDetections(), server.familiesRevoked()));
    } else {
      b.append("; no refresh token presented twice");
    }
    if (counts.errors() > 0) {
      b.append(
          String.format(
              "; %,d calls failed (%,d needing a new login)",
              counts.errors(), counts.reauthRequired()));
    } else {
      b.append("; no call failed");
    }
    return b.append('.').toString();
  }
}

package dev.tokenherd.examples;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tokenherd.testkit.ServerStats;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.HdrHistogram.Histogram;
import org.jspecify.annotations.Nullable;

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
 * @param atExpiries what callers went through around the access token's expiries
 * @param redisRequests the Redis requests the pods sent while their callers ran; -1 if unknown
 * @param revokedAfter when the server revoked the token family, from the callers' start; null if it
 *     did not
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
    long maxMicros,
    ExpiryWaits atExpiries,
    long redisRequests,
    @Nullable Duration revokedAfter,
    @Nullable ChaosOutcome chaos) {

  private static final ObjectMapper JSON = new ObjectMapper();

  static RunResult of(
      Strategy strategy,
      DemoOptions options,
      Duration duration,
      PodHandle.Counts counts,
      ServerStats server,
      Histogram latencies,
      ExpiryWaits atExpiries,
      long redisRequests,
      @Nullable Duration revokedAfter,
      @Nullable ChaosOutcome chaos) {
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
        empty ? 0 : latencies.getMaxValue(),
        atExpiries,
        redisRequests,
        revokedAfter,
        chaos);
  }

  /** Redis requests per refresh; NaN if unknown or without a refresh. */
  double redisRequestsPerRefresh() {
    return redisRequests < 0 || server.refreshEvents() == 0
        ? Double.NaN
        : (double) redisRequests / server.refreshEvents();
  }

  /** Whether the server caught a rotated refresh token presented again (and so revoked). */
  boolean loggedOut() {
    return server.reuseDetections() > 0 || server.familiesRevoked() > 0;
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
    map.put("expiries", atExpiries.expiries());
    map.put("waited_calls", atExpiries.waitedCalls());
    map.put("slowest_at_expiry_us", atExpiries.slowestMicros());
    map.put("redis_requests", redisRequests < 0 ? null : redisRequests);
    double perRefresh = redisRequestsPerRefresh();
    map.put("redis_requests_per_refresh", Double.isNaN(perRefresh) ? null : perRefresh);
    map.put("revoked_after_ms", revokedAfter == null ? null : revokedAfter.toMillis());
    if (chaos != null) {
      ChaosRun.Strike strike = chaos.strike();
      map.put("chaos", chaos.fault().id());
      map.put("chaos_pod", strike == null ? null : strike.pod());
      map.put("chaos_alive", chaos.alive());
      map.put("chaos_failed_calls_after", chaos.failedCallsAfter());
      map.put("chaos_slowest_after_us", chaos.slowestAfterMicros());
    }
    return map;
  }

  String toJson() {
    try {
      return JSON.writeValueAsString(toMap());
    } catch (JsonProcessingException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** What happened, in the terms of production: one sentence, facts joined by semicolons. */
  String verdict() {
    long requests = server.tokenRequests();
    long refreshes = server.refreshEvents();
    List<String> facts = new ArrayList<>();
    String asked =
        Words.count(requests, "token request")
            + " for "
            + Words.count(refreshes, "refresh", "refreshes");
    if (requests == refreshes) {
      asked += refreshes == 1 ? "" : ", one each";
    } else if (requests > refreshes) {
      asked += ", " + String.format("%,d", requests - refreshes) + " more than needed";
    }
    facts.add(asked);
    if (loggedOut()) {
      long families = Math.max(1, server.familiesRevoked());
      facts.add(
          "the server caught a rotated refresh token presented again"
              + (server.reuseDetections() > 1
                  ? " (" + Words.times(server.reuseDetections()) + ")"
                  : "")
              + " and revoked "
              + (families == 1
                  ? "the token family"
                  : Words.count(families, "token family", "token families"))
              + (revokedAfter == null ? "" : " after " + Durations.tenths(revokedAfter))
              + ": the fleet is logged out until a person logs in again");
    } else {
      facts.add("no refresh token presented twice");
    }
    facts.add(expiryFact());
    double perRefresh = redisRequestsPerRefresh();
    if (!Double.isNaN(perRefresh)) {
      facts.add(
          Report.decimal(perRefresh)
              + " Redis requests per refresh ("
              + strategy.redisTraffic()
              + ")");
    }
    if (counts.errors() > 0) {
      facts.add(
          Words.count(counts.errors(), "call")
              + " failed"
              + (counts.reauthRequired() == counts.errors()
                  ? (counts.errors() == 1
                      ? ", needing a new login"
                      : ", every one needing a new login")
                  : " ("
                      + String.format("%,d", counts.reauthRequired())
                      + " needing a new login)"));
    } else {
      facts.add("no call failed");
    }
    return strategy.id() + ": " + String.join("; ", facts) + ".";
  }

  private String expiryFact() {
    int expiries = atExpiries.expiries();
    if (expiries == 0) {
      return "no token expiry fell inside the run (run longer than the token lifetime)";
    }
    String slowest = Report.micros(atExpiries.slowestMicros());
    String theExpiries =
        expiries == 1 ? "the expiry" : "the " + Words.count(expiries, "expiry", "expiries");
    if (atExpiries.waitedCalls() == 0) {
      return "no caller waited at "
          + (expiries == 1 ? theExpiries : "any of " + theExpiries)
          + " ("
          + strategy.whyNoWait()
          + "; slowest call within half a second of one: "
          + slowest
          + ")";
    }
    if (atExpiries.noWorseThanAway()) {
      return Words.count(atExpiries.waitedCalls(), "call")
          + " took "
          + WaitTimeline.WAITED_MILLIS
          + " ms or more near "
          + theExpiries
          + " (the slowest "
          + slowest
          + "), no more than half a lifetime away from them ("
          + String.format("%,d", atExpiries.awayWaited())
          + ", the slowest "
          + Report.micros(atExpiries.awaySlowestMicros())
          + "): the machine's pauses, not the expiry ("
          + strategy.whyNoWait()
          + ")";
    }
    return Words.count(atExpiries.waitedCalls(), "call")
        + " waited "
        + WaitTimeline.WAITED_MILLIS
        + " ms or more at "
        + theExpiries
        + ", the slowest "
        + slowest
        + " ("
        + strategy.whyWait()
        + ")";
  }
}

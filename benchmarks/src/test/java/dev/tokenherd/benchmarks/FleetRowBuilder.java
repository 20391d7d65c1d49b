package dev.tokenherd.benchmarks;

import java.util.Map;

/**
 * Builds {@link FleetRow}s for tests: a quiet Tokenherd cell on standalone (3 refreshes, 3 token
 * requests, 4 pods x 16 threads, no revocation) unless told otherwise, so that each test names only
 * the numbers it is about.
 */
final class FleetRowBuilder {
  private String strategy = "tokenherd";
  private String redis = "standalone";
  private int pods = 4;
  private int threads = 16;
  private long refreshes = 3;
  private long requests = 3;
  private long revokedAfter = -1;
  private double p50Wait = 0.25;
  private double p99Wait = 1.5;
  private double maxWait = 900.0;
  private double propagation = 4_200.0;
  private Map<String, Long> commands = Map.of("evalsha", 96L, "hgetall", 24L);
  private double rtt = 30.0;
  private RoundTrips roundTrips = RoundTrips.NONE;

  /** A cell of {@code strategy} with {@code pods}, refreshes and token requests as given. */
  static FleetRowBuilder cell(String strategy, int pods, long refreshes, long requests) {
    FleetRowBuilder b = new FleetRowBuilder();
    b.strategy = strategy;
    b.pods = pods;
    b.refreshes = refreshes;
    b.requests = requests;
    return b;
  }

  /** Runs the cell on {@code redis} ({@link FleetTopology#id()}). */
  FleetRowBuilder redis(String redis) {
    this.redis = redis;
    return this;
  }

  /** Sets the caller threads per pod (default 16). */
  FleetRowBuilder threads(int threads) {
    this.threads = threads;
    return this;
  }

  /** The server revoked the family {@code millis} into the cell, after one reuse. */
  FleetRowBuilder revokedAfter(long millis) {
    this.revokedAfter = millis;
    return this;
  }

  /** Sets the waits around expiries, in microseconds. */
  FleetRowBuilder waits(double p50, double p99, double max) {
    this.p50Wait = p50;
    this.p99Wait = p99;
    this.maxWait = max;
    return this;
  }

  /** Sets the propagation p99, in microseconds; NaN for none. */
  FleetRowBuilder propagation(double micros) {
    this.propagation = micros;
    return this;
  }

  /** Sets the Redis commands by name; their sum is the cell's command count. */
  FleetRowBuilder commands(Map<String, Long> commands) {
    this.commands = commands;
    return this;
  }

  /** Sets the proxies' counts (default {@link RoundTrips#NONE}). */
  FleetRowBuilder roundTrips(RoundTrips roundTrips) {
    this.roundTrips = roundTrips;
    return this;
  }

  /** Returns the row. */
  FleetRow build() {
    boolean revoked = revokedAfter >= 0;
    return new FleetRow(
        strategy,
        redis,
        pods,
        threads,
        refreshes,
        requests,
        revoked ? 1 : 0,
        revoked ? 1 : 0,
        requests,
        revoked ? requests - 1 : 0,
        revokedAfter,
        1_000,
        p50Wait,
        p99Wait,
        maxWait,
        propagation,
        3,
        commands.values().stream().mapToLong(Long::longValue).sum(),
        commands,
        rtt,
        50_000,
        0,
        4_600,
        roundTrips);
  }
}

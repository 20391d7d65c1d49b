package dev.tokenherd.benchmarks;

import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;

/**
 * The Redis deployments the fleet suite compares, the {@code redis} column of its rows: one {@code
 * redis-server}, or a Redis Cluster of 3 masters and 3 replicas (see {@link FleetRedis}).
 */
enum FleetTopology {
  /** One {@code redis-server}: every strategy runs on it. */
  STANDALONE("standalone"),
  /**
   * A Redis Cluster that Tokenherd's pods reach through its seed nodes ({@code
   * RedisBackend.Builder.cluster}). Only the Tokenherd strategies run on it: the peers are the
   * fleet demo's, written for one server (a Lettuce {@code RedisClient} and a single-server
   * Redisson lock).
   */
  CLUSTER("cluster");

  private final String id;

  FleetTopology(String id) {
    this.id = id;
  }

  /** Returns the name used in the CSV, the tables and {@code bench.fleet.redis}. */
  String id() {
    return id;
  }

  /** Returns whether {@code strategy} runs on this deployment. */
  boolean runs(FleetStrategy strategy) {
    return this == STANDALONE || strategy.isTokenHerd();
  }

  /**
   * Parses {@code bench.fleet.redis}: a comma-separated list of ids; {@code all} or blank for both.
   *
   * @throws IllegalArgumentException if it names an unknown deployment
   */
  static List<FleetTopology> parseList(String value) {
    if (value.isBlank() || value.trim().equals("all")) {
      return List.of(values());
    }
    LinkedHashSet<FleetTopology> topologies = new LinkedHashSet<>();
    Arrays.stream(value.split(",", -1))
        .map(s -> s.trim().toLowerCase(Locale.ROOT))
        .filter(s -> !s.isEmpty())
        .map(FleetTopology::parse)
        .forEach(topologies::add);
    if (topologies.isEmpty()) {
      throw new IllegalArgumentException("bench.fleet.redis names no deployment: " + value);
    }
    return List.copyOf(topologies);
  }

  static FleetTopology parse(String id) {
    for (FleetTopology topology : values()) {
      if (topology.id.equals(id)) {
        return topology;
      }
    }
    throw new IllegalArgumentException(
        "unknown Redis deployment for the fleet suite: " + id + " (known: standalone, cluster)");
  }
}

package dev.tokenherd.benchmarks;

import static java.util.Objects.requireNonNull;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The fleet suite's grid and timing.
 *
 * @param name the variant's name
 * @param strategies the strategies, in report order
 * @param topologies the Redis deployments each strategy runs on where it can ({@link
 *     FleetTopology#runs}), side by side in the same run
 * @param pods the fleet sizes
 * @param threads the caller threads per pod
 * @param tokenTtl the access tokens' lifetime at the fake server
 * @param endpointLatency the fake server's added latency per token request
 * @param lifetimes how many token lifetimes a cell runs (so about that many expiries)
 */
record FleetPlan(
    String name,
    List<FleetStrategy> strategies,
    List<FleetTopology> topologies,
    List<Integer> pods,
    List<Integer> threads,
    Duration tokenTtl,
    Duration endpointLatency,
    int lifetimes) {

  /**
   * The full grid of issue #6: 5 strategies x pods {1,2,4,8} x threads {1,16,64}, 3 lifetimes; the
   * Tokenherd strategies on a cluster too.
   */
  static final FleetPlan FULL =
      new FleetPlan(
          "full",
          List.of(FleetStrategy.values()),
          List.of(FleetTopology.values()),
          List.of(1, 2, 4, 8),
          List.of(1, 16, 64),
          Duration.ofSeconds(2),
          Duration.ofMillis(50),
          3);

  /**
   * Pods {1,4} x threads {1,16}, 2 lifetimes; the Tokenherd strategies on a cluster too: 28 cells,
   * about five minutes on a loaded 2-core machine.
   */
  static final FleetPlan QUICK =
      new FleetPlan(
          "quick",
          List.of(FleetStrategy.values()),
          List.of(FleetTopology.values()),
          List.of(1, 4),
          List.of(1, 16),
          Duration.ofSeconds(2),
          Duration.ofMillis(50),
          2);

  FleetPlan {
    requireNonNull(name, "name");
    strategies = List.copyOf(strategies);
    topologies = List.copyOf(topologies);
    pods = List.copyOf(pods);
    threads = List.copyOf(threads);
    requireNonNull(tokenTtl, "tokenTtl");
    requireNonNull(endpointLatency, "endpointLatency");
  }

  /**
   * How long a cell's callers run: {@link #lifetimes} token lifetimes plus 600 ms, so that the
   * second around the last expiry lies inside the cell.
   */
  Duration cellDuration() {
    return tokenTtl.multipliedBy(lifetimes).plusMillis(600);
  }

  /** Returns this plan with only {@code selected} strategies. */
  FleetPlan withStrategies(List<FleetStrategy> selected) {
    return new FleetPlan(
        name, selected, topologies, pods, threads, tokenTtl, endpointLatency, lifetimes);
  }

  /** Returns this plan on only {@code selected} Redis deployments. */
  FleetPlan withTopologies(List<FleetTopology> selected) {
    return new FleetPlan(
        name, strategies, selected, pods, threads, tokenTtl, endpointLatency, lifetimes);
  }

  /** Returns whether some cell runs on {@code topology}. */
  boolean uses(FleetTopology topology) {
    return topologies.contains(topology) && strategies.stream().anyMatch(topology::runs);
  }

  /** Returns this plan with other pod and thread counts. */
  FleetPlan withGrid(List<Integer> selectedPods, List<Integer> selectedThreads) {
    return new FleetPlan(
        name,
        strategies,
        topologies,
        selectedPods,
        selectedThreads,
        tokenTtl,
        endpointLatency,
        lifetimes);
  }

  /** A cell of the grid. */
  record Cell(FleetStrategy strategy, FleetTopology topology, int pods, int threads) {}

  /**
   * Returns the cells: for each pod count and thread count, every strategy side by side, each on
   * every deployment it runs on, one after the other (so that a strategy's standalone and cluster
   * cells run seconds apart, under the same load).
   */
  List<Cell> cells() {
    List<Cell> cells = new ArrayList<>();
    for (int p : pods) {
      for (int t : threads) {
        for (FleetStrategy s : strategies) {
          for (FleetTopology r : topologies) {
            if (r.runs(s)) {
              cells.add(new Cell(s, r, p, t));
            }
          }
        }
      }
    }
    return cells;
  }

  String describe() {
    return String.format(
        Locale.ROOT,
        "%s: pods %s x threads per pod %s, Redis %s; token lifetime %d ms, token endpoint"
            + " latency %d ms, %d ms of calls per cell",
        name,
        pods,
        threads,
        topologies.stream().map(FleetTopology::id).toList(),
        tokenTtl.toMillis(),
        endpointLatency.toMillis(),
        cellDuration().toMillis());
  }
}

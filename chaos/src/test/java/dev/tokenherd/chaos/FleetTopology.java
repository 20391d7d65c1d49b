package dev.tokenherd.chaos;

import dev.tokenherd.testkit.RedisCluster;
import dev.tokenherd.testkit.RedisSentinelGroup;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.function.Supplier;
import org.junit.jupiter.api.Assumptions;

/**
 * A Redis deployment of several processes that a {@link ChaosFleet}'s workers reach directly,
 * instead of the environment's single {@link RedisNode} behind one proxy per worker: a Redis
 * Cluster ({@link RedisCluster}, 3 masters and 3 replicas) or a Sentinel group ({@link
 * RedisSentinelGroup}, a master, 2 replicas and 3 Sentinels), both testkit fixtures of {@code
 * redis-server} processes on loopback. The scenario keeps the fixture and injects its faults
 * through it (kill a master, cut a replica off, move a slot); the fleet only aims its workers and
 * its seeder at it ({@link WorkerTarget}).
 *
 * <p>Why no proxy: a cluster's nodes announce their own addresses ({@code CLUSTER SLOTS}/{@code
 * CLUSTER SHARDS} and every {@code MOVED} or {@code ASK} redirection name a node's own port), and
 * the Sentinels name the master by its own address, so a client put behind a proxy is sent around
 * it by its first topology refresh, redirection or failover. A proxy per node would need the nodes
 * to announce the proxies' ports ({@code cluster-announce-port}, {@code replica-announce-port}),
 * which the fixtures do not do. So the link faults ({@link WorkerLink}: cut, reset, blackhole,
 * latency, retarget) do not apply to these workers, and their links refuse them.
 */
final class FleetTopology {
  private static final String WHY_NO_PROXY =
      "workers of a Redis Cluster or a Sentinel group connect to the nodes directly: the nodes and"
          + " the Sentinels announce their own addresses, which a proxy in front would not"
          + " rewrite (see FleetTopology)";

  final WorkerTarget target;
  private final String description;

  private FleetTopology(WorkerTarget target, String description) {
    this.target = target;
    this.description = description;
  }

  /**
   * Starts a Redis Cluster with the testkit's defaults (3 masters, 1 replica each, 2 s node
   * timeout) for a scenario; in the containers environment, skips the scenario instead (the
   * topologies are process fixtures: running them again there would only repeat the processes run).
   */
  static RedisCluster startCluster() {
    return onProcessesOnly(() -> RedisCluster.builder().start());
  }

  /**
   * Starts a Sentinel group with the testkit's defaults ({@code down-after-milliseconds} 1 s,
   * {@code failover-timeout} 5 s), or skips the scenario in the containers environment.
   */
  static RedisSentinelGroup startSentinelGroup() {
    return onProcessesOnly(() -> RedisSentinelGroup.builder().start());
  }

  private static <T> T onProcessesOnly(Supplier<T> start) {
    String environment =
        System.getProperty(ChaosEnvironment.PROPERTY, "processes").trim().toLowerCase(Locale.ROOT);
    Assumptions.assumeTrue(
        environment.isEmpty() || environment.equals("processes"),
        "the Redis Cluster and Sentinel scenarios run on testkit process fixtures only, not in the "
            + environment
            + " environment");
    return start.get();
  }

  /** The workers reach the cluster through all its nodes as seeds. */
  static FleetTopology of(RedisCluster cluster) {
    List<String> seeds = cluster.seeds().stream().map(FleetTopology::hostAndPort).toList();
    return new FleetTopology(WorkerTarget.cluster(seeds), cluster.toString());
  }

  /** The workers reach the group's master through its Sentinels. */
  static FleetTopology of(RedisSentinelGroup group) {
    List<String> sentinels =
        group.sentinelAddresses().stream().map(a -> a.getHostString() + ":" + a.getPort()).toList();
    return new FleetTopology(
        WorkerTarget.sentinel(group.masterName(), sentinels), group.toString());
  }

  private static String hostAndPort(URI uri) {
    return uri.getHost() + ":" + uri.getPort();
  }

  /** A link for a worker of this topology: it connects directly, so every link fault refuses. */
  WorkerLink directLink() {
    return new DirectLink();
  }

  @Override
  public String toString() {
    return description;
  }

  private static final class DirectLink implements WorkerLink {
    @Override
    public URI uri() {
      throw new UnsupportedOperationException(WHY_NO_PROXY);
    }

    @Override
    public void cut() {
      throw new UnsupportedOperationException(WHY_NO_PROXY);
    }

    @Override
    public void heal() {
      throw new UnsupportedOperationException(WHY_NO_PROXY);
    }

    @Override
    public void reset() {
      throw new UnsupportedOperationException(WHY_NO_PROXY);
    }

    @Override
    public void blackhole() {
      throw new UnsupportedOperationException(WHY_NO_PROXY);
    }

    @Override
    public void latency(Duration delay) {
      throw new UnsupportedOperationException(WHY_NO_PROXY);
    }

    @Override
    public void retarget(RedisNode node) {
      throw new UnsupportedOperationException(WHY_NO_PROXY);
    }

    @Override
    public void close() {
      // nothing was opened: the worker's own clients connect to the nodes
    }
  }
}

package dev.tokenherd.benchmarks;

import static java.util.Objects.requireNonNull;

import dev.tokenherd.coordinator.redis.RedisBackend;
import dev.tokenherd.testkit.RedisCluster;
import dev.tokenherd.testkit.RedisServerProcess;
import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Where one {@link FleetTopology}'s pods find Redis, and where the suite reads its counters.
 *
 * <p>For a cluster, {@code INFO commandstats} is summed over the masters as they were when the
 * suite started (no failover happens during a run): every data command lands on a master, while a
 * replica's counters also count the writes its master replicates to it, so adding them would count
 * each write twice. So the clients' topology reads sent to replicas are not counted: Lettuce's
 * periodic refresh opens a connection to every node each second ({@code HELLO}, {@code CLIENT
 * SETNAME}, {@code CLUSTER NODES}, {@code INFO}), and half of the nodes are replicas. The round
 * trip is timed against the master of the credential's slot, the node the pods' store, lock and
 * notices talk to.
 *
 * @param topology which deployment
 * @param uri {@code redis://host:port} of the one server (standalone); for a cluster, its first
 *     seed, which only the peers would use (and they do not run there)
 * @param seeds the cluster's nodes as {@code host:port}; empty for standalone
 * @param statsPorts the loopback ports whose {@code INFO commandstats} are summed: the server, or
 *     the cluster's masters
 * @param slotPort the loopback port of the server, or of the master serving the credential's slot:
 *     timed with {@code PING}s, and the upstream of the standalone pods' counting proxies
 */
record FleetRedis(
    FleetTopology topology,
    String uri,
    List<String> seeds,
    List<Integer> statsPorts,
    int slotPort) {

  /**
   * Commands that the cluster's nodes count but no client sent: a replica's {@code REPLCONF ACK} to
   * its master every second.
   */
  static final List<String> NOT_FROM_CLIENTS = List.of("replconf");

  FleetRedis {
    requireNonNull(topology, "topology");
    requireNonNull(uri, "uri");
    seeds = List.copyOf(seeds);
    statsPorts = List.copyOf(statsPorts);
    if ((topology == FleetTopology.CLUSTER) == seeds.isEmpty()) {
      throw new IllegalArgumentException("seeds go with a cluster, and only there");
    }
  }

  /** The one {@code redis-server}. */
  static FleetRedis standalone(RedisServerProcess server) {
    return new FleetRedis(
        FleetTopology.STANDALONE,
        server.uri().toString(),
        List.of(),
        List.of(server.port()),
        server.port());
  }

  /** A cluster, its masters and the master of {@code key}'s slot as they are now. */
  static FleetRedis cluster(RedisCluster cluster, String key) {
    List<String> seeds =
        cluster.seeds().stream().map(u -> u.getHost() + ":" + u.getPort()).toList();
    return new FleetRedis(
        FleetTopology.CLUSTER,
        cluster.seeds().get(0).toString(),
        seeds,
        cluster.masters().stream().map(RedisServerProcess::port).toList(),
        cluster.masterOf(RedisCluster.slot(key)).port());
  }

  /** Returns whether the pods' Redis requests can be counted by a proxy per pod (standalone). */
  boolean countsRequests() {
    return topology == FleetTopology.STANDALONE;
  }

  /**
   * Returns this standalone Redis as reached through {@code proxyUri}; counters are still read from
   * the server itself.
   */
  FleetRedis through(String proxyUri) {
    if (!countsRequests()) {
      throw new IllegalStateException("a cluster's clients connect to the nodes it announces");
    }
    return new FleetRedis(topology, proxyUri, seeds, statsPorts, slotPort);
  }

  /** Aims a backend builder at this Redis. */
  RedisBackend.Builder connect(RedisBackend.Builder builder) {
    return topology == FleetTopology.CLUSTER ? builder.cluster(seeds) : builder.uri(uri);
  }

  /**
   * Returns the calls per command, summed over {@link #statsPorts}, without {@link
   * #NOT_FROM_CLIENTS}.
   *
   * @throws IOException if a server cannot be read
   */
  Map<String, Long> commandStats() throws IOException {
    Map<String, Long> sum = new TreeMap<>();
    for (int port : statsPorts) {
      RedisCommandStats.snapshot(port).forEach((name, calls) -> sum.merge(name, calls, Long::sum));
    }
    sum.keySet().removeAll(NOT_FROM_CLIENTS);
    return sum;
  }
}

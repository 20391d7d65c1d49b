package dev.tokenherd.chaos;

import static java.util.Objects.requireNonNull;

import dev.tokenherd.coordinator.redis.RedisBackend;
import dev.tokenherd.testkit.ProcessArguments;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import org.jspecify.annotations.Nullable;

/**
 * Where a {@link ChaosWorker} finds Redis, as one argument of its command line, which the harness
 * writes and the worker reads: {@code redis=<uri>} (one server, usually through a {@link
 * TcpProxy}), {@code sentinel=<master name>@host:port,host:port,...} (the Sentinels of a group) or
 * {@code cluster=host:port,host:port,...} (seed nodes of a Redis Cluster). Exactly one of them.
 *
 * @param topology which of the three
 * @param uri the server's URI, for {@link Topology#SERVER}
 * @param masterName the name the Sentinels monitor, for {@link Topology#SENTINEL}
 * @param addresses the Sentinels or the seed nodes, {@code host:port}
 */
public record WorkerTarget(
    Topology topology, @Nullable String uri, @Nullable String masterName, List<String> addresses) {

  /** The three ways a worker reaches Redis; each name is its argument's name. */
  public enum Topology {
    /** One server by URI: {@code redis=}. */
    SERVER("redis"),
    /** A Sentinel group: {@code sentinel=}. */
    SENTINEL("sentinel"),
    /** A Redis Cluster: {@code cluster=}. */
    CLUSTER("cluster");

    private final String argument;

    Topology(String argument) {
      this.argument = argument;
    }
  }

  /** Checks the components and copies the addresses. */
  public WorkerTarget {
    requireNonNull(topology, "topology");
    addresses = List.copyOf(addresses);
    boolean valid =
        switch (topology) {
          case SERVER -> uri != null && masterName == null && addresses.isEmpty();
          case SENTINEL -> uri == null && masterName != null && !addresses.isEmpty();
          case CLUSTER -> uri == null && masterName == null && !addresses.isEmpty();
        };
    if (!valid) {
      throw new IllegalArgumentException(
          "not a "
              + topology
              + " target: uri "
              + uri
              + ", master "
              + masterName
              + ", "
              + addresses);
    }
  }

  /**
   * Returns the target of one server.
   *
   * @param uri its {@code redis://} URI
   * @return the target
   */
  public static WorkerTarget server(String uri) {
    return new WorkerTarget(Topology.SERVER, uri, null, List.of());
  }

  /**
   * Returns the target of a Sentinel group.
   *
   * @param masterName the name the Sentinels monitor the master under
   * @param sentinels the Sentinels, {@code host:port}
   * @return the target
   */
  public static WorkerTarget sentinel(String masterName, List<String> sentinels) {
    return new WorkerTarget(Topology.SENTINEL, null, masterName, sentinels);
  }

  /**
   * Returns the target of a Redis Cluster.
   *
   * @param nodes seed nodes, {@code host:port}
   * @return the target
   */
  public static WorkerTarget cluster(List<String> nodes) {
    return new WorkerTarget(Topology.CLUSTER, null, null, nodes);
  }

  /**
   * Reads the target from a worker's arguments.
   *
   * @param options the worker's arguments
   * @return the target they name
   * @throws IllegalArgumentException unless exactly one of {@code redis}, {@code sentinel} and
   *     {@code cluster} is given, well formed
   */
  public static WorkerTarget parse(ProcessArguments options) {
    List<Topology> given =
        Arrays.stream(Topology.values()).filter(t -> options.get(t.argument) != null).toList();
    if (given.size() != 1) {
      throw new IllegalArgumentException(
          "give exactly one of redis=<uri>, sentinel=<master>@host:port,... and"
              + " cluster=host:port,..., not "
              + given);
    }
    Topology topology = given.get(0);
    String value = options.required(topology.argument);
    return switch (topology) {
      case SERVER -> server(value);
      case SENTINEL -> {
        int at = value.indexOf('@');
        if (at <= 0) {
          throw new IllegalArgumentException(
              "sentinel= takes <master>@host:port,host:port, not " + value);
        }
        yield sentinel(value.substring(0, at), addresses(value.substring(at + 1)));
      }
      case CLUSTER -> cluster(addresses(value));
    };
  }

  private static List<String> addresses(String list) {
    List<String> addresses =
        Arrays.stream(list.split(",")).map(String::strip).filter(a -> !a.isEmpty()).toList();
    if (addresses.isEmpty()) {
      throw new IllegalArgumentException("no host:port in '" + list + "'");
    }
    return addresses;
  }

  /**
   * Returns the worker argument that names this target, which {@link #parse} reads back.
   *
   * @return for example {@code cluster=127.0.0.1:7000,127.0.0.1:7001}
   */
  public String argument() {
    String value =
        switch (topology) {
          case SERVER -> requireNonNull(uri);
          case SENTINEL -> requireNonNull(masterName) + "@" + String.join(",", addresses);
          case CLUSTER -> String.join(",", addresses);
        };
    return topology.argument + "=" + value;
  }

  /**
   * Aims {@code builder} at this target ({@link RedisBackend.Builder#uri}, {@code sentinel} or
   * {@code cluster}).
   *
   * @param builder a backend builder
   * @return the same builder
   */
  public RedisBackend.Builder aim(RedisBackend.Builder builder) {
    return switch (topology) {
      case SERVER -> builder.uri(requireNonNull(uri));
      case SENTINEL -> builder.sentinel(requireNonNull(masterName), addresses);
      case CLUSTER -> builder.cluster(addresses);
    };
  }

  @Override
  public String toString() {
    // A server URI may carry a password.
    return topology.name().toLowerCase(Locale.ROOT)
        + (topology == Topology.SERVER ? "" : " " + addresses);
  }
}

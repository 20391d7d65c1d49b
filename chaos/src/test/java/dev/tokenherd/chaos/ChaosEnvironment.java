package dev.tokenherd.chaos;

import java.net.InetSocketAddress;
import java.util.Locale;

/**
 * Where a scenario's Redis nodes and its workers' links to them live. The scenarios reach Redis
 * only through these roles ({@link RedisNode}, {@link WorkerLink}), so the same test methods run in
 * either environment, chosen by {@code -Dchaos.environment}:
 *
 * <ul>
 *   <li>{@code processes} (the default): {@code redis-server} processes on loopback and one {@link
 *       TcpProxy} per worker ({@link ProcessEnvironment});
 *   <li>{@code containers}: Redis containers and one Toxiproxy container, for machines with a
 *       Docker engine ({@link ContainerEnvironment}); every scenario is skipped, with the reason,
 *       where none runs.
 * </ul>
 *
 * <p>Worker JVMs and the fake authorization server run on the host in both.
 */
interface ChaosEnvironment extends AutoCloseable {
  /** The system property that chooses the environment. */
  String PROPERTY = "chaos.environment";

  /**
   * Returns the environment {@code -Dchaos.environment} names ({@code processes} if unset).
   *
   * @throws org.opentest4j.TestAbortedException for {@code containers} without a Docker engine, so
   *     that the scenario is reported as skipped
   */
  static ChaosEnvironment fromSystemProperty() {
    String name = System.getProperty(PROPERTY, "processes").trim().toLowerCase(Locale.ROOT);
    return switch (name) {
      case "", "processes" -> new ProcessEnvironment();
      case "containers" -> ContainerEnvironment.start();
      default ->
          throw new IllegalArgumentException(
              "-D" + PROPERTY + " must be processes or containers, not " + name);
    };
  }

  /**
   * Returns what this environment appends to scenario names (log directories, summary entries), so
   * that the results of both runs stand side by side: empty for processes.
   */
  String scenarioSuffix();

  /**
   * Starts a Redis primary with the append-only file on.
   *
   * @param arguments extra {@code redis-server} configuration, for example {@code
   *     --enable-debug-command yes}
   */
  RedisNode startRedis(String... arguments);

  /**
   * Starts a replica of {@code primary} (AOF on too), replicating from its {@linkplain
   * RedisNode#linkAddress() link address}; the caller awaits its first sync.
   */
  default RedisNode startReplica(RedisNode primary) {
    InetSocketAddress source = primary.linkAddress();
    return startRedis("--replicaof", source.getHostString(), Integer.toString(source.getPort()));
  }

  /** Opens one worker's link to {@code target}, passing traffic. */
  WorkerLink link(RedisNode target);

  /** Stops every node and closes every link this environment started. */
  @Override
  void close();
}

package dev.tokenherd.chaos;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * Where a scenario's Redis nodes and its workers' links to them live. The scenarios reach Redis
 * only through these roles ({@link RedisNode}, {@link WorkerLink}), so the same test methods run in
 * either environment, chosen by {@code -Dchaos.environment}:
 *
 * <ul>
 *   <li>{@code processes} (the default): {@code redis-server} processes on loopback and one {@link
 *       TcpProxy} per worker ({@link ProcessEnvironment});
 *   <li>{@code containers}: every worker JVM, every Redis node and the fault proxy ({@link
 *       TcpProxyServer}) in a container of its own on one Docker network ({@link
 *       ContainerEnvironment}); every scenario is skipped, with the reason, where no engine runs.
 * </ul>
 *
 * <p>The fake authorization server runs in the test JVM in both: its ledger is what the invariant
 * checker reads.
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

  /**
   * Returns the address the fake authorization server listens on, one the workers reach: loopback
   * for processes, the Docker network's gateway (the host, on the containers' bridge) for
   * containers.
   */
  InetAddress authServerAddress();

  /**
   * Starts one worker JVM.
   *
   * @param id the worker's name in the scenario ({@code w0}, ...)
   * @param javaCommand its command line as the host would run it ({@code java}, options, class path
   *     entries and files as host paths)
   * @param stderr where its standard error goes
   * @param link its link to Redis, which a partition cuts too
   * @return the running worker, whose standard input and output are the worker's
   */
  WorkerProcess startWorker(String id, List<String> javaCommand, Path stderr, WorkerLink link)
      throws IOException;

  /** A worker JVM and the faults that reach it as a whole. */
  interface WorkerProcess {
    /** Returns the process whose standard input and output are the worker's. */
    Process process();

    /** Kills the worker (SIGKILL, {@code docker kill}) and awaits its end. */
    void kill() throws InterruptedException;

    /**
     * Freezes every thread of the worker (SIGSTOP, {@code docker pause}); returns once they are
     * frozen.
     */
    void pause() throws IOException, InterruptedException;

    /** Lets a paused worker run again (SIGCONT, {@code docker unpause}). */
    void resume() throws IOException, InterruptedException;

    /**
     * Cuts the worker off the network until {@link #rejoin()}: in containers, its container is
     * disconnected from the Docker network (Redis and the token endpoint both unreachable, open
     * connections silent); a process has no network of its own, so there only its Redis link is cut
     * (the token endpoint stays reachable).
     */
    void partition();

    /** Ends a {@link #partition()}. */
    void rejoin();
  }

  /** Stops every node and closes every link this environment started. */
  @Override
  void close();
}

package dev.tokenherd.testkit;

import static java.util.Objects.requireNonNull;

import com.google.errorprone.annotations.CanIgnoreReturnValue;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * Builds and starts a {@link RedisCluster}: {@code RedisCluster.builder().masters(3)
 * .replicasPerMaster(1).start()}.
 */
public final class RedisClusterBuilder {
  private int masters = 3;
  private int replicasPerMaster = 1;
  private boolean appendOnly = true;
  private Duration nodeTimeout = Duration.ofSeconds(2);
  private boolean requireFullCoverage;
  private @Nullable String password;
  private final List<String> extraArguments = new ArrayList<>();
  private boolean useRedisCli = true;
  private @Nullable TlsCertificates tls;

  RedisClusterBuilder() {}

  /**
   * Sets the number of masters (default 3, at least 3: fewer cannot elect a replica).
   *
   * @param masters how many masters share the 16384 slots
   * @return this builder
   */
  @CanIgnoreReturnValue
  public RedisClusterBuilder masters(int masters) {
    if (masters < 3) {
      throw new IllegalArgumentException("a cluster needs at least 3 masters, not " + masters);
    }
    this.masters = masters;
    return this;
  }

  /**
   * Sets the number of replicas of each master (default 1).
   *
   * @param replicasPerMaster zero or more
   * @return this builder
   */
  @CanIgnoreReturnValue
  public RedisClusterBuilder replicasPerMaster(int replicasPerMaster) {
    if (replicasPerMaster < 0) {
      throw new IllegalArgumentException("replicasPerMaster " + replicasPerMaster + " < 0");
    }
    this.replicasPerMaster = replicasPerMaster;
    return this;
  }

  /**
   * Turns every node's append-only file on (default) or off.
   *
   * @param appendOnly whether nodes write an append-only file ({@code appendfsync always})
   * @return this builder
   */
  @CanIgnoreReturnValue
  public RedisClusterBuilder appendOnly(boolean appendOnly) {
    this.appendOnly = appendOnly;
    return this;
  }

  /**
   * Sets {@code cluster-node-timeout} (default 2 s): how long a node may not answer before it is
   * considered failing, so about how long a failover takes after a kill.
   *
   * @param nodeTimeout a positive duration, in whole milliseconds
   * @return this builder
   */
  @CanIgnoreReturnValue
  public RedisClusterBuilder nodeTimeout(Duration nodeTimeout) {
    if (nodeTimeout.toMillis() <= 0) {
      throw new IllegalArgumentException("nodeTimeout must be positive: " + nodeTimeout);
    }
    this.nodeTimeout = nodeTimeout;
    return this;
  }

  /**
   * Sets {@code cluster-require-full-coverage} (default {@code false}: slots of a failed master
   * fail alone; {@code true}: the whole cluster answers {@code CLUSTERDOWN} until its replica takes
   * over).
   *
   * @param requireFullCoverage whether any uncovered slot takes the whole cluster down
   * @return this builder
   */
  @CanIgnoreReturnValue
  public RedisClusterBuilder requireFullCoverage(boolean requireFullCoverage) {
    this.requireFullCoverage = requireFullCoverage;
    return this;
  }

  /**
   * Requires a password on every node ({@code requirepass}), which replicas use too ({@code
   * masterauth}); never shown by {@code toString()} or in failure messages.
   *
   * @param password the password
   * @return this builder
   */
  @CanIgnoreReturnValue
  public RedisClusterBuilder password(String password) {
    this.password = requireNonNull(password, "password");
    return this;
  }

  /**
   * Adds {@code redis-server} arguments for every node, after the cluster's own (so they win).
   *
   * @param arguments for example {@code "--maxmemory-policy", "noeviction"}
   * @return this builder
   */
  @CanIgnoreReturnValue
  public RedisClusterBuilder arguments(String... arguments) {
    extraArguments.addAll(List.of(arguments));
    return this;
  }

  /**
   * Runs every node with TLS too ({@link RedisServerProcess.Builder#tls}): the cluster bus and
   * replication use TLS, and a client connected to a node's {@linkplain RedisServerProcess#tlsPort
   * TLS port} learns the other nodes' TLS ports ({@code CLUSTER NODES}, {@code MOVED}); the fixture
   * itself keeps talking to the plain ports.
   *
   * @param certificates the nodes' certificate and key and the authority to trust
   * @return this builder
   */
  @CanIgnoreReturnValue
  public RedisClusterBuilder tls(TlsCertificates certificates) {
    this.tls = requireNonNull(certificates, "certificates");
    return this;
  }

  /** Whether a {@code redis-cli} found may create the cluster; {@code false} forces commands. */
  @CanIgnoreReturnValue
  RedisClusterBuilder useRedisCli(boolean useRedisCli) {
    this.useRedisCli = useRedisCli;
    return this;
  }

  /**
   * Starts the nodes, creates the cluster and waits until it is {@linkplain
   * RedisCluster#awaitStable stable}.
   *
   * @return the running cluster; close it to stop every node and delete its data
   * @throws IllegalStateException if a node does not start or the cluster does not settle within
   *     {@link StartupTimeout#get()} (the message says what each node said); every node started is
   *     stopped first
   */
  public RedisCluster start() {
    RedisCluster cluster =
        new RedisCluster(
            new ClusterCreation.Settings(
                masters,
                replicasPerMaster,
                appendOnly,
                nodeTimeout,
                requireFullCoverage,
                password,
                List.copyOf(extraArguments),
                useRedisCli,
                tls));
    try {
      cluster.start();
      return cluster;
    } catch (IOException e) {
      cluster.close();
      throw new UncheckedIOException("cannot start " + cluster, e);
    } catch (RuntimeException e) {
      cluster.close();
      throw e;
    }
  }
}

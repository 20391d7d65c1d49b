package dev.tokenherd.testkit;

import static java.util.Objects.requireNonNull;

import com.google.errorprone.annotations.CanIgnoreReturnValue;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * A real Redis Cluster on 127.0.0.1 for tests: by default 3 masters and 3 replicas, each a {@link
 * RedisServerProcess} on a free port (and a free cluster bus port) with its own data directory.
 *
 * <pre>{@code
 * try (RedisCluster cluster = RedisCluster.builder().start()) {
 *   List<URI> seeds = cluster.seeds();
 *   RedisServerProcess master = cluster.masterOf(RedisCluster.slot("{user}:token"));
 *   cluster.kill(master);
 *   RedisServerProcess promoted = cluster.awaitPromotionAfterKill(master);
 * }
 * }</pre>
 *
 * <p>Every node runs with {@code cluster-enabled yes}, {@code cluster-node-timeout} (default 2 s),
 * {@code cluster-require-full-coverage no} (unless {@link Builder#requireFullCoverage} says
 * otherwise: while a dead master's replica is not yet promoted, only that master's slots fail,
 * {@code CLUSTERDOWN}, instead of the whole cluster, so a test sees the other slots keep working as
 * in most production set-ups that turn it off) and {@code cluster-replica-validity-factor 0} (a
 * replica always stands for election, however long it was cut off, so a failover never depends on
 * how slow the machine was). The cluster is created with {@code redis-cli --cluster create} if a
 * {@code redis-cli} is next to the {@code redis-server} executable or on the {@code PATH}, else
 * with the commands redis-cli would send; one line on standard error says which. Needs Redis 7.0 or
 * newer ({@code cluster-port}, {@code CLUSTER ADDSLOTSRANGE}).
 *
 * <p>Every wait (start, promotion, failover, a slot changing hands) polls the nodes until {@link
 * StartupTimeout#get()} has passed, then fails with what every node said ({@code CLUSTER INFO},
 * {@code CLUSTER NODES}, replication, log). "Live" nodes below are those running and not paused
 * through {@link #pause}; only they are asked.
 */
public final class RedisCluster implements AutoCloseable {
  private final Builder settings;
  private final List<RedisServerProcess> nodes = new ArrayList<>();
  private final List<Integer> busPorts = new ArrayList<>();
  private final Map<Integer, String> ids = new HashMap<>();
  private final Set<RedisServerProcess> paused = new HashSet<>();
  private final Map<String, Set<String>> replicasAtKill = new HashMap<>();

  private RedisCluster(Builder settings) {
    this.settings = settings;
  }

  /**
   * Returns a builder with the defaults: 3 masters, 1 replica each, append-only files, a 2 s node
   * timeout, no password.
   *
   * @return a new builder
   */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * Returns the hash slot of {@code key} as Redis computes it: CRC16 (XMODEM) modulo 16384 of the
   * key, or of its hash tag, the part between the first <code>&#123;</code> and the first <code>
   * &#125;</code> after it when that part is not empty.
   *
   * @param key a key
   * @return its slot, 0 to 16383
   */
  public static int slot(String key) {
    return ClusterSlot.of(requireNonNull(key, "key"));
  }

  /**
   * Returns {@code redis://127.0.0.1:port} for every node (with the password, if one is set, as
   * {@link RedisServerProcess#uri()}), for a cluster client's seed list.
   *
   * @return one URI per node, in {@link #nodes()} order
   */
  public List<URI> seeds() {
    return nodes.stream().map(RedisServerProcess::uri).toList();
  }

  /**
   * Returns every node, masters and replicas, in the order they were started.
   *
   * @return the nodes, whatever their current role or state
   */
  public List<RedisServerProcess> nodes() {
    return List.copyOf(nodes);
  }

  /**
   * Returns the live nodes that say they are masters now (roles change with failovers).
   *
   * @return the current masters, in {@link #nodes()} order
   */
  public List<RedisServerProcess> masters() {
    List<RedisServerProcess> masters = new ArrayList<>();
    for (RedisServerProcess node : liveNodes()) {
      if (view(node).myself().master()) {
        masters.add(node);
      }
    }
    return masters;
  }

  /**
   * Returns the nodes that replicate {@code master} now, as the cluster sees it (the master itself
   * if it is live, else another live node).
   *
   * @param master a node of this cluster
   * @return its replicas, in {@link #nodes()} order; empty if it has none
   */
  public List<RedisServerProcess> replicasOf(RedisServerProcess master) {
    String id = nodeId(master);
    List<RedisServerProcess> live = liveNodes();
    RedisServerProcess asked = live.contains(master) ? master : anyLive();
    ClusterView view = view(asked);
    List<RedisServerProcess> replicas = new ArrayList<>();
    for (RedisServerProcess node : nodes) {
      ClusterView.Node known = view.byPort(node.port());
      if (known != null && id.equals(known.masterId())) {
        replicas.add(node);
      }
    }
    return replicas;
  }

  /**
   * Returns the node that serves {@code slot} now: the live node whose own view says it owns the
   * slot (asked, not cached).
   *
   * @param slot a hash slot, 0 to 16383
   * @return its master
   * @throws IllegalStateException if no live node owns it
   */
  public RedisServerProcess masterOf(int slot) {
    for (RedisServerProcess node : liveNodes()) {
      try {
        if (ClusterView.of(node).myself().slots().get(slot)) {
          return node;
        }
      } catch (IOException e) {
        // killed or stopped behind the fixture's back: ask the others
      }
    }
    throw new IllegalStateException("no live node owns slot " + slot + "\n" + describe());
  }

  /**
   * Returns the cluster's id of {@code node} ({@code CLUSTER MYID}), which stays the same across
   * restarts and role changes.
   *
   * @param node a node of this cluster
   * @return its 40-character node id
   */
  public synchronized String nodeId(RedisServerProcess node) {
    String id = ids.get(requireNonNull(node, "node").port());
    if (id == null || !nodes.contains(node)) {
      throw new IllegalArgumentException(node + " is not a node of this cluster");
    }
    return id;
  }

  /**
   * Kills {@code node} ({@code SIGKILL}), first noting its replicas so that {@link
   * #awaitPromotionAfterKill} knows which node may replace it.
   *
   * @param node a node of this cluster
   */
  public void kill(RedisServerProcess node) {
    String id = nodeId(node);
    if (liveNodes().contains(node)) {
      Set<String> replicas = new HashSet<>();
      replicasOf(node).forEach(replica -> replicas.add(nodeId(replica)));
      synchronized (this) {
        replicasAtKill.put(id, replicas);
      }
    }
    node.kill();
    synchronized (this) {
      paused.remove(node);
    }
  }

  /**
   * Freezes {@code node} ({@code SIGSTOP}); the cluster's checks skip it until {@link #resume}.
   *
   * @param node a node of this cluster
   */
  public void pause(RedisServerProcess node) {
    nodeId(node);
    node.pause();
    synchronized (this) {
      paused.add(node);
    }
  }

  /**
   * Resumes a node frozen by {@link #pause} ({@code SIGCONT}).
   *
   * @param node a node of this cluster
   */
  public void resume(RedisServerProcess node) {
    nodeId(node);
    node.resume();
    synchronized (this) {
      paused.remove(node);
    }
  }

  /**
   * Makes {@code replica} take over from its master ({@code CLUSTER FAILOVER}, the master agreeing)
   * and waits until it is a master with slots, the old master (if live) replicates it, and the
   * cluster is {@linkplain #awaitStable stable} again.
   *
   * @param replica a live replica
   * @throws IllegalArgumentException if it is not a replica
   */
  public void failover(RedisServerProcess replica) {
    ClusterView.Node before = view(replica).myself();
    String oldMaster = before.masterId();
    if (before.master() || oldMaster == null) {
      throw new IllegalArgumentException(replica + " is not a replica");
    }
    String newMaster = before.id();
    call(() -> Replies.ok(replica, "CLUSTER", "FAILOVER"));
    Poll.until(
        replica + " to take over from its master",
        () -> {
          ClusterView.Node me = ClusterView.of(replica).myself();
          if (!me.master() || me.slots().isEmpty()) {
            return replica + " is " + me.flags();
          }
          for (RedisServerProcess node : liveNodes()) {
            ClusterView.Node self = ClusterView.of(node).myself();
            if (self.id().equals(oldMaster) && !newMaster.equals(self.masterId())) {
              return "the old master " + node + " does not replicate " + replica + " yet";
            }
          }
          return ClusterProbe.unstable(liveNodes());
        },
        this::describe);
  }

  /**
   * Waits until a replica of {@code deadMaster} (killed with {@link #kill}, or killed otherwise
   * before its replica was promoted) is a master with slots, and the live nodes are {@linkplain
   * #awaitStable stable}.
   *
   * @param deadMaster a master that is no longer running
   * @return the promoted replica
   */
  public RedisServerProcess awaitPromotionAfterKill(RedisServerProcess deadMaster) {
    if (deadMaster.isRunning()) {
      throw new IllegalArgumentException(deadMaster + " is still running");
    }
    String deadId = nodeId(deadMaster);
    Set<String> candidates;
    synchronized (this) {
      candidates = replicasAtKill.get(deadId);
    }
    if (candidates == null) {
      candidates = new HashSet<>();
      for (ClusterView.Node node : view(anyLive()).nodes()) {
        if (deadId.equals(node.masterId())) {
          candidates.add(node.id());
        }
      }
    }
    if (candidates.isEmpty()) {
      throw new IllegalStateException(deadMaster + " had no replica to promote\n" + describe());
    }
    Set<String> ofDead = Set.copyOf(candidates);
    RedisServerProcess[] promoted = new RedisServerProcess[1];
    Poll.until(
        "a replica of " + deadMaster + " to be promoted",
        () -> {
          for (RedisServerProcess node : liveNodes()) {
            ClusterView.Node me = ClusterView.of(node).myself();
            if (ofDead.contains(me.id()) && me.master() && !me.slots().isEmpty()) {
              promoted[0] = node;
              return ClusterProbe.unstable(liveNodes());
            }
          }
          return "no replica of " + deadMaster + " is a master yet";
        },
        this::describe);
    return requireNonNull(promoted[0]);
  }

  /**
   * Waits until every live node reports {@code cluster_state:ok}, all agree on who owns every slot
   * and which live node replicates which, every slot is served by a live master, none migrates a
   * slot or sees another live node as failing, and every live replica's link to its master is up.
   */
  public void awaitStable() {
    Poll.until(
        "the cluster to be stable", () -> ClusterProbe.unstable(liveNodes()), this::describe);
  }

  /**
   * Moves {@code slot}, with its keys, from its master to {@code target}; see {@link
   * #migrateSlot(int, RedisServerProcess, Runnable, Runnable)}.
   *
   * @param slot the hash slot
   * @param target another live master
   */
  public void migrateSlot(int slot, RedisServerProcess target) {
    migrateSlot(slot, target, () -> {}, () -> {});
  }

  /**
   * Moves {@code slot} from its master to {@code target} in steps, running the test's code between
   * them: {@code CLUSTER SETSLOT IMPORTING} on the target and {@code MIGRATING} on the source, then
   * {@code whileMigrating} (the source still serves keys it has and answers {@code ASK} for
   * others), then the keys in batches of 100 ({@code CLUSTER GETKEYSINSLOT} and {@code MIGRATE ...
   * KEYS}, with {@code AUTH} when a password is set), then {@code beforeOwnerChange} (the source
   * answers {@code ASK} for every key of the slot), then {@code SETSLOT NODE} on the target, the
   * source and every other master; returns once every live node sees the target own the slot (the
   * source then answers {@code MOVED}).
   *
   * @param slot the hash slot
   * @param target another live master
   * @param whileMigrating runs once the slot is migrating, before any key moves
   * @param beforeOwnerChange runs once every key moved, before the owner changes
   */
  public void migrateSlot(
      int slot, RedisServerProcess target, Runnable whileMigrating, Runnable beforeOwnerChange) {
    SlotMigration.migrate(this, slot, target, whileMigrating, beforeOwnerChange);
  }

  /** Stops every node (also after a start that failed half-way) and deletes their data. */
  @Override
  public synchronized void close() {
    nodes.forEach(RedisServerProcess::close);
  }

  @Override
  public synchronized String toString() {
    return "RedisCluster["
        + settings.masters
        + " masters, "
        + settings.replicasPerMaster
        + " replicas each, ports "
        + nodes.stream().map(RedisServerProcess::port).toList()
        + "]";
  }

  synchronized List<RedisServerProcess> liveNodes() {
    return nodes.stream().filter(n -> n.isRunning() && !paused.contains(n)).toList();
  }

  @Nullable String password() {
    return settings.password;
  }

  synchronized String describe() {
    return ClusterProbe.describe(nodes, Set.copyOf(paused));
  }

  private RedisServerProcess anyLive() {
    List<RedisServerProcess> live = liveNodes();
    if (live.isEmpty()) {
      throw new IllegalStateException("no node of " + this + " is live");
    }
    return live.get(0);
  }

  private static ClusterView view(RedisServerProcess node) {
    try {
      return ClusterView.of(node);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot ask " + node + " for CLUSTER NODES", e);
    }
  }

  private interface Command {
    void run() throws IOException;
  }

  private static void call(Command command) {
    try {
      command.run();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private void start() throws IOException {
    RedisBinary binary = RedisBinary.resolve();
    if (!binary.atLeast(7, 0)) {
      throw new IllegalStateException("RedisCluster needs Redis 7.0 or newer, found " + binary);
    }
    int count = settings.masters * (1 + settings.replicasPerMaster);
    for (int i = 0; i < count; i++) {
      int busPort = RedisServerProcess.Builder.freePort();
      RedisServerProcess.Builder node =
          RedisServerProcess.builder()
              .appendOnly(settings.appendOnly)
              .arguments(
                  "--cluster-enabled",
                  "yes",
                  "--cluster-config-file",
                  "nodes.conf",
                  "--cluster-port",
                  Integer.toString(busPort),
                  "--cluster-node-timeout",
                  Long.toString(settings.nodeTimeout.toMillis()),
                  "--cluster-require-full-coverage",
                  settings.requireFullCoverage ? "yes" : "no",
                  "--cluster-replica-validity-factor",
                  "0");
      String password = settings.password;
      if (password != null) {
        node.password(password).arguments("--masterauth", password);
      }
      node.arguments(settings.extraArguments.toArray(new String[0]));
      RedisServerProcess started = node.start();
      synchronized (this) {
        nodes.add(started);
        busPorts.add(busPort);
      }
    }
    String how =
        ClusterCreation.create(
            nodes(),
            List.copyOf(busPorts),
            settings.masters,
            settings.replicasPerMaster,
            settings.password,
            settings.useRedisCli,
            binary.executable());
    System.err.println("tokenherd-testkit: " + this + " created with " + how);
    for (RedisServerProcess node : nodes()) {
      String id = Replies.string(node, "CLUSTER", "MYID");
      synchronized (this) {
        ids.put(node.port(), id);
      }
    }
    Poll.until(
        "the new cluster to be stable", () -> ClusterProbe.unstable(liveNodes()), this::describe);
  }

  /** Builds and starts a {@link RedisCluster}. */
  public static final class Builder {
    private int masters = 3;
    private int replicasPerMaster = 1;
    private boolean appendOnly = true;
    private Duration nodeTimeout = Duration.ofSeconds(2);
    private boolean requireFullCoverage;
    private @Nullable String password;
    private final List<String> extraArguments = new ArrayList<>();
    private boolean useRedisCli = true;

    private Builder() {}

    /**
     * Sets the number of masters (default 3, at least 3: fewer cannot elect a replica).
     *
     * @param masters how many masters share the 16384 slots
     * @return this builder
     */
    @CanIgnoreReturnValue
    public Builder masters(int masters) {
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
    public Builder replicasPerMaster(int replicasPerMaster) {
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
    public Builder appendOnly(boolean appendOnly) {
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
    public Builder nodeTimeout(Duration nodeTimeout) {
      if (nodeTimeout.toMillis() <= 0) {
        throw new IllegalArgumentException("nodeTimeout must be positive: " + nodeTimeout);
      }
      this.nodeTimeout = nodeTimeout;
      return this;
    }

    /**
     * Sets {@code cluster-require-full-coverage} (default {@code false}: slots of a failed master
     * fail alone; {@code true}: the whole cluster answers {@code CLUSTERDOWN} until its replica
     * takes over).
     *
     * @param requireFullCoverage whether any uncovered slot takes the whole cluster down
     * @return this builder
     */
    @CanIgnoreReturnValue
    public Builder requireFullCoverage(boolean requireFullCoverage) {
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
    public Builder password(String password) {
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
    public Builder arguments(String... arguments) {
      extraArguments.addAll(List.of(arguments));
      return this;
    }

    /** Whether a {@code redis-cli} found may create the cluster; {@code false} forces commands. */
    @CanIgnoreReturnValue
    Builder useRedisCli(boolean useRedisCli) {
      this.useRedisCli = useRedisCli;
      return this;
    }

    /**
     * Starts the nodes, creates the cluster and waits until it is {@linkplain
     * RedisCluster#awaitStable stable}.
     *
     * @return the running cluster; close it to stop every node and delete its data
     * @throws IllegalStateException if a node does not start or the cluster does not settle within
     *     {@link StartupTimeout#get()} (the message says what each node said); every node started
     *     is stopped first
     */
    public RedisCluster start() {
      RedisCluster cluster = new RedisCluster(this);
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
}

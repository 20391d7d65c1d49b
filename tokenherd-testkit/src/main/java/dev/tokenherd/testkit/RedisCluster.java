package dev.tokenherd.testkit;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.net.URI;
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
 * {@code cluster-require-full-coverage no} (unless {@link RedisClusterBuilder#requireFullCoverage}
 * says otherwise: while a dead master's replica is not yet promoted, only that master's slots fail,
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
  private final ClusterCreation.Settings settings;
  private final List<RedisServerProcess> nodes = new ArrayList<>();
  private final List<Integer> busPorts = new ArrayList<>();
  private final Map<Integer, String> ids = new HashMap<>();
  private final Set<RedisServerProcess> paused = new HashSet<>();
  private final Map<String, Set<String>> replicasAtKill = new HashMap<>();

  RedisCluster(ClusterCreation.Settings settings) {
    this.settings = settings;
  }

  /**
   * Returns a builder with the defaults: 3 masters, 1 replica each, append-only files, a 2 s node
   * timeout, no password.
   *
   * @return a new builder
   */
  public static RedisClusterBuilder builder() {
    return new RedisClusterBuilder();
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
      if (ClusterFailover.view(node).myself().master()) {
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
    if (live.isEmpty()) {
      throw new IllegalStateException("no node of " + this + " is live");
    }
    ClusterView view = ClusterFailover.view(live.contains(master) ? master : live.get(0));
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
    ClusterFailover.failover(this, replica);
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
    Set<String> replicas;
    synchronized (this) {
      replicas = replicasAtKill.get(nodeId(deadMaster));
    }
    return ClusterFailover.awaitPromotion(this, deadMaster, replicas);
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
        + settings.masters()
        + " masters, "
        + settings.replicasPerMaster()
        + " replicas each, ports "
        + nodes.stream().map(RedisServerProcess::port).toList()
        + "]";
  }

  synchronized List<RedisServerProcess> liveNodes() {
    return nodes.stream().filter(n -> n.isRunning() && !paused.contains(n)).toList();
  }

  @Nullable String password() {
    return settings.password();
  }

  synchronized String describe() {
    return ClusterProbe.describe(nodes, Set.copyOf(paused));
  }

  /** Starts the nodes and creates the cluster; the builder closes it if this fails. */
  void start() throws IOException {
    RedisBinary binary = RedisBinary.resolve();
    if (!binary.atLeast(7, 0)) {
      throw new IllegalStateException("RedisCluster needs Redis 7.0 or newer, found " + binary);
    }
    for (int i = 0; i < settings.masters() * (1 + settings.replicasPerMaster()); i++) {
      int busPort = RedisServerProcess.Builder.freePort();
      RedisServerProcess node = ClusterCreation.startNode(settings, busPort);
      synchronized (this) {
        nodes.add(node);
        busPorts.add(busPort);
      }
    }
    String how = ClusterCreation.create(nodes(), List.copyOf(busPorts), settings, binary);
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
}

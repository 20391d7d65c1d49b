package dev.tokenherd.testkit;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * A real Redis Sentinel group on 127.0.0.1 for tests: one master, two replicas ({@code
 * --replicaof}) and three Sentinels ({@code redis-server sentinel.conf --sentinel}, quorum 2), each
 * a {@link RedisServerProcess} on a free port with its own data directory.
 *
 * <pre>{@code
 * try (RedisSentinelGroup group = RedisSentinelGroup.builder().start()) {
 *   List<InetSocketAddress> sentinels = group.sentinelAddresses(); // with group.masterName()
 *   RedisServerProcess newMaster = group.failover();
 * }
 * }</pre>
 *
 * <p>Every wait polls the processes until {@link StartupTimeout#get()} has passed, then fails with
 * what each said (replication, every Sentinel's view, the logs). "Live" processes are those running
 * and not paused through {@link #pause} or {@link #pauseReplica}; only they are asked.
 *
 * <h2>Promoting a replica that lags: writes it never received are rolled back</h2>
 *
 * Verified with real Sentinels (Redis 7.0 and 7.4), {@code downAfter} 1 s and {@code
 * failoverTimeout} 5 s, in {@code RedisSentinelGroupIT}:
 *
 * <pre>{@code
 * RedisServerProcess master = group.master();
 * RedisServerProcess a = group.replicas().get(0), b = group.replicas().get(1);
 * group.setReplicaPriority(b, 0);   // b is never promoted (or: group.kill(b))
 * group.pauseReplica(a);            // SIGSTOP, and the master drops a's link
 * master.command("SET", "lost", "x");   // acknowledged by the master (and b), never seen by a
 * group.kill(master);
 * group.resume(a);                  // at once, best (see below)
 * assert group.awaitNewMasterAfter(master).equals(a);   // a has no "lost"; b resyncs from a
 * }</pre>
 *
 * <p>Why each step: a paused replica's socket still receives what the master sends (the kernel
 * buffers it), so pausing alone does not make it lag (tried: the write was there after the
 * promotion); {@link #pauseReplica} therefore also closes the master's side of its link ({@code
 * CLIENT KILL}), and nothing written after it returns reaches the replica. The master must be
 * killed before the replica is resumed, or it reconnects and catches up. The other replica must not
 * be a candidate: priority 0 as every Sentinel last read it ({@link #setReplicaPriority} waits for
 * that, up to the 10 s between two {@code INFO}s), or down.
 *
 * <p>What a Sentinel requires of the replica it promotes (Redis's {@code sentinelSelectSlave}): not
 * subjectively down (no answer for {@code downAfter}) nor disconnected; a {@code PING} answered in
 * the last 5 s; an {@code INFO} in the last 5 s (every second once the master is down); {@code
 * replica-priority} not 0; and its link to the old master down for no longer than ten times {@code
 * downAfter} plus the time the master has been down (a replica reports its link down from the
 * moment it notices, so once resumed it qualifies). Timings measured on a loaded 2-core machine,
 * {@code downAfter} 1 s, {@code failoverTimeout} 5 s:
 *
 * <ul>
 *   <li>resumed right after the kill (the recipe): {@code awaitNewMasterAfter} returned 8.6 s after
 *       the kill (three runs), the other replica resynchronised from the new master by then;
 *   <li>resumed 5 s after the kill, paused 1 s before it: the Sentinels had already chosen it (not
 *       yet down when chosen) and sent it {@code REPLICAOF NO ONE}, which it obeyed once resumed;
 *       the failover ended by its timeout, 10.6 s after the kill;
 *   <li>paused 3 s before the kill and resumed 3 s after: subjectively down when the failover
 *       began, so {@code -failover-abort-no-good-slave}; the next try came 2 × {@code
 *       failoverTimeout} later and promoted it, 17.8 s after the kill.
 * </ul>
 *
 * In every case the write it never received was gone from the new master and from the other
 * replica.
 */
public final class RedisSentinelGroup implements AutoCloseable {
  private static final Pattern LADDR = Pattern.compile("laddr=(\\S+)");

  private final SentinelConfig config;
  private final List<RedisServerProcess> data = new ArrayList<>();
  private final List<RedisServerProcess> sentinels = new ArrayList<>();
  private final Set<RedisServerProcess> paused = new HashSet<>();

  RedisSentinelGroup(SentinelConfig config) {
    this.config = config;
  }

  /**
   * Returns a builder with the defaults: master name {@code tokenherd}, {@code
   * down-after-milliseconds} 1000, {@code failover-timeout} 5000, append-only files, no passwords.
   *
   * @return a new builder
   */
  public static RedisSentinelGroupBuilder builder() {
    return new RedisSentinelGroupBuilder();
  }

  /**
   * Returns the name the Sentinels monitor the master under, which a Sentinel client needs.
   *
   * @return the master name
   */
  public String masterName() {
    return config.masterName();
  }

  /**
   * Returns the Sentinels' addresses, {@code 127.0.0.1} and their ports (their TLS ports in a group
   * {@linkplain RedisSentinelGroupBuilder#tls with TLS}), as a Sentinel client takes them (Lettuce:
   * {@code RedisURI.Builder.sentinel(host, port, masterName())}; Redisson: {@code "redis://" + host
   * + ":" + port}).
   *
   * @return one address per Sentinel, resolved
   */
  public List<InetSocketAddress> sentinelAddresses() {
    return sentinels().stream()
        .map(s -> new InetSocketAddress(InetAddress.getLoopbackAddress(), s.clientPort()))
        .toList();
  }

  /**
   * Returns the three Sentinel processes.
   *
   * @return the Sentinels, in start order
   */
  public synchronized List<RedisServerProcess> sentinels() {
    return List.copyOf(sentinels);
  }

  /**
   * Returns the three data nodes, whatever their current role: the first master first.
   *
   * @return the data nodes, in start order
   */
  public synchronized List<RedisServerProcess> dataNodes() {
    return List.copyOf(data);
  }

  /**
   * Returns the current master as the Sentinels see it ({@code SENTINEL GET-MASTER-ADDR-BY-NAME}):
   * the answer of a majority of the live Sentinels.
   *
   * @return the data node they name
   * @throws IllegalStateException if no majority of them names the same data node
   */
  public RedisServerProcess master() {
    Map<Integer, Integer> votes = new HashMap<>();
    for (RedisServerProcess sentinel : live(sentinels())) {
      try {
        votes.merge(SentinelProbe.masterPort(sentinel, masterName()), 1, Integer::sum);
      } catch (IOException e) {
        // not answering: no vote
      }
    }
    for (Map.Entry<Integer, Integer> vote : votes.entrySet()) {
      if (vote.getValue() * 2 > sentinels().size()) {
        for (RedisServerProcess node : dataNodes()) {
          if (node.clientPort() == vote.getKey()) {
            return node;
          }
        }
      }
    }
    throw new IllegalStateException("no majority of Sentinels names one master: " + votes);
  }

  /**
   * Returns the data nodes other than the {@linkplain #master() current master}, live or not.
   *
   * @return the replicas, in start order
   */
  public List<RedisServerProcess> replicas() {
    RedisServerProcess master = master();
    return dataNodes().stream().filter(n -> !n.equals(master)).toList();
  }

  /**
   * Makes the Sentinels fail over ({@code SENTINEL FAILOVER}) and waits until they all name a new
   * master, it answers {@code role:master}, and every other live data node, the old master
   * included, replicates it with its link up (the old master is turned into a replica about 8 s
   * after the switch, so this takes some 10 to 20 s).
   *
   * @return the new master
   * @throws IllegalStateException if the Sentinel refuses (for example {@code -NOGOODSLAVE}: every
   *     replica has priority 0 or is down)
   */
  public RedisServerProcess failover() {
    RedisServerProcess old = master();
    RedisServerProcess sentinel = live(sentinels()).get(0);
    try {
      Replies.ok(sentinel, "SENTINEL", "FAILOVER", masterName());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return awaitNewMasterAfter(old);
  }

  /**
   * Waits until every live Sentinel names a master other than {@code old} (killed, or failed over),
   * that master answers {@code role:master}, and every other live data node replicates it with its
   * link up.
   *
   * @param old the master before
   * @return the new master
   */
  public RedisServerProcess awaitNewMasterAfter(RedisServerProcess old) {
    Poll.until(
        "the Sentinels to replace the master " + old,
        () -> {
          for (RedisServerProcess sentinel : live(sentinels())) {
            if (SentinelProbe.masterPort(sentinel, masterName()) == old.clientPort()) {
              return "Sentinel 127.0.0.1:" + sentinel.port() + " still names " + old;
            }
          }
          return unsettled();
        },
        this::describe);
    return master();
  }

  /**
   * Sets a data node's {@code replica-priority} ({@code CONFIG SET}; 0 = never promoted; the
   * default is 100, and a restart resets it) and waits until every live Sentinel reports it, which
   * takes up to 10 s (Sentinels read a replica's {@code INFO} every 10 s).
   *
   * @param node a live replica
   * @param priority 0 or more; among candidates, a lower one is preferred
   */
  public void setReplicaPriority(RedisServerProcess node, int priority) {
    try {
      Replies.ok(node, "CONFIG", "SET", "replica-priority", Integer.toString(priority));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    String port = Integer.toString(node.clientPort());
    Poll.until(
        "every Sentinel to see replica-priority " + priority + " of " + node,
        () -> {
          for (RedisServerProcess sentinel : live(sentinels())) {
            boolean seen =
                SentinelProbe.replicas(sentinel, masterName()).stream()
                    .anyMatch(
                        r ->
                            port.equals(r.get("port"))
                                && Integer.toString(priority).equals(r.get("slave-priority")));
            if (!seen) {
              return "Sentinel 127.0.0.1:" + sentinel.port() + " does not see it yet";
            }
          }
          return null;
        },
        this::describe);
  }

  /**
   * Freezes a replica ({@code SIGSTOP}) and cuts it off the master: the master closes its
   * replication link ({@code CLIENT KILL} of the connection the replica opened), so that nothing
   * written on the master after this returns reaches it, until it is resumed and reconnects. The
   * step that makes a replica lag; see the class documentation.
   *
   * @param replica a live replica of the current master
   */
  public void pauseReplica(RedisServerProcess replica) {
    RedisServerProcess master = master();
    try {
      Matcher link = LADDR.matcher(Replies.string(replica, "CLIENT", "LIST", "TYPE", "master"));
      if (replica.equals(master) || !link.find()) {
        throw new IllegalArgumentException(replica + " has no link to a master");
      }
      pause(replica);
      master.call("CLIENT", "KILL", "ADDR", link.group(1));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    Poll.until(
        "the master to drop " + replica,
        () ->
            Replies.info(master, "replication").values().stream()
                    .anyMatch(v -> v.contains("port=" + replica.clientPort() + ","))
                ? "the master still lists it"
                : null,
        this::describe);
  }

  /**
   * Freezes a process of the group ({@code SIGSTOP}); waits skip it until {@link #resume}.
   *
   * @param node a data node or a Sentinel of this group
   */
  public void pause(RedisServerProcess node) {
    member(node).pause();
    synchronized (this) {
      paused.add(node);
    }
  }

  /**
   * Resumes a process frozen by {@link #pause} or {@link #pauseReplica} ({@code SIGCONT}).
   *
   * @param node a data node or a Sentinel of this group
   */
  public void resume(RedisServerProcess node) {
    member(node).resume();
    synchronized (this) {
      paused.remove(node);
    }
  }

  /**
   * Kills a process of the group ({@code SIGKILL}); {@link RedisServerProcess#startAgain()} brings
   * it back on the same port and data (a former master then becomes a replica once the Sentinels
   * notice).
   *
   * @param node a data node or a Sentinel of this group
   */
  public void kill(RedisServerProcess node) {
    member(node).kill();
    synchronized (this) {
      paused.remove(node);
    }
  }

  /**
   * Waits until every live Sentinel names the same healthy master and knows the other Sentinels,
   * and every other live data node replicates that master with its link up, as the Sentinels see it
   * and as the node itself says.
   */
  public void awaitStable() {
    Poll.until("the Sentinel group to be stable", this::unsettled, this::describe);
  }

  /** Stops every process (also after a start that failed half-way) and deletes their data. */
  @Override
  public synchronized void close() {
    sentinels.forEach(RedisServerProcess::close);
    data.forEach(RedisServerProcess::close);
  }

  @Override
  public synchronized String toString() {
    return "RedisSentinelGroup["
        + config.masterName()
        + ", data "
        + data.stream().map(RedisServerProcess::port).toList()
        + ", sentinels "
        + sentinels.stream().map(RedisServerProcess::port).toList()
        + "]";
  }

  private RedisServerProcess member(RedisServerProcess node) {
    if (!dataNodes().contains(requireNonNull(node, "node")) && !sentinels().contains(node)) {
      throw new IllegalArgumentException(node + " is not a process of this group");
    }
    return node;
  }

  private synchronized List<RedisServerProcess> live(List<RedisServerProcess> nodes) {
    return nodes.stream().filter(n -> n.isRunning() && !paused.contains(n)).toList();
  }

  private @Nullable String unsettled() throws IOException {
    return SentinelProbe.unsettled(
        masterName(), live(sentinels()), sentinels().size(), live(dataNodes()));
  }

  synchronized String describe() {
    return SentinelProbe.describe(masterName(), data, sentinels, Set.copyOf(paused));
  }

  /** Starts the data nodes, then the Sentinels; the builder closes the group if this fails. */
  void start() {
    RedisServerProcess master = dataNode().start();
    synchronized (this) {
      data.add(master);
    }
    for (int i = 0; i < 2; i++) {
      RedisServerProcess replica =
          dataNode()
              .arguments("--replicaof", "127.0.0.1", Integer.toString(master.clientPort()))
              .start();
      synchronized (this) {
        data.add(replica);
      }
    }
    for (int i = 0; i < 3; i++) {
      RedisServerProcess.Builder sentinel =
          RedisServerProcess.builder().sentinel(config.lines(master.clientPort()));
      TlsCertificates tls = config.tls();
      if (tls != null) {
        sentinel.tls(tls);
      }
      String password = config.sentinelPassword();
      if (password != null) {
        sentinel.password(password);
      }
      RedisServerProcess started = sentinel.start();
      synchronized (this) {
        sentinels.add(started);
      }
    }
    Poll.until("the new Sentinel group to be stable", this::unsettled, this::describe);
  }

  private RedisServerProcess.Builder dataNode() {
    RedisServerProcess.Builder node = RedisServerProcess.builder().appendOnly(config.appendOnly());
    TlsCertificates tls = config.tls();
    if (tls != null) {
      node.tls(tls);
    }
    String password = config.dataPassword();
    if (password != null) {
      node.password(password).arguments("--masterauth", password);
    }
    return node;
  }
}

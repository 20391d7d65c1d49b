package dev.tokenherd.testkit;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.HashSet;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/** A replica of a Redis Cluster taking over from its master: asked for, or after a kill. */
final class ClusterFailover {
  private ClusterFailover() {}

  /** See {@link RedisCluster#failover}. */
  static void failover(RedisCluster cluster, RedisServerProcess replica) {
    ClusterView.Node before = view(replica).myself();
    String oldMaster = before.masterId();
    if (before.master() || oldMaster == null) {
      throw new IllegalArgumentException(replica + " is not a replica");
    }
    String newMaster = before.id();
    try {
      Replies.ok(replica, "CLUSTER", "FAILOVER");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    Poll.until(
        replica + " to take over from its master",
        () -> {
          ClusterView.Node me = ClusterView.of(replica).myself();
          if (!me.master() || me.slots().isEmpty()) {
            return replica + " is " + me.flags();
          }
          for (RedisServerProcess node : cluster.liveNodes()) {
            ClusterView.Node self = ClusterView.of(node).myself();
            if (self.id().equals(oldMaster) && !newMaster.equals(self.masterId())) {
              return "the old master " + node + " does not replicate " + replica + " yet";
            }
          }
          return ClusterProbe.unstable(cluster.liveNodes());
        },
        cluster::describe);
  }

  /**
   * See {@link RedisCluster#awaitPromotionAfterKill}.
   *
   * @param replicasAtKill the ids of its replicas noted when it was killed, if it was killed
   *     through the fixture; else they are read from a live node's view
   */
  static RedisServerProcess awaitPromotion(
      RedisCluster cluster, RedisServerProcess deadMaster, @Nullable Set<String> replicasAtKill) {
    if (deadMaster.isRunning()) {
      throw new IllegalArgumentException(deadMaster + " is still running");
    }
    String deadId = cluster.nodeId(deadMaster);
    Set<String> candidates = new HashSet<>();
    if (replicasAtKill != null) {
      candidates.addAll(replicasAtKill);
    } else {
      for (RedisServerProcess live : cluster.liveNodes().subList(0, 1)) {
        for (ClusterView.Node node : view(live).nodes()) {
          if (deadId.equals(node.masterId())) {
            candidates.add(node.id());
          }
        }
      }
    }
    // A replica that is down itself cannot take over.
    candidates.removeIf(
        id ->
            cluster.nodes().stream().noneMatch(n -> n.isRunning() && cluster.nodeId(n).equals(id)));
    if (candidates.isEmpty()) {
      throw new IllegalStateException(
          deadMaster + " had no running replica to promote\n" + cluster.describe());
    }
    RedisServerProcess[] promoted = new RedisServerProcess[1];
    Poll.until(
        "a replica of " + deadMaster + " to be promoted",
        () -> {
          for (RedisServerProcess node : cluster.liveNodes()) {
            ClusterView.Node me = ClusterView.of(node).myself();
            if (candidates.contains(me.id()) && me.master() && !me.slots().isEmpty()) {
              promoted[0] = node;
              return ClusterProbe.unstable(cluster.liveNodes());
            }
          }
          return "no replica of " + deadMaster + " is a master yet";
        },
        cluster::describe);
    return requireNonNull(promoted[0]);
  }

  static ClusterView view(RedisServerProcess node) {
    try {
      return ClusterView.of(node);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot ask " + node + " for CLUSTER NODES", e);
    }
  }
}

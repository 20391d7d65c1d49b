package dev.tokenherd.testkit;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * Whether a Redis Cluster is stable, and what its nodes say when it is not. Only the nodes given as
 * live (running, not paused) are asked.
 */
final class ClusterProbe {
  private ClusterProbe() {}

  /**
   * Returns {@code null} if every live node reports {@code cluster_state:ok}, no live node migrates
   * or imports a slot, all agree on who owns every slot and which live node replicates which, every
   * slot is owned by a live node, no live node sees another live node as failing or unconnected,
   * and every live replica has {@code master_link_status:up}; else the first thing that is not so.
   */
  static @Nullable String unstable(List<RedisServerProcess> live) throws IOException {
    Set<Integer> livePorts = new HashSet<>();
    live.forEach(node -> livePorts.add(node.port()));
    String agreed = null;
    ClusterView last = null;
    for (RedisServerProcess node : live) {
      String where = "127.0.0.1:" + node.port();
      Map<String, String> info = Replies.fields(Replies.string(node, "CLUSTER", "INFO"));
      if (!"ok".equals(info.get("cluster_state"))) {
        return where + " has cluster_state:" + info.get("cluster_state");
      }
      ClusterView view = ClusterView.of(node);
      if (view.hasOpenSlots()) {
        return where + " is migrating or importing a slot";
      }
      String owners = view.owners() + " " + view.roles(livePorts);
      if (agreed == null) {
        agreed = owners;
      } else if (!agreed.equals(owners)) {
        return "127.0.0.1:"
            + live.get(0).port()
            + " and "
            + where
            + " disagree on slot owners or roles: "
            + agreed
            + " / "
            + owners;
      }
      for (RedisServerProcess other : live) {
        ClusterView.Node known = view.byPort(other.port());
        if (known == null || known.failing() || !known.connected()) {
          return where
              + " sees 127.0.0.1:"
              + other.port()
              + " as "
              + (known == null
                  ? "unknown"
                  : known.flags() + (known.connected() ? "" : " unconnected"));
        }
      }
      if (!view.myself().master()) {
        String link = Replies.info(node, "replication").get("master_link_status");
        if (!"up".equals(link)) {
          return "replica " + where + " has master_link_status:" + link;
        }
      }
      last = view;
    }
    if (last != null) {
      int covered = 0;
      for (ClusterView.Node owner : last.nodes()) {
        if (!owner.slots().isEmpty()) {
          if (!livePorts.contains(owner.port()) || owner.failing()) {
            return "slots of 127.0.0.1:" + owner.port() + " " + owner.flags() + " are not served";
          }
          covered += owner.slots().cardinality();
        }
      }
      if (covered != ClusterView.SLOTS) {
        return "only " + covered + " of " + ClusterView.SLOTS + " slots are assigned";
      }
    }
    return null;
  }

  /** What every node says: its state, its view of the cluster, its replication link, its log. */
  static String describe(List<RedisServerProcess> nodes, Collection<RedisServerProcess> paused) {
    StringBuilder b = new StringBuilder();
    for (RedisServerProcess node : nodes) {
      b.append("--- 127.0.0.1:").append(node.port());
      if (!node.isRunning()) {
        b.append(" (not running) ---\n");
      } else if (paused.contains(node)) {
        b.append(" (paused) ---\n");
      } else {
        b.append(" ---\n");
        b.append(ask(node, "CLUSTER", "INFO", "cluster_state", "cluster_slots_", "cluster_known"));
        b.append(ask(node, "CLUSTER", "NODES", ""));
        b.append(
            ask(node, "INFO", "replication", "role", "master_link_status", "connected_slaves"));
      }
      b.append("log:\n").append(Poll.logTail(node, 15)).append('\n');
    }
    return b.toString();
  }

  /** A reply's lines that start with one of {@code prefixes} (all lines for {@code ""}). */
  static String ask(RedisServerProcess node, String command, String argument, String... prefixes) {
    List<String> kept = new ArrayList<>();
    try {
      for (String line : Replies.string(node, command, argument).split("\r?\n", -1)) {
        for (String prefix : prefixes) {
          if (!line.isBlank() && line.startsWith(prefix)) {
            kept.add(line.trim());
            break;
          }
        }
      }
    } catch (IOException | RuntimeException e) {
      kept.add("(" + e + ")");
    }
    return command + " " + argument + ":\n  " + String.join("\n  ", kept) + "\n";
  }
}

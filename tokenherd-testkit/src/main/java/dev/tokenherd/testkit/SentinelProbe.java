package dev.tokenherd.testkit;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * Whether a Sentinel group has settled, and what its processes say when it has not. Only live
 * processes (running, not paused) are asked.
 */
final class SentinelProbe {
  private SentinelProbe() {}

  /** The master's port by one Sentinel ({@code SENTINEL GET-MASTER-ADDR-BY-NAME}). */
  static int masterPort(RedisServerProcess sentinel, String name) throws IOException {
    List<@Nullable Object> address =
        Replies.array(sentinel, "SENTINEL", "GET-MASTER-ADDR-BY-NAME", name);
    return Integer.parseInt(String.valueOf(address.get(1)));
  }

  /** The {@code SENTINEL REPLICAS} entries of one Sentinel, as maps. */
  static List<Map<String, String>> replicas(RedisServerProcess sentinel, String name)
      throws IOException {
    List<Map<String, String>> replicas = new ArrayList<>();
    for (Object entry : Replies.array(sentinel, "SENTINEL", "REPLICAS", name)) {
      replicas.add(Replies.pairs(entry));
    }
    return replicas;
  }

  /**
   * Returns {@code null} if every live Sentinel names the same master, sees it as a healthy master
   * ({@code flags} just {@code master}), knows the other Sentinels, and sees every other live data
   * node as a healthy replica of it with its link up; that master answers {@code role:master}; and
   * every other live data node replicates it with {@code master_link_status:up}. Else the first
   * thing that is not so.
   */
  static @Nullable String unsettled(
      String name,
      List<RedisServerProcess> liveSentinels,
      int sentinels,
      List<RedisServerProcess> liveData)
      throws IOException {
    Integer agreed = null;
    for (RedisServerProcess sentinel : liveSentinels) {
      int port = masterPort(sentinel, name);
      if (agreed == null) {
        agreed = port;
      } else if (agreed != port) {
        return "Sentinels name masters 127.0.0.1:" + agreed + " and 127.0.0.1:" + port;
      }
    }
    if (agreed == null) {
      return "no Sentinel is live";
    }
    int masterPort = agreed;
    RedisServerProcess master =
        liveData.stream().filter(n -> n.clientPort() == masterPort).findFirst().orElse(null);
    if (master == null) {
      return "the master the Sentinels name, 127.0.0.1:" + masterPort + ", is not live";
    }
    if (!"master".equals(Replies.info(master, "replication").get("role"))) {
      return "127.0.0.1:" + masterPort + " is not a master yet";
    }
    for (RedisServerProcess sentinel : liveSentinels) {
      String where = "Sentinel 127.0.0.1:" + sentinel.port();
      Map<String, String> seen = Replies.pairs(sentinel.call("SENTINEL", "MASTER", name));
      if (!"master".equals(seen.get("flags"))) {
        return where + " sees the master with flags " + seen.get("flags");
      }
      int others = Replies.array(sentinel, "SENTINEL", "SENTINELS", name).size();
      if (others != sentinels - 1
          || !String.valueOf(others).equals(seen.get("num-other-sentinels"))) {
        return where + " knows " + others + " other Sentinels";
      }
      List<Map<String, String>> replicas = replicas(sentinel, name);
      for (RedisServerProcess node : liveData) {
        if (node.equals(master)) {
          continue;
        }
        Map<String, String> replica =
            replicas.stream()
                .filter(r -> String.valueOf(node.clientPort()).equals(r.get("port")))
                .findFirst()
                .orElse(Map.of());
        if (!"slave".equals(replica.get("flags"))
            || !"ok".equals(replica.get("master-link-status"))
            || !String.valueOf(masterPort).equals(replica.get("master-port"))) {
          return where + " sees replica 127.0.0.1:" + node.port() + " as " + replica;
        }
      }
    }
    for (RedisServerProcess node : liveData) {
      if (!node.equals(master)) {
        Map<String, String> replication = Replies.info(node, "replication");
        if (!String.valueOf(masterPort).equals(replication.get("master_port"))
            || !"up".equals(replication.get("master_link_status"))) {
          return "127.0.0.1:"
              + node.port()
              + " has role:"
              + replication.get("role")
              + ", master_port:"
              + replication.get("master_port")
              + ", master_link_status:"
              + replication.get("master_link_status");
        }
      }
    }
    return null;
  }

  /** What every process says: the data nodes' replication, the Sentinels' views, the logs. */
  static String describe(
      String name,
      List<RedisServerProcess> data,
      List<RedisServerProcess> sentinels,
      Collection<RedisServerProcess> paused) {
    StringBuilder b = new StringBuilder();
    for (RedisServerProcess node : data) {
      if (header(b, "data node", node, paused)) {
        b.append(
            ClusterProbe.ask(
                node, "INFO", "replication", "role", "master_port", "master_link", "slave"));
      }
      b.append("log:\n").append(Poll.logTail(node, 12)).append('\n');
    }
    for (RedisServerProcess sentinel : sentinels) {
      if (header(b, "Sentinel", sentinel, paused)) {
        try {
          Map<String, String> master = Replies.pairs(sentinel.call("SENTINEL", "MASTER", name));
          b.append("master: ")
              .append(master.get("port"))
              .append(" flags=")
              .append(master.get("flags"))
              .append(" num-slaves=")
              .append(master.get("num-slaves"))
              .append(" num-other-sentinels=")
              .append(master.get("num-other-sentinels"))
              .append('\n');
          for (Map<String, String> replica : replicas(sentinel, name)) {
            b.append("replica: ")
                .append(replica.get("port"))
                .append(" flags=")
                .append(replica.get("flags"))
                .append(" master-port=")
                .append(replica.get("master-port"))
                .append(" link=")
                .append(replica.get("master-link-status"))
                .append(" priority=")
                .append(replica.get("slave-priority"))
                .append('\n');
          }
        } catch (IOException | RuntimeException e) {
          b.append('(').append(e).append(")\n");
        }
      }
      b.append("log:\n").append(Poll.logTail(sentinel, 25)).append('\n');
    }
    return b.toString();
  }

  private static boolean header(
      StringBuilder b,
      String what,
      RedisServerProcess node,
      Collection<RedisServerProcess> paused) {
    b.append("--- ").append(what).append(" 127.0.0.1:").append(node.port());
    boolean live = node.isRunning() && !paused.contains(node);
    b.append(!node.isRunning() ? " (not running)" : live ? "" : " (paused)").append(" ---\n");
    return live;
  }
}

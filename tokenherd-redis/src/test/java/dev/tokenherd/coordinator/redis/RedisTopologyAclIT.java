package dev.tokenherd.coordinator.redis;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tokenherd.testkit.Closer;
import dev.tokenherd.testkit.RedisBinary;
import dev.tokenherd.testkit.RedisCluster;
import dev.tokenherd.testkit.RedisSentinelGroup;
import dev.tokenherd.testkit.RedisServerProcess;
import dev.tokenherd.testkit.RespClient;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The narrowest ACLs for a Redis Cluster fleet and a Sentinel fleet (docs/redis.md), found as
 * {@code RedisBackendIT} found the standalone one: an ACL user on every node (and Sentinel), a
 * fleet run through a seed, a refresh through the lock and a write that waits for a replica, then
 * {@code ACL LOG} read on every node, where nothing may be denied but what is documented harmless.
 */
final class RedisTopologyAclIT {
  private static final String USER = "tokenherd";
  private static final String PASSWORD = "pw-Tq47-secret";
  private static final String SENTINEL_PASSWORD = "pw-Sn83-secret";
  private static final String ADMIN_PASSWORD = "admin-Vx30-secret";
  private static final String SENTINEL_ADMIN_PASSWORD = "sentinel-Kp52-secret";

  /**
   * A cluster's data nodes: the standalone rules with the shard channels of the notices instead of
   * classic pub/sub ({@code SPUBLISH} in the store's script, the feed's {@code SSUBSCRIBE} and
   * {@code SUNSUBSCRIBE}; {@code PUBLISH} stays for the lock's release script); {@code CLUSTER
   * MYID} in the store's script, so that {@code WAIT} goes to the node that applied a write; {@code
   * CLUSTER NODES} and {@code INFO}, how the clients learn the layout (Lettuce's topology refresh
   * asks both, Redisson's scan the first) and how Redisson's lock learns a master's replicas, which
   * it waits for after taking the lock.
   */
  static final String[] CLUSTER_RULES =
      rules(
          Stream.of(RedisBackendIT.ACL_RULES)
              .filter(rule -> !rule.equals("+subscribe") && !rule.equals("+unsubscribe"))
              .toList(),
          "+spublish",
          "+ssubscribe",
          "+sunsubscribe",
          "+cluster|myid",
          "+cluster|nodes",
          "+info");

  /**
   * A Sentinel group's data nodes: the standalone rules and {@code INFO} (Redisson's lock reads the
   * master's replicas and AOF setting there before it waits for them after taking the lock).
   */
  static final String[] SENTINEL_DATA_RULES = rules(List.of(RedisBackendIT.ACL_RULES), "+info");

  /**
   * The Sentinels' own user: Lettuce asks for the master's address; Redisson too, and for the other
   * Sentinels and the replicas (its topology scan, {@code SENTINEL SLAVES} by its old name), and
   * pings each Sentinel when it connects. No channel: neither client subscribes to a Sentinel.
   */
  static final String[] SENTINEL_RULES = {
    "resetkeys",
    "resetchannels",
    "-@all",
    "+sentinel|get-master-addr-by-name",
    "+sentinel|sentinels",
    "+sentinel|slaves",
    "+ping",
  };

  /**
   * What Redis 7.2 and newer need besides, and 7.0 refuses as rules of unknown commands: Lettuce
   * names its connections with {@code CLIENT SETINFO} (to the Sentinels too), and Redisson's lock
   * asks whether {@code WAITAOF} works, and waits with it where the master has an append-only file.
   */
  static final List<String> DATA_RULES_SINCE_7_2 = List.of("+client|setinfo", "+waitaof");

  static final List<String> SENTINEL_RULES_SINCE_7_2 = List.of("+client|setinfo");

  /**
   * Denials that change nothing, as docs/redis.md says: the eviction check's {@code CONFIG GET} (it
   * then warns that it could not check); on a cluster, Lettuce's {@code CLIENT SETNAME} on its
   * topology-refresh connections (it ignores the answer) and Redisson's start-up probe for pattern
   * subscriptions ({@code PUBSUB NUMPAT}; Tokenherd subscribes to no pattern); on one server or a
   * Sentinel group's, Redisson's cluster probe (an {@code EVAL} on the keys test1 and test2).
   */
  private static final Set<String> HARMLESS_ON_CLUSTER =
      Set.of("config|get", "client|setname", "pubsub|numpat");

  private static final Set<String> HARMLESS_ON_SENTINEL_DATA =
      Set.of("config|get", "test1", "test2");

  private final Closer resources = new Closer();

  @AfterEach
  void tearDown() throws Exception {
    resources.close();
  }

  @Test
  void cluster_aclUserWithTheClusterRules_servesWithNoDeniedCommand() throws Exception {
    RedisCluster cluster = resources.add(RedisCluster.builder().password(ADMIN_PASSWORD).start());
    List<Node> nodes =
        Node.withUser(
            cluster.nodes(),
            ADMIN_PASSWORD,
            PASSWORD,
            rules(List.of(CLUSTER_RULES), since72(DATA_RULES_SINCE_7_2)),
            HARMLESS_ON_CLUSTER);
    List<String> seeds = cluster.nodes().stream().map(n -> "127.0.0.1:" + n.port()).toList();

    FleetRoundTrip.servesEndToEnd(
        () ->
            RedisBackend.builder()
                .cluster(seeds)
                .credentials(USER, PASSWORD)
                .waitForReplicas(1, Duration.ofMillis(500)));

    assertNothingDenied(nodes);
  }

  @Test
  void sentinel_aclUsersWithTheSentinelRules_serveWithNoDeniedCommand() throws Exception {
    RedisSentinelGroup group =
        resources.add(
            RedisSentinelGroup.builder()
                .dataPassword(ADMIN_PASSWORD)
                .sentinelPassword(SENTINEL_ADMIN_PASSWORD)
                .start());
    List<Node> nodes = new ArrayList<>();
    nodes.addAll(
        Node.withUser(
            group.dataNodes(),
            ADMIN_PASSWORD,
            PASSWORD,
            rules(List.of(SENTINEL_DATA_RULES), since72(DATA_RULES_SINCE_7_2)),
            HARMLESS_ON_SENTINEL_DATA));
    nodes.addAll(
        Node.withUser(
            group.sentinels(),
            SENTINEL_ADMIN_PASSWORD,
            SENTINEL_PASSWORD,
            rules(List.of(SENTINEL_RULES), since72(SENTINEL_RULES_SINCE_7_2)),
            Set.of()));
    List<String> sentinels =
        group.sentinelAddresses().stream().map(a -> "127.0.0.1:" + a.getPort()).toList();

    FleetRoundTrip.servesEndToEnd(
        () ->
            RedisBackend.builder()
                .sentinel(group.masterName(), sentinels)
                .credentials(USER, PASSWORD)
                .sentinelCredentials(USER, SENTINEL_PASSWORD)
                .waitForReplicas(1, Duration.ofMillis(500)));

    assertNothingDenied(nodes);
  }

  /** Asserts that no node's {@code ACL LOG} holds a denial but its harmless ones. */
  private static void assertNothingDenied(List<Node> nodes) throws IOException {
    List<String> denied = new ArrayList<>();
    for (Node node : nodes) {
      for (Map<String, @Nullable Object> entry : node.aclLog()) {
        if (!node.harmless().contains(String.valueOf(entry.get("object")))) {
          denied.add(
              node
                  + ": "
                  + entry.get("reason")
                  + " '"
                  + entry.get("object")
                  + "' ("
                  + entry.get("context")
                  + ", user "
                  + entry.get("username")
                  + ", "
                  + entry.get("count")
                  + " times; client "
                  + entry.get("client-info")
                  + ")");
        }
      }
    }
    assertThat(denied).as("ACL LOG denials").isEmpty();
  }

  private static String[] rules(List<String> base, List<String> more) {
    return Stream.concat(base.stream(), more.stream()).toArray(String[]::new);
  }

  private static String[] rules(List<String> base, String... more) {
    return rules(base, List.of(more));
  }

  /** {@code rules} on Redis 7.2 and newer, else none. */
  private static List<String> since72(List<String> rules) {
    return RedisBinary.resolve().atLeast(7, 2) ? rules : List.of();
  }

  /**
   * A data node or a Sentinel with the user {@value #USER}, asked as its default user (the
   * administrator).
   */
  private record Node(RedisServerProcess process, String adminPassword, Set<String> harmless) {
    /** Creates the user on each process and clears its {@code ACL LOG}. */
    static List<Node> withUser(
        List<RedisServerProcess> processes,
        String adminPassword,
        String password,
        String[] rules,
        Set<String> harmless)
        throws IOException {
      List<Node> nodes = new ArrayList<>();
      for (RedisServerProcess process : processes) {
        Node node = new Node(process, adminPassword, harmless);
        List<String> command =
            new ArrayList<>(List.of("ACL", "SETUSER", USER, "on", ">" + password));
        command.addAll(List.of(rules));
        assertThat(node.call(command)).as("ACL SETUSER on " + node).isEqualTo("OK");
        assertThat(node.call(List.of("ACL", "LOG", "RESET"))).isEqualTo("OK");
        nodes.add(node);
      }
      return nodes;
    }

    @Nullable Object call(List<String> command) throws IOException {
      return RespClient.call(
          new InetSocketAddress(InetAddress.getLoopbackAddress(), process.port()),
          adminPassword,
          command);
    }

    List<Map<String, @Nullable Object>> aclLog() throws IOException {
      Object reply = call(List.of("ACL", "LOG", "128"));
      if (!(reply instanceof List<?> entries)) {
        throw new IllegalStateException("ACL LOG on " + this + " answered " + reply);
      }
      List<Map<String, @Nullable Object>> log = new ArrayList<>();
      for (Object entry : entries) {
        List<?> fields = (List<?>) entry;
        Map<String, @Nullable Object> map = new LinkedHashMap<>();
        for (int i = 0; i + 1 < fields.size(); i += 2) {
          map.put(String.valueOf(fields.get(i)), fields.get(i + 1));
        }
        log.add(map);
      }
      return log;
    }

    @Override
    public String toString() {
      return "127.0.0.1:" + process.port();
    }
  }
}

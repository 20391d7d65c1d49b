package dev.tokenherd.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

final class RedisClusterIT {

  @Test
  void start_threeMastersWithAReplicaEach_servesEverySlotAndRedirects() throws IOException {
    try (RedisCluster cluster = RedisCluster.builder().start()) {
      assertThat(cluster.nodes()).hasSize(6);
      assertThat(cluster.seeds())
          .hasSize(6)
          .allSatisfy(uri -> assertThat(uri.toString()).matches("redis://127\\.0\\.0\\.1:\\d+"));
      List<RedisServerProcess> masters = cluster.masters();
      assertThat(masters).hasSize(3);
      for (RedisServerProcess master : masters) {
        assertThat(cluster.replicasOf(master)).hasSize(1);
        assertThat(cluster.nodeId(master)).hasSize(40);
      }

      String key = "{user-1}:token";
      int slot = RedisCluster.slot(key);
      RedisServerProcess owner = cluster.masterOf(slot);
      assertThat(owner.call("CLUSTER", "KEYSLOT", key)).isEqualTo((long) slot);
      assertThat(owner.command("SET", key, "v1")).isEqualTo("+OK");
      RedisServerProcess other = masters.stream().filter(m -> !m.equals(owner)).findFirst().get();
      assertThat(other.command("GET", key))
          .isEqualTo("-MOVED " + slot + " 127.0.0.1:" + owner.port());
      assertThat(cluster.toString()).contains("3 masters");
    }
  }

  @Test
  void pauseAndKill_checksSkipThoseNodes_andDiagnosticsSayWhatEachNodeIs() {
    try (RedisCluster cluster = RedisCluster.builder().start();
        RedisServerProcess stranger = RedisServerProcess.builder().appendOnly(false).start()) {
      RedisServerProcess master = cluster.masters().get(0);
      RedisServerProcess replica = cluster.replicasOf(master).get(0);

      cluster.pause(replica);
      cluster.awaitStable();
      assertThat(cluster.describe())
          .contains("127.0.0.1:" + replica.port() + " (paused)")
          .contains("cluster_state:ok")
          .contains("myself");
      cluster.resume(replica);
      cluster.awaitStable();
      cluster.kill(replica);
      assertThat(cluster.describe()).contains("127.0.0.1:" + replica.port() + " (not running)");
      assertThat(cluster.replicasOf(master)).containsExactly(replica); // still known, as failed

      assertThatThrownBy(() -> cluster.awaitPromotionAfterKill(master))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("still running");
      cluster.kill(master); // its only replica is dead: nothing to promote
      assertThatThrownBy(() -> cluster.awaitPromotionAfterKill(master))
          .isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("had no running replica to promote");
      assertThatThrownBy(() -> cluster.nodeId(stranger))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("not a node of this cluster");
    }
  }

  @Test
  void kill_aMaster_itsReplicaIsPromotedWithTheData_andTheOldMasterRejoinsAsItsReplica()
      throws IOException {
    try (RedisCluster cluster = RedisCluster.builder().start()) {
      String key = "{kill}:k";
      RedisServerProcess master = cluster.masterOf(RedisCluster.slot(key));
      RedisServerProcess replica = cluster.replicasOf(master).get(0);
      assertThat(master.command("SET", key, "kept")).isEqualTo("+OK");
      assertThat(master.command("WAIT", "1", "0")).isEqualTo(":1");

      cluster.kill(master);
      RedisServerProcess promoted = cluster.awaitPromotionAfterKill(master);

      assertThat(promoted).isEqualTo(replica);
      assertThat(cluster.awaitPromotionAfterKill(master)).isEqualTo(replica); // already done
      assertThat(cluster.masterOf(RedisCluster.slot(key))).isEqualTo(replica);
      assertThat(promoted.call("GET", key)).isEqualTo("kept");

      master.startAgain();
      cluster.awaitStable();
      assertThat(cluster.replicasOf(promoted)).containsExactly(master);
    }
  }

  @Test
  void failover_aReplica_becomesMasterAndItsOldMasterItsReplica() {
    try (RedisCluster cluster = RedisCluster.builder().start()) {
      RedisServerProcess master = cluster.masters().get(0);
      RedisServerProcess replica = cluster.replicasOf(master).get(0);

      cluster.failover(replica);

      assertThat(cluster.masters()).contains(replica).doesNotContain(master);
      assertThat(cluster.replicasOf(replica)).containsExactly(master);
      assertThatThrownBy(() -> cluster.failover(replica))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("is not a replica");
    }
  }

  @Test
  void migrateSlot_movesTheKeys_answersAskWhileMigratingAndMovedAfter() throws IOException {
    try (RedisCluster cluster = RedisCluster.builder().replicasPerMaster(0).start()) {
      String key = "{migrate}:k";
      String absent = "{migrate}:absent";
      int slot = RedisCluster.slot(key);
      RedisServerProcess source = cluster.masterOf(slot);
      RedisServerProcess target =
          cluster.masters().stream().filter(m -> !m.equals(source)).findFirst().get();
      source.command("SET", key, "moved");
      for (int i = 0; i < 150; i++) { // two MIGRATE batches
        source.command("SET", "{migrate}:" + i, Integer.toString(i));
      }
      List<Object> seen = new ArrayList<>();
      String ask = "ASK " + slot + " 127.0.0.1:" + target.port();

      cluster.migrateSlot(
          slot,
          target,
          () -> {
            seen.add(call(source, "GET", key));
            seen.add(call(source, "GET", absent));
          },
          () -> seen.add(call(source, "GET", key)));

      assertThat(seen)
          .containsExactly("moved", new RespClient.ErrorReply(ask), new RespClient.ErrorReply(ask));
      assertThat(cluster.masterOf(slot)).isEqualTo(target);
      assertThat(source.command("GET", key))
          .isEqualTo("-MOVED " + slot + " 127.0.0.1:" + target.port());
      assertThat(target.call("GET", key)).isEqualTo("moved");
      assertThat(target.call("GET", "{migrate}:149")).isEqualTo("149");
      assertThatThrownBy(() -> cluster.migrateSlot(slot, target))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("already owns slot");
    }
  }

  @Test
  void start_withoutRedisCli_andAPassword_createsTheClusterWithCommands() throws IOException {
    try (RedisCluster cluster =
        RedisCluster.builder().useRedisCli(false).password("cluster-secret").start()) {
      assertThat(cluster.masters()).hasSize(3);
      assertThat(cluster.nodes())
          .allSatisfy(n -> assertThat(cluster.replicasOf(n)).hasSizeLessThan(2));
      URI seed = cluster.seeds().get(0);
      assertThat(seed.getUserInfo()).isEqualTo(":cluster-secret");
      assertThat(cluster.toString()).doesNotContain("cluster-secret");

      String key = "{auth}:k";
      int slot = RedisCluster.slot(key);
      RedisServerProcess source = cluster.masterOf(slot);
      source.command("SET", key, "v");
      RedisServerProcess target =
          cluster.masters().stream().filter(m -> !m.equals(source)).findFirst().get();
      cluster.migrateSlot(slot, target); // MIGRATE ... AUTH

      assertThat(target.call("GET", key)).isEqualTo("v");
      assertThat(cluster.replicasOf(target).get(0).call("READONLY")).isEqualTo("OK");
    }
  }

  @Test
  void start_nodesWithoutClusterSupport_failsWithWhatTheNodesSaid() {
    assertThatThrownBy(
            () ->
                RedisCluster.builder()
                    .useRedisCli(false)
                    .replicasPerMaster(0)
                    .arguments("--cluster-enabled", "no")
                    .start())
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("cluster support disabled");
  }

  @Test
  void builder_rejectsImpossibleTopologies() {
    assertThatThrownBy(() -> RedisCluster.builder().masters(2))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> RedisCluster.builder().replicasPerMaster(-1))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> RedisCluster.builder().nodeTimeout(java.time.Duration.ZERO))
        .isInstanceOf(IllegalArgumentException.class);
  }

  private static Object call(RedisServerProcess node, String... arguments) {
    try {
      return java.util.Objects.requireNonNull(node.call(arguments));
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }
}

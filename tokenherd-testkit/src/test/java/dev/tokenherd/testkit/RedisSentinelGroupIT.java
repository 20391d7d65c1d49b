package dev.tokenherd.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.InstanceOfAssertFactories.LIST;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

final class RedisSentinelGroupIT {

  @Test
  void start_everySentinelKnowsTheMasterBothReplicasAndTheOtherSentinels() throws IOException {
    try (RedisSentinelGroup group = RedisSentinelGroup.builder().start()) {
      RedisServerProcess master = group.master();
      assertThat(master).isEqualTo(group.dataNodes().get(0));
      assertThat(group.replicas()).hasSize(2).doesNotContain(master);
      assertThat(group.masterName()).isEqualTo("tokenherd");
      List<InetSocketAddress> addresses = group.sentinelAddresses();
      assertThat(addresses).hasSize(3);
      for (RedisServerProcess sentinel : group.sentinels()) {
        assertThat(Replies.pairs(sentinel.call("SENTINEL", "MASTER", "tokenherd")))
            .containsEntry("num-slaves", "2")
            .containsEntry("num-other-sentinels", "2")
            .containsEntry("port", Integer.toString(master.port()));
        assertThat(addresses).anyMatch(a -> a.getPort() == sentinel.port());
      }
      assertThat(master.command("SET", "k", "v")).isEqualTo("+OK");
      assertThat(master.command("WAIT", "2", "0")).isEqualTo(":2");

      RedisServerProcess sentinel = group.sentinels().get(2);
      group.pause(sentinel);
      group.awaitStable();
      assertThat(group.master()).isEqualTo(master); // two of three are a majority
      assertThat(group.describe())
          .contains("Sentinel 127.0.0.1:" + sentinel.port() + " (paused)")
          .contains("num-other-sentinels=2")
          .contains("role:master")
          .contains("+monitor master tokenherd");
      group.resume(sentinel);
      group.awaitStable();
      assertThatThrownBy(() -> group.pauseReplica(master))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("no link to a master");
    }
  }

  @Test
  void members_mustBelongToTheGroup() {
    try (RedisServerProcess stranger = RedisServerProcess.builder().appendOnly(false).start();
        RedisSentinelGroup group = RedisSentinelGroup.builder().appendOnly(false).start()) {
      assertThatThrownBy(() -> group.kill(stranger))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("not a process of this group");
      RedisServerProcess replica = group.replicas().get(0);
      group.kill(replica);
      assertThat(group.describe()).contains("127.0.0.1:" + replica.port() + " (not running)");
      replica.startAgain();
      group.awaitStable();
      assertThat(group.replicas()).contains(replica);
    }
  }

  @Test
  void failover_promotesAReplica_andTheOldMasterReplicatesIt() throws IOException {
    try (RedisSentinelGroup group = RedisSentinelGroup.builder().start()) {
      RedisServerProcess old = group.master();
      old.command("SET", "k", "v");
      old.command("WAIT", "2", "0");

      RedisServerProcess promoted = group.failover();

      assertThat(promoted).isNotEqualTo(old);
      assertThat(group.master()).isEqualTo(promoted);
      assertThat(group.replicas()).contains(old);
      assertThat(promoted.call("ROLE")).asInstanceOf(LIST).first().isEqualTo("master");
      assertThat(old.call("ROLE")).asInstanceOf(LIST).first().isEqualTo("slave");
      assertThat(promoted.call("GET", "k")).isEqualTo("v");
    }
  }

  /**
   * The recipe in {@link RedisSentinelGroup}'s documentation: a replica cut off while paused, then
   * promoted, has lost what the master acknowledged meanwhile.
   */
  @Test
  void laggingReplicaPromoted_writesItNeverReceivedAreRolledBack() throws IOException {
    try (RedisSentinelGroup group = RedisSentinelGroup.builder().start()) {
      RedisServerProcess master = group.master();
      RedisServerProcess lagging = group.replicas().get(0);
      RedisServerProcess other = group.replicas().get(1);
      assertThat(master.command("SET", "before", "kept")).isEqualTo("+OK");
      assertThat(master.command("WAIT", "2", "0")).isEqualTo(":2");
      group.setReplicaPriority(other, 0);

      long start = System.nanoTime();
      group.pauseReplica(lagging);
      assertThat(master.command("SET", "lost", "x")).isEqualTo("+OK");
      assertThat(master.command("WAIT", "1", "0")).isEqualTo(":1"); // the other replica has it
      group.kill(master);
      long killed = System.nanoTime();
      group.resume(lagging);
      RedisServerProcess promoted = group.awaitNewMasterAfter(master);
      System.err.printf(
          "RedisSentinelGroupIT: lagging replica promoted, the group settled %d ms after the pause,"
              + " %d ms after the kill%n",
          Duration.ofNanos(System.nanoTime() - start).toMillis(),
          Duration.ofNanos(System.nanoTime() - killed).toMillis());

      assertThat(promoted).isEqualTo(lagging);
      assertThat(promoted.call("GET", "before")).isEqualTo("kept");
      assertThat(promoted.call("GET", "lost")).isNull();
      assertThat(other.call("GET", "lost")).isNull(); // resynchronised from the new master
      assertThat(group.replicas()).containsExactlyInAnyOrder(master, other);
    }
  }

  @Test
  void passwords_dataAndSentinelsEachRequireTheirOwn() throws IOException {
    try (RedisSentinelGroup group =
        RedisSentinelGroup.builder()
            .masterName("secured")
            .dataPassword("data-secret")
            .sentinelPassword("sentinel-secret")
            .downAfter(Duration.ofMillis(1500))
            .failoverTimeout(Duration.ofSeconds(6))
            .appendOnly(false)
            .start()) {
      RedisServerProcess sentinel = group.sentinels().get(0);
      InetSocketAddress address = group.sentinelAddresses().get(0);
      assertThat(RespClient.call(address, null, List.of("PING")))
          .isEqualTo(new RespClient.ErrorReply("NOAUTH Authentication required."));
      assertThat(sentinel.call("SENTINEL", "GET-MASTER-ADDR-BY-NAME", "secured"))
          .asInstanceOf(LIST)
          .containsExactly("127.0.0.1", Integer.toString(group.master().port()));
      assertThat(group.master().uri().getUserInfo()).isEqualTo(":data-secret");
      assertThat(group.toString()).doesNotContain("secret");
    }
  }

  @Test
  void builder_rejectsBadSettings() {
    assertThatThrownBy(() -> RedisSentinelGroup.builder().masterName("two words"))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> RedisSentinelGroup.builder().downAfter(Duration.ZERO))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> RedisSentinelGroup.builder().failoverTimeout(Duration.ofMillis(-1)))
        .isInstanceOf(IllegalArgumentException.class);
  }
}

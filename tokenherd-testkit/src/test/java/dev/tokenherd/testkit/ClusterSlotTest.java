package dev.tokenherd.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

final class ClusterSlotTest {

  @Test
  void crc16_isXmodem() {
    byte[] check = "123456789".getBytes(StandardCharsets.US_ASCII);
    assertThat(ClusterSlot.crc16(check, 0, check.length)).isEqualTo(0x31C3);
  }

  @Test
  void slot_ofPlainKeys_asRedisComputesIt() {
    assertThat(RedisCluster.slot("foo")).isEqualTo(12182);
    assertThat(RedisCluster.slot("bar")).isEqualTo(5061);
    assertThat(RedisCluster.slot("")).isZero();
  }

  @Test
  void slot_hashesOnlyTheFirstNonEmptyHashTag() {
    assertThat(RedisCluster.slot("{user1000}.following"))
        .isEqualTo(RedisCluster.slot("{user1000}.followers"))
        .isEqualTo(RedisCluster.slot("user1000"));
    assertThat(RedisCluster.slot("foo{bar}{zap}")).isEqualTo(RedisCluster.slot("bar"));
    assertThat(RedisCluster.slot("foo{{bar}}zap")).isEqualTo(RedisCluster.slot("{bar"));
    // An empty tag, or a { without a } after it: the whole key is hashed.
    assertThat(RedisCluster.slot("foo{}{bar}"))
        .isEqualTo(ClusterSlot.crc16(bytes("foo{}{bar}"), 0, 10) % 16384);
    assertThat(RedisCluster.slot("foo{bar"))
        .isEqualTo(ClusterSlot.crc16(bytes("foo{bar"), 0, 7) % 16384);
    assertThat(RedisCluster.slot("}foo{bar}")).isEqualTo(RedisCluster.slot("bar"));
  }

  private static byte[] bytes(String text) {
    return text.getBytes(StandardCharsets.UTF_8);
  }
}

package dev.tokenherd.coordinator.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.lettuce.core.RedisCredentials;
import io.lettuce.core.RedisURI;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** How a backend's deployment is described and validated, before any connection is made. */
class RedisTargetTest {
  private static final Duration TIMEOUT = Duration.ofSeconds(2);

  private static RedisCredentials credentials(RedisURI uri) {
    return uri.getCredentialsProvider().resolveCredentials().block();
  }

  @Test
  void aStandaloneUri_keepsItsCredentialsApart_andNeverShowsThePassword() {
    RedisTarget target = RedisTarget.parse("rediss://app:s3cret@cache.internal:6380/2");

    assertThat(target.topology()).isEqualTo(RedisTarget.Topology.STANDALONE);
    assertThat(target.username()).isEqualTo("app");
    assertThat(target.password()).isEqualTo("s3cret");
    assertThat(target.ssl()).isTrue();
    assertThat(target.database()).isEqualTo(2);
    assertThat(target.redissonAddresses()).containsExactly("rediss://cache.internal:6380");
    RedisURI lettuce = target.lettuceUri(TIMEOUT);
    assertThat(lettuce.getHost()).isEqualTo("cache.internal");
    assertThat(lettuce.isSsl()).isTrue();
    assertThat(lettuce.getTimeout()).isEqualTo(TIMEOUT);
    assertThat(target.toString())
        .contains("cache.internal:6380", "user=app", "tls")
        .doesNotContain("s3cret");
  }

  @Test
  void aSentinelTarget_givesEachSentinelItsOwnCredentials() {
    RedisTarget target =
        new RedisTarget(
            RedisTarget.Topology.SENTINEL,
            List.of(
                RedisTarget.HostPort.parse("s1", 26379),
                RedisTarget.HostPort.parse("s2:26380", 26379)),
            "tokenherd",
            "app",
            "data-secret",
            null,
            "sentinel-secret",
            false,
            3);

    RedisURI uri = target.lettuceUri(TIMEOUT);
    assertThat(uri.getSentinelMasterId()).isEqualTo("tokenherd");
    assertThat(uri.getDatabase()).isEqualTo(3);
    assertThat(credentials(uri).getUsername()).isEqualTo("app");
    assertThat(uri.getSentinels())
        .extracting(RedisURI::getHost, RedisURI::getPort)
        .containsExactly(
            org.assertj.core.groups.Tuple.tuple("s1", 26379),
            org.assertj.core.groups.Tuple.tuple("s2", 26380));
    assertThat(uri.getSentinels())
        .allSatisfy(
            s -> assertThat(new String(credentials(s).getPassword())).isEqualTo("sentinel-secret"));
    assertThat(target.address())
        .isEqualTo("the master 'tokenherd' of the sentinels s1:26379,s2:26380");
    assertThat(target.toString()).doesNotContain("secret");
  }

  @Test
  void aClusterTarget_seedsEveryNode_withTheDataNodesCredentials() {
    RedisTarget target =
        new RedisTarget(
            RedisTarget.Topology.CLUSTER,
            List.of(
                RedisTarget.HostPort.parse("10.0.0.1:7000", 6379),
                RedisTarget.HostPort.parse("[::1]:7001", 6379)),
            null,
            null,
            "pw",
            null,
            null,
            true,
            0);

    assertThat(target.clusterUris(TIMEOUT))
        .allSatisfy(
            uri -> {
              assertThat(uri.isSsl()).isTrue();
              assertThat(new String(credentials(uri).getPassword())).isEqualTo("pw");
              assertThat(uri.getTimeout()).isEqualTo(TIMEOUT);
            });
    assertThat(target.redissonAddresses())
        .containsExactly("rediss://10.0.0.1:7000", "rediss://[::1]:7001");
    assertThat(target.address()).isEqualTo("the cluster of 10.0.0.1:7000,[::1]:7001");
    assertThatThrownBy(() -> target.lettuceUri(TIMEOUT)).isInstanceOf(IllegalStateException.class);
  }

  @Test
  void badTargets_areRefusedNamingWhatIsWrong() {
    assertThatThrownBy(() -> RedisTarget.HostPort.parse("app:s3cret@host:1", 6379))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("no scheme, user or path")
        .hasMessageNotContaining("s3cret");
    assertThatThrownBy(() -> RedisTarget.HostPort.parse("host:99999", 6379))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> RedisTarget.HostPort.parse("a b", 6379))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> RedisTarget.parse("redis://:pa/ss@wo:rd@"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageNotContaining("pa/ss")
        .hasMessageNotContaining("wo:rd");
    assertThat(RedisTarget.redactUserInfo("redis://:p@ss/w@rd@host:1/0"))
        .isEqualTo("redis://***@host:1/0");
    assertThatThrownBy(() -> RedisTarget.parse("redis-sentinel://:pw@s1:26379#m"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("sentinel(...)")
        .hasMessageNotContaining("pw@");
    List<RedisTarget.HostPort> one = List.of(RedisTarget.HostPort.parse("h", 1));
    assertThatThrownBy(
            () ->
                new RedisTarget(
                    RedisTarget.Topology.CLUSTER, one, null, null, null, null, null, false, 1))
        .hasMessageContaining("database 0 only");
    assertThatThrownBy(
            () ->
                new RedisTarget(
                    RedisTarget.Topology.SENTINEL, one, null, null, null, null, null, false, 0))
        .hasMessageContaining("master name");
    assertThatThrownBy(
            () ->
                new RedisTarget(
                    RedisTarget.Topology.STANDALONE,
                    List.of(),
                    null,
                    null,
                    null,
                    null,
                    null,
                    false,
                    0))
        .hasMessageContaining("no server address");
  }

  @Test
  void theBuilder_refusesCredentialsBesideAUri_andBadTopologySettings() {
    assertThatThrownBy(
            () ->
                RedisBackend.builder()
                    .uri("redis://127.0.0.1:1")
                    .credentials("app", "secret")
                    .build())
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("put credentials")
        .hasMessageNotContaining("secret\"");
    assertThatThrownBy(() -> RedisBackend.builder().sentinel(" ", List.of("s:1")))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> RedisBackend.builder().cluster(List.of()))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> RedisBackend.builder().cluster(List.of("not an address")))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> RedisBackend.builder().database(-1))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(
            () -> RedisBackend.builder().cluster(List.of("127.0.0.1:1")).database(1).build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("database 0 only");
    assertThatThrownBy(
            () ->
                RedisBackend.builder()
                    .uri("redis://127.0.0.1:1")
                    .commandTimeout(Duration.ofSeconds(1))
                    .waitForReplicas(1, Duration.ofSeconds(1))
                    .build())
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("shorter than the command timeout");
    assertThatThrownBy(() -> RedisBackend.builder().build())
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("sentinel(...) or cluster(...)");
  }
}

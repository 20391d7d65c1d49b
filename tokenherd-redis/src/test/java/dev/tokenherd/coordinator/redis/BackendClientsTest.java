package dev.tokenherd.coordinator.redis;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tokenherd.coordinator.redis.RedisTarget.HostPort;
import dev.tokenherd.coordinator.redis.RedisTarget.Topology;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * What {@link BackendClients#connectFailure} says when a Sentinel or Cluster deployment refuses.
 */
final class BackendClientsTest {
  private static final String PASSWORD = "pw-Hq19-secret";

  private static RedisTarget target(Topology topology) {
    return new RedisTarget(
        topology,
        List.of(new HostPort("127.0.0.1", 7000)),
        topology == Topology.SENTINEL ? "mymaster" : null,
        "tokenherd",
        PASSWORD,
        "tokenherd",
        PASSWORD,
        false,
        0);
  }

  private static RuntimeException refusedWhileConnecting(String reply) {
    return new org.redisson.client.RedisConnectionException(
        "Can't connect to servers!",
        new org.redisson.client.RedisException(
            reply + ". channel: [id: 0x1] command: (CLUSTER NODES), params: []"));
  }

  @Test
  void commandRefusedWhileConnecting_isAnAclRule_notTheCredentials() {
    RuntimeException failure =
        BackendClients.connectFailure(
            target(Topology.CLUSTER),
            refusedWhileConnecting(
                "NOPERM this user has no permissions to run the 'cluster|nodes' command"));

    assertThat(failure)
        .isInstanceOf(io.lettuce.core.RedisConnectionException.class)
        .hasMessage(
            "Redis at the cluster of 127.0.0.1:7000 refused a command of the clients while"
                + " connecting (user 'tokenherd'): NOPERM this user has no permissions to run the"
                + " 'cluster|nodes' command (docs/redis.md lists the ACL rules of each topology)");
  }

  @Test
  void wrongPassword_ofASentinelDeployment_namesNoUri() {
    RuntimeException failure =
        BackendClients.connectFailure(
            target(Topology.SENTINEL),
            refusedWhileConnecting("WRONGPASS invalid username-password pair or user is disabled"));

    assertThat(failure.getMessage())
        .startsWith(
            "Redis at the master 'mymaster' of the sentinels 127.0.0.1:7000 refused the"
                + " credentials (user 'tokenherd'): WRONGPASS")
        .doesNotContain(PASSWORD);
  }
}

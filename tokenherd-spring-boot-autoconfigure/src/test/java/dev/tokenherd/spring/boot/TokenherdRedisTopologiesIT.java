package dev.tokenherd.spring.boot;

import static java.util.stream.Collectors.joining;
import static org.assertj.core.api.Assertions.assertThat;

import dev.tokenherd.coordinator.redis.RedisBackend;
import dev.tokenherd.testkit.FakeAuthorizationServer;
import dev.tokenherd.testkit.RedisCluster;
import dev.tokenherd.testkit.RedisSentinelGroup;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.security.oauth2.client.OAuth2AuthorizedClientManager;

/**
 * The starter on a real Redis Cluster and a real Sentinel group, configured only through Boot's
 * {@code spring.data.redis.cluster.*} and {@code spring.data.redis.sentinel.*}: two instances get
 * one token, from one token request. Each test starts six redis-server processes.
 */
final class TokenherdRedisTopologiesIT {
  private final FakeAuthorizationServer server = FakeAuthorizationServer.builder().start();

  private final ApplicationContextRunner runner =
      new ApplicationContextRunner()
          .withConfiguration(Starter.AUTO_CONFIGURATIONS)
          .withPropertyValues(Starter.clientCredentials("billing", server))
          .withPropertyValues("tokenherd.redis.namespace=it", "tokenherd.policy.wait-timeout=10s");

  @AfterEach
  void stop() {
    server.close();
  }

  @Test
  void clusterNodes_twoInstancesShareOneToken() {
    try (RedisCluster cluster = RedisCluster.builder().start()) {
      String nodes =
          cluster.seeds().stream().map(u -> u.getHost() + ":" + u.getPort()).collect(joining(","));

      assertTwoInstancesShareOneToken(
          runner.withPropertyValues("spring.data.redis.cluster.nodes=" + nodes));
    }
  }

  @Test
  void sentinelMasterAndNodes_withADataAndASentinelPassword_twoInstancesShareOneToken() {
    try (RedisSentinelGroup group =
        RedisSentinelGroup.builder()
            .dataPassword("data-secret")
            .sentinelPassword("sentinel-secret")
            .start()) {
      String sentinels =
          group.sentinelAddresses().stream()
              .map(a -> a.getAddress().getHostAddress() + ":" + a.getPort())
              .collect(joining(","));

      assertTwoInstancesShareOneToken(
          runner.withPropertyValues(
              "spring.data.redis.sentinel.master=" + group.masterName(),
              "spring.data.redis.sentinel.nodes=" + sentinels,
              "spring.data.redis.sentinel.password=sentinel-secret",
              "spring.data.redis.password=data-secret"));
    }
  }

  private void assertTwoInstancesShareOneToken(ApplicationContextRunner instances) {
    instances.run(
        first ->
            instances.run(
                second -> {
                  assertThat(first).hasNotFailed().hasSingleBean(RedisBackend.class);
                  String token =
                      Starter.token(first.getBean(OAuth2AuthorizedClientManager.class), "billing");

                  assertThat(
                          Starter.token(
                              second.getBean(OAuth2AuthorizedClientManager.class), "billing"))
                      .isEqualTo(token);
                  assertThat(server.stats().clientCredentialsGrants())
                      .as("one token request for two instances")
                      .isEqualTo(1);
                }));
  }
}

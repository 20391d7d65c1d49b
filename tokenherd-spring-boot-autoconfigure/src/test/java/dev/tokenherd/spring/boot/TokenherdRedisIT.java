package dev.tokenherd.spring.boot;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tokenherd.coordinator.redis.RedisBackend;
import dev.tokenherd.testkit.FakeAuthorizationServer;
import dev.tokenherd.testkit.RedisServerProcess;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.boot.health.contributor.Status;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.security.authentication.AnonymousAuthenticationToken;
import org.springframework.security.core.authority.AuthorityUtils;
import org.springframework.security.oauth2.client.ClientAuthorizationException;
import org.springframework.security.oauth2.client.OAuth2AuthorizeRequest;
import org.springframework.security.oauth2.client.OAuth2AuthorizedClient;
import org.springframework.security.oauth2.client.OAuth2AuthorizedClientManager;

/**
 * The starter's default backend on a real redis-server, configured only through {@code
 * spring.data.redis.*}: instances share one token, and health reports the store.
 */
final class TokenherdRedisIT {
  private final RedisServerProcess redis = RedisServerProcess.builder().start();
  private final FakeAuthorizationServer server = FakeAuthorizationServer.builder().start();

  private final ApplicationContextRunner runner =
      new ApplicationContextRunner()
          .withConfiguration(Starter.AUTO_CONFIGURATIONS)
          .withPropertyValues(
              "spring.data.redis.host=127.0.0.1",
              "spring.data.redis.port=" + redis.port(),
              "tokenherd.redis.namespace=it",
              "spring.security.oauth2.client.registration.billing.provider=fake",
              "spring.security.oauth2.client.registration.billing.client-id=" + server.clientId(),
              "spring.security.oauth2.client.registration.billing.client-secret="
                  + FakeAuthorizationServer.DEFAULT_CLIENT_SECRET,
              "spring.security.oauth2.client.registration.billing.authorization-grant-type="
                  + "client_credentials",
              "spring.security.oauth2.client.registration.other.provider=fake",
              "spring.security.oauth2.client.registration.other.client-id=" + server.clientId(),
              "spring.security.oauth2.client.registration.other.client-secret="
                  + FakeAuthorizationServer.DEFAULT_CLIENT_SECRET,
              "spring.security.oauth2.client.registration.other.scope=other",
              "spring.security.oauth2.client.registration.other.authorization-grant-type="
                  + "client_credentials",
              "tokenherd.policy.wait-timeout=2s",
              "spring.security.oauth2.client.provider.fake.token-uri=" + server.tokenEndpoint());

  @AfterEach
  void stop() {
    server.close();
    redis.close();
  }

  @Test
  void threeInstancesOnOneRedis_shareOneToken_andHealthSeesTheStoreGo() {
    runner.run(
        first ->
            runner.run(
                second ->
                    runner.run(
                        third -> {
                          assertThat(first).hasSingleBean(RedisBackend.class);
                          String a = token(first.getBean(OAuth2AuthorizedClientManager.class));
                          String b = token(second.getBean(OAuth2AuthorizedClientManager.class));
                          String c = token(third.getBean(OAuth2AuthorizedClientManager.class));

                          assertThat(b).isEqualTo(a);
                          assertThat(c).isEqualTo(a);
                          assertThat(server.stats().clientCredentialsGrants())
                              .as("one token request for three instances")
                              .isEqualTo(1);

                          HealthIndicator health =
                              first.getBean("tokenherdHealthIndicator", HealthIndicator.class);
                          Health up = health.health();
                          assertThat(up.getStatus()).isEqualTo(Status.UP);
                          assertThat(up.getDetails()).containsEntry("store", "reachable");

                          redis.stop();
                          Health served = health.health();
                          assertThat(served.getStatus())
                              .as("every client credential still served from the cache")
                              .isEqualTo(Status.UP);
                          assertThat(String.valueOf(served.getDetails().get("store")))
                              .startsWith("unreachable");

                          OAuth2AuthorizedClientManager manager =
                              first.getBean(OAuth2AuthorizedClientManager.class);
                          assertThatThrownBy(() -> manager.authorize(Starter.anonymous("other")))
                              .isInstanceOf(ClientAuthorizationException.class);
                          Health down = health.health();
                          assertThat(down.getStatus())
                              .as("a credential that cannot be served without the store")
                              .isEqualTo(Status.DOWN);
                          assertThat(down.toString()).doesNotContain(a);
                        })));
  }

  private static String token(OAuth2AuthorizedClientManager manager) {
    OAuth2AuthorizedClient client =
        manager.authorize(
            OAuth2AuthorizeRequest.withClientRegistrationId("billing")
                .principal(
                    new AnonymousAuthenticationToken(
                        "key",
                        "anonymousUser",
                        AuthorityUtils.createAuthorityList("ROLE_ANONYMOUS")))
                .build());
    assertThat(client).isNotNull();
    return client.getAccessToken().getTokenValue();
  }
}

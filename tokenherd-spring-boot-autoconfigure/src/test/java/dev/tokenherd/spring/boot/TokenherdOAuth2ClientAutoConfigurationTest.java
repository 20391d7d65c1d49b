package dev.tokenherd.spring.boot;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tokenherd.spring.security.ReactiveTokenherdAuthorizedClientManager;
import dev.tokenherd.spring.security.RegistrationCredentials;
import dev.tokenherd.spring.security.RegistrationCredentials.Credential;
import dev.tokenherd.spring.security.TokenherdAuthorizedClientManager;
import dev.tokenherd.spring.security.TokenherdAuthorizedClientService;
import dev.tokenherd.testkit.FakeAuthorizationServer;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.boot.health.contributor.Status;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.boot.test.context.runner.ReactiveWebApplicationContextRunner;
import org.springframework.boot.test.context.runner.WebApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.security.core.Authentication;
import org.springframework.security.oauth2.client.ClientAuthorizationException;
import org.springframework.security.oauth2.client.OAuth2AuthorizeRequest;
import org.springframework.security.oauth2.client.OAuth2AuthorizedClient;
import org.springframework.security.oauth2.client.OAuth2AuthorizedClientManager;
import org.springframework.security.oauth2.client.OAuth2AuthorizedClientService;
import org.springframework.security.oauth2.client.ReactiveOAuth2AuthorizedClientManager;
import org.springframework.security.oauth2.client.registration.ClientRegistration;
import org.springframework.security.oauth2.client.registration.ClientRegistrationRepository;

/**
 * The manager and service auto-configuration against a real authorization server on loopback (the
 * testkit's, with its own counters), one instance, in-memory backend.
 */
final class TokenherdOAuth2ClientAutoConfigurationTest {
  private static final Authentication ANONYMOUS = Starter.ANONYMOUS;

  private final FakeAuthorizationServer server = FakeAuthorizationServer.builder().start();

  private final AutoConfigurations configurations = Starter.AUTO_CONFIGURATIONS;

  @AfterEach
  void stopServer() {
    server.close();
  }

  private String[] clientCredentials(String registration, String method) {
    String prefix = "spring.security.oauth2.client.registration." + registration + ".";
    return new String[] {
      "tokenherd.backend=in-memory",
      prefix + "provider=fake",
      prefix + "client-id=" + server.clientId(),
      prefix + "client-secret=" + FakeAuthorizationServer.DEFAULT_CLIENT_SECRET,
      prefix + "authorization-grant-type=client_credentials",
      prefix + "client-authentication-method=" + method,
      prefix + "scope=read",
      "spring.security.oauth2.client.provider.fake.token-uri=" + server.tokenEndpoint()
    };
  }

  @Test
  void clientCredentials_theManagerServesOneTokenToEveryCaller() {
    new ApplicationContextRunner()
        .withConfiguration(configurations)
        .withPropertyValues(clientCredentials("billing", "client_secret_basic"))
        .run(
            context -> {
              OAuth2AuthorizedClientManager manager =
                  context.getBean(OAuth2AuthorizedClientManager.class);
              assertThat(manager).isInstanceOf(TokenherdAuthorizedClientManager.class);
              assertThat(context.getBean(OAuth2AuthorizedClientService.class))
                  .isInstanceOf(TokenherdAuthorizedClientService.class);

              OAuth2AuthorizedClient first = manager.authorize(request("billing"));
              OAuth2AuthorizedClient second = manager.authorize(request("billing"));

              assertThat(first).isNotNull();
              assertThat(second).isNotNull();
              assertThat(second.getAccessToken().getTokenValue())
                  .isEqualTo(first.getAccessToken().getTokenValue());
              assertThat(first.getRefreshToken())
                  .as("the refresh token stays in Tokenherd")
                  .isNull();
              assertThat(server.isAccessTokenValid(first.getAccessToken().getTokenValue()))
                  .isTrue();
              assertThat(server.stats().clientCredentialsGrants()).isEqualTo(1);
            });
  }

  @Test
  void aRejectedToken_reportedThroughTheService_isRefreshedOnce() {
    new ApplicationContextRunner()
        .withConfiguration(configurations)
        .withPropertyValues(clientCredentials("billing", "client_secret_post"))
        .run(
            context -> {
              OAuth2AuthorizedClientManager manager =
                  context.getBean(OAuth2AuthorizedClientManager.class);
              String before = token(manager.authorize(request("billing")));

              // What OAuth2ClientHttpRequestInterceptor's failure handler does on a 401.
              context
                  .getBean(OAuth2AuthorizedClientService.class)
                  .removeAuthorizedClient("billing", ANONYMOUS.getName());

              String after = token(manager.authorize(request("billing")));
              assertThat(after).isNotEqualTo(before);
              assertThat(server.stats().clientCredentialsGrants()).isEqualTo(2);
            });
  }

  @Test
  void rejectionsInABurst_refreshOnce() {
    new ApplicationContextRunner()
        .withConfiguration(configurations)
        .withPropertyValues(clientCredentials("billing", "client_secret_basic"))
        .run(
            context -> {
              OAuth2AuthorizedClientManager manager =
                  context.getBean(OAuth2AuthorizedClientManager.class);
              OAuth2AuthorizedClientService service =
                  context.getBean(OAuth2AuthorizedClientService.class);
              manager.authorize(request("billing"));
              for (int i = 0; i < 5; i++) {
                // A resource server that refuses every token (a wrong audience, say).
                service.removeAuthorizedClient("billing", ANONYMOUS.getName());
                manager.authorize(request("billing"));
              }
              assertThat(server.stats().clientCredentialsGrants())
                  .as("the first token, and one refresh for the burst of rejections")
                  .isEqualTo(2);
            });
  }

  @Test
  void keysName_theClient_neverTheUser_andCredentialsPrintNoSecret() {
    new ApplicationContextRunner()
        .withConfiguration(configurations)
        .withPropertyValues(clientCredentials("billing", "client_secret_basic"))
        .run(
            context -> {
              ClientRegistration billing =
                  context
                      .getBean(ClientRegistrationRepository.class)
                      .findByRegistrationId("billing");
              ClientRegistration otherClient =
                  ClientRegistration.withClientRegistration(billing).clientId("other").build();

              assertThat(RegistrationCredentials.key(billing, null).name()).startsWith("billing.");
              assertThat(RegistrationCredentials.key(otherClient, null))
                  .isNotEqualTo(RegistrationCredentials.key(billing, null));
              assertThat(RegistrationCredentials.key(billing, "alice@example.com").name())
                  .doesNotContain("alice")
                  .isNotEqualTo(RegistrationCredentials.key(billing, "bob@example.com").name());
              Credential credential =
                  context.getBean(RegistrationCredentials.class).credential(billing, "anyone");
              assertThat(credential.toString())
                  .doesNotContain(FakeAuthorizationServer.DEFAULT_CLIENT_SECRET);
            });
  }

  @Test
  void aFailingObserver_neverCostsAToken() {
    new ApplicationContextRunner()
        .withConfiguration(configurations)
        .withPropertyValues(clientCredentials("billing", "client_secret_basic"))
        .run(
            context -> {
              context
                  .getBean(RegistrationCredentials.class)
                  .observe(
                      new RegistrationCredentials.Observer() {
                        @Override
                        public void tokenRequest(
                            ClientRegistration registration,
                            java.time.Duration took,
                            @Nullable Throwable failure) {
                          throw new IllegalStateException("a meter registry that throws");
                        }
                      });
              OAuth2AuthorizedClient client =
                  context
                      .getBean(OAuth2AuthorizedClientManager.class)
                      .authorize(request("billing"));
              assertThat(client).isNotNull();
              assertThat(server.stats().clientCredentialsGrants()).isEqualTo(1);
            });
  }

  @Test
  void aRevokedClient_failsWithSpringsException_andHealthIsDown() {
    new ApplicationContextRunner()
        .withConfiguration(configurations)
        .withBean(MeterRegistry.class, SimpleMeterRegistry::new)
        .withPropertyValues(clientCredentials("billing", "client_secret_basic"))
        .withPropertyValues(
            "spring.security.oauth2.client.registration.billing.client-secret=wrong-secret")
        .run(
            context -> {
              OAuth2AuthorizedClientManager manager =
                  context.getBean(OAuth2AuthorizedClientManager.class);

              assertThatThrownBy(() -> manager.authorize(request("billing")))
                  .isInstanceOf(ClientAuthorizationException.class)
                  .satisfies(
                      e ->
                          assertThat(((ClientAuthorizationException) e).getError().getErrorCode())
                              .isEqualTo("invalid_client"));
              assertThatThrownBy(() -> manager.authorize(request("billing")))
                  .isInstanceOf(ClientAuthorizationException.class);
              assertThat(server.stats().invalidClients())
                  .as("one token request; the second caller fails at once")
                  .isEqualTo(1);

              Health health =
                  context.getBean("tokenherdHealthIndicator", HealthIndicator.class).health();
              assertThat(health.getStatus()).isEqualTo(Status.DOWN);
              assertThat(health.getDetails()).containsKey("clients");
              @SuppressWarnings("unchecked")
              Map<String, Map<String, Object>> clients =
                  (Map<String, Map<String, Object>>) health.getDetails().get("clients");
              assertThat(clients.get("billing"))
                  .containsEntry("status", "REAUTHENTICATION_REQUIRED");
            });
  }

  @Test
  void metrics_countRequestsAndTimeCallers_taggedByCredential() {
    new ApplicationContextRunner()
        .withConfiguration(configurations)
        .withBean(SimpleMeterRegistry.class, SimpleMeterRegistry::new)
        .withPropertyValues(clientCredentials("billing", "client_secret_basic"))
        .run(
            context -> {
              MeterRegistry registry = context.getBean(MeterRegistry.class);
              context.getBean(TokenherdMeterBinder.class).bindTo(registry);
              OAuth2AuthorizedClientManager manager =
                  context.getBean(OAuth2AuthorizedClientManager.class);
              for (int i = 0; i < 5; i++) {
                manager.authorize(request("billing"));
              }

              assertThat(
                      registry
                          .get("tokenherd.token.requests")
                          .tag("credential", "billing")
                          .functionCounter()
                          .count())
                  .isEqualTo(1.0);
              assertThat(
                      registry
                          .get("tokenherd.caller.wait")
                          .tag("credential", "billing")
                          .timer()
                          .count())
                  .isEqualTo(5);
              assertThat(
                      registry
                          .get("tokenherd.token.endpoint")
                          .tag("outcome", "success")
                          .timer()
                          .count())
                  .isEqualTo(1);
              assertThat(registry.get("tokenherd.token.expiry").gauge().value()).isPositive();
              assertThat(registry.get("tokenherd.credential.serving").gauge().value())
                  .isEqualTo(1.0);
            });
  }

  @Test
  void anUnsupportedClientAuthentication_isRefusedNamingTheRegistration() {
    new ApplicationContextRunner()
        .withConfiguration(configurations)
        .withPropertyValues(clientCredentials("billing", "private_key_jwt"))
        .run(
            context ->
                assertThatThrownBy(
                        () ->
                            context
                                .getBean(OAuth2AuthorizedClientManager.class)
                                .authorize(request("billing")))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("'billing'")
                    .hasMessageContaining("private_key_jwt"));
  }

  @Test
  void anApplicationsOwnManager_isKept() {
    new WebApplicationContextRunner()
        .withConfiguration(configurations)
        .withUserConfiguration(OwnManager.class)
        .withPropertyValues(clientCredentials("billing", "client_secret_basic"))
        .run(
            context ->
                assertThat(context.getBean(OAuth2AuthorizedClientManager.class))
                    .isSameAs(OwnManager.MANAGER));
  }

  @Test
  void aWebFluxApplication_getsTheReactiveManager() {
    new ReactiveWebApplicationContextRunner()
        .withConfiguration(configurations)
        .withPropertyValues(clientCredentials("billing", "client_secret_basic"))
        .run(
            context -> {
              ReactiveOAuth2AuthorizedClientManager manager =
                  context.getBean(ReactiveOAuth2AuthorizedClientManager.class);
              assertThat(manager).isInstanceOf(ReactiveTokenherdAuthorizedClientManager.class);
              assertThat(context).doesNotHaveBean(OAuth2AuthorizedClientService.class);

              OAuth2AuthorizedClient client = manager.authorize(request("billing")).block();
              assertThat(client).isNotNull();
              assertThat(server.isAccessTokenValid(token(client))).isTrue();
            });
  }

  @Test
  void noClientRegistrations_noManager() {
    new ApplicationContextRunner()
        .withConfiguration(configurations)
        .withPropertyValues("tokenherd.backend=in-memory")
        .run(context -> assertThat(context).doesNotHaveBean(OAuth2AuthorizedClientManager.class));
  }

  private static OAuth2AuthorizeRequest request(String registration) {
    return Starter.anonymous(registration);
  }

  private static String token(OAuth2AuthorizedClient client) {
    return client.getAccessToken().getTokenValue();
  }

  @Configuration(proxyBeanMethods = false)
  static class OwnManager {
    static final OAuth2AuthorizedClientManager MANAGER = request -> null;

    @Bean
    OAuth2AuthorizedClientManager ownManager() {
      return MANAGER;
    }
  }
}

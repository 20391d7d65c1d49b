package dev.tokenherd.spring.boot;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tokenherd.coordinator.CredentialNotFoundException;
import dev.tokenherd.coordinator.ReauthenticationRequiredException;
import dev.tokenherd.spring.security.ReactiveTokenherdAuthorizedClientService;
import dev.tokenherd.testkit.FakeAuthorizationServer;
import dev.tokenherd.testkit.TokenGrant;
import java.time.Instant;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.security.oauth2.client.autoconfigure.reactive.ReactiveOAuth2ClientAutoConfiguration;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.boot.test.context.runner.ReactiveWebApplicationContextRunner;
import org.springframework.security.authentication.TestingAuthenticationToken;
import org.springframework.security.core.Authentication;
import org.springframework.security.oauth2.client.ClientAuthorizationRequiredException;
import org.springframework.security.oauth2.client.OAuth2AuthorizeRequest;
import org.springframework.security.oauth2.client.OAuth2AuthorizedClient;
import org.springframework.security.oauth2.client.OAuth2AuthorizedClientManager;
import org.springframework.security.oauth2.client.OAuth2AuthorizedClientService;
import org.springframework.security.oauth2.client.ReactiveOAuth2AuthorizedClientManager;
import org.springframework.security.oauth2.client.ReactiveOAuth2AuthorizedClientService;
import org.springframework.security.oauth2.client.registration.ClientRegistration;
import org.springframework.security.oauth2.client.registration.ClientRegistrationRepository;
import org.springframework.security.oauth2.client.registration.ReactiveClientRegistrationRepository;
import org.springframework.security.oauth2.core.OAuth2AccessToken;
import org.springframework.security.oauth2.core.OAuth2RefreshToken;

/**
 * A user's credential (authorization_code login): the login seeds it through the authorized-client
 * service, the manager renews it with the rotated refresh token, and a user who never logged in or
 * whose grant was revoked is sent to log in again. Judged by the authorization server's counters.
 */
final class LoginCredentialTest {
  private static final Authentication ALICE = new TestingAuthenticationToken("alice", "n/a");
  private static final Authentication BOB =
      new TestingAuthenticationToken("bob@example.com", "n/a");

  private final FakeAuthorizationServer server = FakeAuthorizationServer.builder().start();

  private final ApplicationContextRunner runner =
      new ApplicationContextRunner()
          .withConfiguration(Starter.AUTO_CONFIGURATIONS)
          .withPropertyValues(properties());

  @AfterEach
  void stopServer() {
    server.close();
  }

  private String[] properties() {
    String registration = "spring.security.oauth2.client.registration.crm.";
    return new String[] {
      "tokenherd.backend=in-memory",
      registration + "provider=fake",
      registration + "client-id=" + server.clientId(),
      registration + "client-secret=" + FakeAuthorizationServer.DEFAULT_CLIENT_SECRET,
      registration + "authorization-grant-type=authorization_code",
      registration + "redirect-uri={baseUrl}/login/oauth2/code/{registrationId}",
      registration + "scope=read",
      "spring.security.oauth2.client.provider.fake.authorization-uri=" + server.uri() + "authorize",
      "spring.security.oauth2.client.provider.fake.token-uri=" + server.tokenEndpoint()
    };
  }

  @Test
  void aLogin_seedsTheFleet_andAnExpiredTokenIsRenewedWithTheRotatedRefreshToken() {
    runner.run(
        context -> {
          TokenGrant login = server.issueTokens("read");
          ClientRegistration crm =
              context.getBean(ClientRegistrationRepository.class).findByRegistrationId("crm");
          OAuth2AuthorizedClientService service =
              context.getBean(OAuth2AuthorizedClientService.class);
          // Stated as already expired: the first use must refresh with the login's refresh token.
          service.saveAuthorizedClient(
              authorized(crm, login, Instant.now().minusSeconds(1)), ALICE);

          OAuth2AuthorizedClientManager manager =
              context.getBean(OAuth2AuthorizedClientManager.class);
          OAuth2AuthorizedClient client = manager.authorize(request(ALICE));

          assertThat(client).isNotNull();
          String renewed = client.getAccessToken().getTokenValue();
          assertThat(renewed).isNotEqualTo(login.accessToken());
          assertThat(server.isAccessTokenValid(renewed)).isTrue();
          assertThat(server.stats().refreshEvents()).isEqualTo(1);
          assertThat(server.stats().reuseDetections()).isZero();
          OAuth2AuthorizedClient loaded = service.loadAuthorizedClient("crm", "alice");
          assertThat(loaded).isNotNull();
          assertThat(loaded.getAccessToken().getTokenValue()).isEqualTo(renewed);
          assertThat(loaded.getRefreshToken()).isNull();
        });
  }

  @Test
  void aUserWhoNeverLoggedIn_isSentToLogIn() {
    runner.run(
        context -> {
          assertThatThrownBy(
                  () ->
                      context.getBean(OAuth2AuthorizedClientManager.class).authorize(request(BOB)))
              .isInstanceOf(ClientAuthorizationRequiredException.class)
              .hasCauseInstanceOf(CredentialNotFoundException.class);
          assertThat(
                  context
                      .getBean(OAuth2AuthorizedClientService.class)
                      .<OAuth2AuthorizedClient>loadAuthorizedClient("crm", "bob@example.com"))
              .isNull();
          assertThat(server.stats().tokenRequests()).isZero();
        });
  }

  @Test
  void aRevokedGrant_isSentToLogInAgain_afterOneTokenRequest() {
    runner.run(
        context -> {
          TokenGrant login = server.issueTokens("read");
          ClientRegistration crm =
              context.getBean(ClientRegistrationRepository.class).findByRegistrationId("crm");
          context
              .getBean(OAuth2AuthorizedClientService.class)
              .saveAuthorizedClient(authorized(crm, login, Instant.now().minusSeconds(1)), ALICE);
          server.revokeFamilyOf(login.refreshToken());
          OAuth2AuthorizedClientManager manager =
              context.getBean(OAuth2AuthorizedClientManager.class);

          for (int i = 0; i < 3; i++) {
            assertThatThrownBy(() -> manager.authorize(request(ALICE)))
                .isInstanceOf(ClientAuthorizationRequiredException.class)
                .hasCauseInstanceOf(ReauthenticationRequiredException.class);
          }
          assertThat(server.stats().invalidGrants()).isEqualTo(1);
        });
  }

  @Test
  void aLoginWithoutARefreshToken_isSharedUntilItExpires_thenTheUserLogsInAgain() {
    runner.run(
        context -> {
          TokenGrant login = server.issueTokens("read");
          ClientRegistration crm =
              context.getBean(ClientRegistrationRepository.class).findByRegistrationId("crm");
          OAuth2AuthorizedClientService service =
              context.getBean(OAuth2AuthorizedClientService.class);
          OAuth2AuthorizedClientManager manager =
              context.getBean(OAuth2AuthorizedClientManager.class);
          service.saveAuthorizedClient(withoutRefreshToken(crm, login, login.expiresAt()), ALICE);

          OAuth2AuthorizedClient served = manager.authorize(request(ALICE));
          assertThat(served).isNotNull();
          assertThat(served.getAccessToken().getTokenValue()).isEqualTo(login.accessToken());

          service.saveAuthorizedClient(
              withoutRefreshToken(crm, login, Instant.now().minusSeconds(1)), ALICE);
          assertThatThrownBy(() -> manager.authorize(request(ALICE)))
              .isInstanceOf(ClientAuthorizationRequiredException.class);
          assertThat(server.stats().tokenRequests()).as("nothing to refresh with").isZero();
        });
  }

  @Test
  void anAnonymousPrincipal_isRefusedForAUsersCredential_withAReason() {
    runner.run(
        context ->
            assertThatThrownBy(
                    () ->
                        context
                            .getBean(OAuth2AuthorizedClientManager.class)
                            .authorize(
                                OAuth2AuthorizeRequest.withClientRegistrationId("crm")
                                    .principal(Starter.ANONYMOUS)
                                    .build()))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("'crm'")
                .hasMessageContaining("anonymous"));
  }

  private static OAuth2AuthorizedClient withoutRefreshToken(
      ClientRegistration crm, TokenGrant login, Instant expiresAt) {
    return new OAuth2AuthorizedClient(
        crm,
        "alice",
        new OAuth2AccessToken(
            OAuth2AccessToken.TokenType.BEARER,
            login.accessToken(),
            expiresAt.minusSeconds(3600),
            expiresAt,
            Set.of("read")));
  }

  @Test
  void theReactiveManager_sendsAUserWhoNeverLoggedInToLogIn() {
    new ReactiveWebApplicationContextRunner()
        .withConfiguration(
            AutoConfigurations.of(
                TokenherdAutoConfiguration.class,
                TokenherdOAuth2ClientServiceAutoConfiguration.class,
                ReactiveOAuth2ClientAutoConfiguration.class,
                TokenherdOAuth2ClientAutoConfiguration.class))
        .withPropertyValues(properties())
        .run(
            context ->
                assertThatThrownBy(
                        () ->
                            context
                                .getBean(ReactiveOAuth2AuthorizedClientManager.class)
                                .authorize(request(BOB))
                                .block())
                    .isInstanceOf(ClientAuthorizationRequiredException.class));
  }

  @Test
  void webFlux_aLoginSeedsTheFleet_andARejectionRefreshesOnce() {
    new ReactiveWebApplicationContextRunner()
        .withConfiguration(Starter.AUTO_CONFIGURATIONS)
        .withPropertyValues(properties())
        .run(
            context -> {
              TokenGrant login = server.issueTokens("read");
              ClientRegistration crm =
                  context
                      .getBean(ReactiveClientRegistrationRepository.class)
                      .findByRegistrationId("crm")
                      .block();
              ReactiveOAuth2AuthorizedClientService service =
                  context.getBean(ReactiveOAuth2AuthorizedClientService.class);
              assertThat(service).isInstanceOf(ReactiveTokenherdAuthorizedClientService.class);
              service
                  .saveAuthorizedClient(
                      authorized(crm, login, Instant.now().plusSeconds(600)), ALICE)
                  .block();
              ReactiveOAuth2AuthorizedClientManager manager =
                  context.getBean(ReactiveOAuth2AuthorizedClientManager.class);

              OAuth2AuthorizedClient seeded = manager.authorize(request(ALICE)).block();
              assertThat(seeded).isNotNull();
              assertThat(seeded.getAccessToken().getTokenValue()).isEqualTo(login.accessToken());

              service.removeAuthorizedClient("crm", "alice").block();
              OAuth2AuthorizedClient loaded =
                  service.<OAuth2AuthorizedClient>loadAuthorizedClient("crm", "alice").block();
              assertThat(loaded).isNotNull();
              assertThat(loaded.getAccessToken().getTokenValue()).isNotEqualTo(login.accessToken());
              assertThat(server.stats().refreshEvents()).isEqualTo(1);
              assertThat(service.loadAuthorizedClient("crm", "nobody").block()).isNull();
            });
  }

  private static OAuth2AuthorizedClient authorized(
      ClientRegistration registration, TokenGrant grant, Instant expiresAt) {
    Instant issuedAt = expiresAt.minusSeconds(3600);
    return new OAuth2AuthorizedClient(
        registration,
        "alice",
        new OAuth2AccessToken(
            OAuth2AccessToken.TokenType.BEARER,
            grant.accessToken(),
            issuedAt,
            expiresAt,
            Set.of("read")),
        new OAuth2RefreshToken(grant.refreshToken(), issuedAt));
  }

  private static OAuth2AuthorizeRequest request(Authentication principal) {
    return OAuth2AuthorizeRequest.withClientRegistrationId("crm").principal(principal).build();
  }
}

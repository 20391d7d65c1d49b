package dev.tokenherd.spring.boot;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tokenherd.testkit.FakeAuthorizationServer;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.security.oauth2.client.autoconfigure.OAuth2ClientAutoConfiguration;
import org.springframework.boot.security.oauth2.client.autoconfigure.reactive.ReactiveOAuth2ClientAutoConfiguration;
import org.springframework.security.authentication.AnonymousAuthenticationToken;
import org.springframework.security.core.Authentication;
import org.springframework.security.core.authority.AuthorityUtils;
import org.springframework.security.oauth2.client.OAuth2AuthorizeRequest;
import org.springframework.security.oauth2.client.OAuth2AuthorizedClient;
import org.springframework.security.oauth2.client.OAuth2AuthorizedClientManager;

/** What the tests' application contexts share: the starter's auto-configurations, in Boot's. */
final class Starter {
  /** The principal of a non-web caller, as Spring's RestClient interceptor uses by default. */
  static final Authentication ANONYMOUS =
      new AnonymousAuthenticationToken(
          "key", "anonymousUser", AuthorityUtils.createAuthorityList("ROLE_ANONYMOUS"));

  /** Every auto-configuration the starter brings, with Boot's OAuth 2.0 client ones. */
  static final AutoConfigurations AUTO_CONFIGURATIONS =
      AutoConfigurations.of(
          TokenherdAutoConfiguration.class,
          TokenherdOAuth2ClientServiceAutoConfiguration.class,
          OAuth2ClientAutoConfiguration.class,
          ReactiveOAuth2ClientAutoConfiguration.class,
          TokenherdOAuth2ClientAutoConfiguration.class,
          TokenherdActuatorAutoConfiguration.class);

  private Starter() {}

  /** An anonymous caller's request for {@code registration}'s token. */
  static OAuth2AuthorizeRequest anonymous(String registration) {
    return OAuth2AuthorizeRequest.withClientRegistrationId(registration)
        .principal(ANONYMOUS)
        .build();
  }

  /** The properties of a client_credentials registration against {@code server}. */
  static String[] clientCredentials(String registration, FakeAuthorizationServer server) {
    String prefix = "spring.security.oauth2.client.registration." + registration + ".";
    return new String[] {
      prefix + "provider=fake",
      prefix + "client-id=" + server.clientId(),
      prefix + "client-secret=" + FakeAuthorizationServer.DEFAULT_CLIENT_SECRET,
      prefix + "authorization-grant-type=client_credentials",
      "spring.security.oauth2.client.provider.fake.token-uri=" + server.tokenEndpoint()
    };
  }

  /** The access token {@code manager} gives an anonymous caller for {@code registration}. */
  static String token(OAuth2AuthorizedClientManager manager, String registration) {
    OAuth2AuthorizedClient client = manager.authorize(anonymous(registration));
    assertThat(client).as("the authorized client of %s", registration).isNotNull();
    return client.getAccessToken().getTokenValue();
  }
}

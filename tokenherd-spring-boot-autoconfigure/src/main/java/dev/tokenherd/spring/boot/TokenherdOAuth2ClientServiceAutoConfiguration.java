package dev.tokenherd.spring.boot;

import dev.tokenherd.TokenHerd;
import dev.tokenherd.spring.security.ReactiveTokenherdAuthorizedClientService;
import dev.tokenherd.spring.security.RegistrationCredentials;
import dev.tokenherd.spring.security.TokenherdAuthorizedClientService;
import java.time.Clock;
import java.time.Duration;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnWebApplication;
import org.springframework.boot.autoconfigure.condition.NoneNestedConditions;
import org.springframework.boot.security.oauth2.client.autoconfigure.ConditionalOnOAuth2ClientRegistrationProperties;
import org.springframework.boot.security.oauth2.client.autoconfigure.OAuth2ClientAutoConfiguration;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Conditional;
import org.springframework.security.oauth2.client.OAuth2AuthorizedClientService;
import org.springframework.security.oauth2.client.ReactiveOAuth2AuthorizedClientService;
import org.springframework.security.oauth2.client.registration.ClientRegistrationRepository;
import org.springframework.security.oauth2.client.registration.ReactiveClientRegistrationRepository;

/**
 * The fleet's {@link OAuth2AuthorizedClientService}, defined before Boot's in-memory one (which
 * then backs off): a login on any instance seeds the credential for all of them.
 */
@AutoConfiguration(
    after = TokenherdAutoConfiguration.class,
    before = OAuth2ClientAutoConfiguration.class)
@ConditionalOnClass({OAuth2AuthorizedClientService.class, OAuth2ClientAutoConfiguration.class})
@ConditionalOnBean(TokenHerd.class)
@ConditionalOnOAuth2ClientRegistrationProperties
public class TokenherdOAuth2ClientServiceAutoConfiguration {

  /**
   * The client registrations as Tokenherd credentials, shared by the service and the managers.
   *
   * @param herd the herd
   * @param properties Tokenherd's settings
   * @return the mapping
   */
  @Bean
  @ConditionalOnMissingBean
  public RegistrationCredentials tokenherdRegistrationCredentials(
      TokenHerd herd, TokenherdProperties properties) {
    Duration idle = properties.getUserIdleTimeout();
    if (idle.isNegative() || idle.isZero()) {
      throw new TokenherdConfigurationException(
          "tokenherd.user-idle-timeout",
          "must be positive, got " + idle,
          "Set a positive duration.");
    }
    return new RegistrationCredentials(herd, Clock.systemUTC(), idle);
  }

  /**
   * The authorized-client service of a servlet or non-web application (where Boot makes a {@link
   * ClientRegistrationRepository}; a WebFlux application has a reactive one instead).
   *
   * @param registrations Boot's client registrations
   * @param credentials the registrations as credentials
   * @return the service
   */
  @Bean
  @ConditionalOnMissingBean
  @Conditional(NotReactive.class)
  public OAuth2AuthorizedClientService tokenherdAuthorizedClientService(
      ClientRegistrationRepository registrations, RegistrationCredentials credentials) {
    return new TokenherdAuthorizedClientService(registrations, credentials);
  }

  /**
   * The authorized-client service of a WebFlux application.
   *
   * @param registrations Boot's reactive client registrations
   * @param credentials the registrations as credentials
   * @return the service
   */
  @Bean
  @ConditionalOnMissingBean
  @ConditionalOnWebApplication(type = ConditionalOnWebApplication.Type.REACTIVE)
  @ConditionalOnClass(name = "reactor.core.publisher.Mono")
  public ReactiveOAuth2AuthorizedClientService reactiveTokenherdAuthorizedClientService(
      ReactiveClientRegistrationRepository registrations, RegistrationCredentials credentials) {
    return new ReactiveTokenherdAuthorizedClientService(registrations, credentials);
  }

  /** Not a WebFlux application: Boot then makes the (blocking) client registration repository. */
  static final class NotReactive extends NoneNestedConditions {
    NotReactive() {
      super(ConfigurationPhase.REGISTER_BEAN);
    }

    @ConditionalOnWebApplication(type = ConditionalOnWebApplication.Type.REACTIVE)
    static final class Reactive {}
  }
}

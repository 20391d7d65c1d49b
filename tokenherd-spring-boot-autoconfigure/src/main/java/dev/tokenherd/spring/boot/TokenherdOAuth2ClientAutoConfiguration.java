package dev.tokenherd.spring.boot;

import dev.tokenherd.spring.security.ReactiveTokenherdAuthorizedClientManager;
import dev.tokenherd.spring.security.RegistrationCredentials;
import dev.tokenherd.spring.security.TokenherdAuthorizedClientManager;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.security.oauth2.client.autoconfigure.OAuth2ClientAutoConfiguration;
import org.springframework.boot.security.oauth2.client.autoconfigure.reactive.ReactiveOAuth2ClientAutoConfiguration;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.security.oauth2.client.OAuth2AuthorizedClientManager;
import org.springframework.security.oauth2.client.ReactiveOAuth2AuthorizedClientManager;
import org.springframework.security.oauth2.client.registration.ClientRegistrationRepository;
import org.springframework.security.oauth2.client.registration.ReactiveClientRegistrationRepository;

/**
 * The Tokenherd-backed {@link OAuth2AuthorizedClientManager} (and its reactive twin), after Boot
 * has made the client registrations: the RestClient interceptor, the WebClient filters and
 * {@code @RegisteredOAuth2AuthorizedClient} then share one refresh per expiry across the fleet.
 * Spring Security's own default manager backs off once this one is defined; an application that
 * defines its own manager keeps it.
 */
@AutoConfiguration(
    after = {
      TokenherdOAuth2ClientServiceAutoConfiguration.class,
      OAuth2ClientAutoConfiguration.class,
      ReactiveOAuth2ClientAutoConfiguration.class
    })
@ConditionalOnClass(OAuth2AuthorizedClientManager.class)
@ConditionalOnBean(RegistrationCredentials.class)
public class TokenherdOAuth2ClientAutoConfiguration {

  /** For servlet and non-web applications. */
  @Configuration(proxyBeanMethods = false)
  @ConditionalOnBean(ClientRegistrationRepository.class)
  static class Servlet {
    @Bean
    @ConditionalOnMissingBean
    OAuth2AuthorizedClientManager tokenherdAuthorizedClientManager(
        ClientRegistrationRepository registrations, RegistrationCredentials credentials) {
      return new TokenherdAuthorizedClientManager(registrations, credentials);
    }
  }

  /** For WebFlux applications. */
  @Configuration(proxyBeanMethods = false)
  @ConditionalOnClass(name = "reactor.core.publisher.Mono")
  @ConditionalOnBean(ReactiveClientRegistrationRepository.class)
  static class Reactive {
    @Bean
    @ConditionalOnMissingBean
    ReactiveOAuth2AuthorizedClientManager reactiveTokenherdAuthorizedClientManager(
        ReactiveClientRegistrationRepository registrations, RegistrationCredentials credentials) {
      return new ReactiveTokenherdAuthorizedClientManager(registrations, credentials);
    }
  }
}

package dev.tokenherd.examples.spring;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import java.util.List;
import org.springframework.context.annotation.Bean;
import org.springframework.security.authentication.UsernamePasswordAuthenticationToken;
import org.springframework.security.core.Authentication;
import org.springframework.security.oauth2.client.OAuth2AuthorizedClientManager;
import org.springframework.security.oauth2.client.OAuth2AuthorizedClientService;
import org.springframework.security.oauth2.client.web.client.OAuth2ClientHttpRequestInterceptor;
import org.springframework.web.client.RestClient;

/**
 * A worker that calls a partner API with a client_credentials token. Nothing here names Tokenherd:
 * this is the RestClient set-up Spring Security documents. With tokenherd-spring-boot-starter on
 * the class path, the manager injected below is Tokenherd's, so every instance of this application
 * shares one token request per expiry through Redis.
 */
@SpringBootApplication
@org.springframework.scheduling.annotation.EnableScheduling
@org.springframework.boot.context.properties.EnableConfigurationProperties(PartnerSettings.class)
public class FleetApplication {

  /**
   * Runs one instance.
   *
   * @param args Spring Boot's arguments
   */
  public static void main(String[] args) {
    SpringApplication.run(FleetApplication.class, args);
  }

  /**
   * The partner API's client: every request carries the {@code partner} registration's token; a
   * 401 is reported (through the service) so the fleet refreshes once.
   *
   * @param builder Boot's RestClient builder
   * @param manager the authorized-client manager (Tokenherd's, from the starter)
   * @param service the authorized-client service (Tokenherd's, from the starter)
   * @param settings where the partner API is
   * @return the client
   */
  @Bean
  RestClient partnerApi(
      RestClient.Builder builder,
      OAuth2AuthorizedClientManager manager,
      OAuth2AuthorizedClientService service,
      PartnerSettings settings) {
    OAuth2ClientHttpRequestInterceptor oauth = new OAuth2ClientHttpRequestInterceptor(manager);
    oauth.setClientRegistrationIdResolver(request -> settings.registration());
    String principal = settings.principal();
    if (principal != null) {
      // A worker acting for one user: the credential a login of that user seeded.
      Authentication user = UsernamePasswordAuthenticationToken.authenticated(principal, null, List.of());
      oauth.setPrincipalResolver(request -> user);
    }
    oauth.setAuthorizationFailureHandler(
        OAuth2ClientHttpRequestInterceptor.authorizationFailureHandler(service));
    return builder.baseUrl(settings.baseUrl()).requestInterceptor(oauth).build();
  }
}

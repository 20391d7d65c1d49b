package dev.tokenherd.spring.authserver;

import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.source.ImmutableJWKSet;
import com.nimbusds.jose.jwk.source.JWKSource;
import com.nimbusds.jose.proc.SecurityContext;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.NoSuchAlgorithmException;
import java.security.interfaces.RSAPrivateKey;
import java.security.interfaces.RSAPublicKey;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import org.springframework.boot.autoconfigure.ImportAutoConfiguration;
import org.springframework.boot.autoconfigure.context.PropertyPlaceholderAutoConfiguration;
import org.springframework.boot.security.autoconfigure.web.servlet.SecurityFilterAutoConfiguration;
import org.springframework.boot.tomcat.autoconfigure.servlet.TomcatServletWebServerAutoConfiguration;
import org.springframework.boot.web.servlet.FilterRegistrationBean;
import org.springframework.boot.webmvc.autoconfigure.DispatcherServletAutoConfiguration;
import org.springframework.context.annotation.Bean;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.http.MediaType;
import org.springframework.security.config.Customizer;
import org.springframework.security.config.annotation.web.builders.HttpSecurity;
import org.springframework.security.config.annotation.web.configuration.EnableWebSecurity;
import org.springframework.security.config.annotation.web.configurers.oauth2.server.authorization.OAuth2AuthorizationServerConfigurer;
import org.springframework.security.core.userdetails.User;
import org.springframework.security.core.userdetails.UserDetailsService;
import org.springframework.security.oauth2.core.AuthorizationGrantType;
import org.springframework.security.oauth2.core.ClientAuthenticationMethod;
import org.springframework.security.oauth2.server.authorization.InMemoryOAuth2AuthorizationService;
import org.springframework.security.oauth2.server.authorization.OAuth2AuthorizationService;
import org.springframework.security.oauth2.server.authorization.client.InMemoryRegisteredClientRepository;
import org.springframework.security.oauth2.server.authorization.client.RegisteredClient;
import org.springframework.security.oauth2.server.authorization.client.RegisteredClientRepository;
import org.springframework.security.oauth2.server.authorization.settings.AuthorizationServerSettings;
import org.springframework.security.oauth2.server.authorization.settings.ClientSettings;
import org.springframework.security.oauth2.server.authorization.settings.TokenSettings;
import org.springframework.security.provisioning.InMemoryUserDetailsManager;
import org.springframework.security.web.SecurityFilterChain;
import org.springframework.security.web.authentication.LoginUrlAuthenticationEntryPoint;
import org.springframework.security.web.util.matcher.MediaTypeRequestMatcher;

/**
 * The Spring Boot application behind {@link SpringAuthorizationServer}: Spring Authorization Server
 * configured explicitly ({@link OAuth2AuthorizationServerConfigurer} in one filter chain, form
 * login in a second), not through Boot's authorization-server auto-configuration, which is not
 * imported.
 *
 * <p>No {@code @Configuration} or other stereotype, so that no component scan finds it (a test's
 * {@code @SpringBootApplication} in {@code dev.tokenherd.spring} scans this package): it is
 * registered only as the fixture's source, where its {@code @Bean} methods are processed in lite
 * mode (parameters are injected, no method calls another). The fixture registers the {@link
 * Settings} and the {@link TokenEndpointLedger} as singletons before the context refreshes.
 */
@EnableWebSecurity
@ImportAutoConfiguration({
  PropertyPlaceholderAutoConfiguration.class,
  TomcatServletWebServerAutoConfiguration.class,
  DispatcherServletAutoConfiguration.class,
  SecurityFilterAutoConfiguration.class
})
final class AuthorizationServerApplication {
  /** What the application context needs from the builder; a singleton bean in it. */
  record Settings(
      Duration accessTokenTtl,
      Duration refreshTokenTtl,
      boolean reuseRefreshTokens,
      OAuthClient serviceClient,
      OAuthClient fleetClient,
      String password) {}

  /** The protocol endpoints; an unauthenticated browser is sent to the login form. */
  @Bean
  @Order(1)
  SecurityFilterChain authorizationServerEndpoints(HttpSecurity http) throws Exception {
    OAuth2AuthorizationServerConfigurer authorizationServer =
        new OAuth2AuthorizationServerConfigurer();
    http.securityMatcher(authorizationServer.getEndpointsMatcher())
        .with(authorizationServer, Customizer.withDefaults())
        .authorizeHttpRequests(requests -> requests.anyRequest().authenticated())
        .exceptionHandling(
            exceptions ->
                exceptions.defaultAuthenticationEntryPointFor(
                    new LoginUrlAuthenticationEntryPoint("/login"),
                    new MediaTypeRequestMatcher(MediaType.TEXT_HTML)));
    return http.build();
  }

  /**
   * Everything else, the login form above all. Other well-known metadata (OpenID Connect's, not
   * enabled here) answers 404 rather than a login page, so that a client discovering the issuer
   * (Boot's issuer-uri) moves on to RFC 8414's, which the chain above serves.
   */
  @Bean
  @Order(2)
  SecurityFilterChain formLogin(HttpSecurity http) throws Exception {
    http.authorizeHttpRequests(
            requests ->
                requests.requestMatchers("/.well-known/**").permitAll().anyRequest().authenticated())
        .formLogin(Customizer.withDefaults());
    return http.build();
  }

  @Bean
  RegisteredClientRepository registeredClients(Settings settings) {
    TokenSettings tokens =
        TokenSettings.builder()
            .accessTokenTimeToLive(settings.accessTokenTtl())
            .refreshTokenTimeToLive(settings.refreshTokenTtl())
            .reuseRefreshTokens(settings.reuseRefreshTokens())
            .build();
    RegisteredClient service =
        RegisteredClient.withId(UUID.randomUUID().toString())
            .clientId(settings.serviceClient().clientId())
            .clientSecret("{noop}" + settings.serviceClient().clientSecret())
            .clientAuthenticationMethod(ClientAuthenticationMethod.CLIENT_SECRET_BASIC)
            .authorizationGrantType(AuthorizationGrantType.CLIENT_CREDENTIALS)
            .scopes(
                scopes -> scopes.addAll(List.of(SpringAuthorizationServer.SCOPE.split(" ", -1))))
            .tokenSettings(tokens)
            .build();
    RegisteredClient fleet =
        RegisteredClient.withId(UUID.randomUUID().toString())
            .clientId(settings.fleetClient().clientId())
            .clientSecret("{noop}" + settings.fleetClient().clientSecret())
            .clientAuthenticationMethod(ClientAuthenticationMethod.CLIENT_SECRET_BASIC)
            .authorizationGrantType(AuthorizationGrantType.AUTHORIZATION_CODE)
            .authorizationGrantType(AuthorizationGrantType.REFRESH_TOKEN)
            .redirectUri(SpringAuthorizationServer.REDIRECT_URI.toString())
            .scopes(
                scopes -> scopes.addAll(List.of(SpringAuthorizationServer.SCOPE.split(" ", -1))))
            .clientSettings(ClientSettings.builder().requireAuthorizationConsent(false).build())
            .tokenSettings(tokens)
            .build();
    return new InMemoryRegisteredClientRepository(service, fleet);
  }

  @Bean
  OAuth2AuthorizationService authorizationService(TokenEndpointLedger ledger) {
    return new RecordingAuthorizationService(new InMemoryOAuth2AuthorizationService(), ledger);
  }

  @Bean
  JWKSource<SecurityContext> jwkSource() throws NoSuchAlgorithmException {
    KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
    generator.initialize(2048);
    KeyPair keys = generator.generateKeyPair();
    RSAKey key =
        new RSAKey.Builder((RSAPublicKey) keys.getPublic())
            .privateKey((RSAPrivateKey) keys.getPrivate())
            .keyID(UUID.randomUUID().toString())
            .build();
    return new ImmutableJWKSet<>(new JWKSet(key));
  }

  /** No issuer set: each request's own URL gives it, {@code http://127.0.0.1:<port>}. */
  @Bean
  AuthorizationServerSettings authorizationServerSettings() {
    return AuthorizationServerSettings.builder().build();
  }

  @Bean
  UserDetailsService users(Settings settings) {
    return new InMemoryUserDetailsManager(
        User.withUsername(SpringAuthorizationServer.USERNAME)
            .password("{noop}" + settings.password())
            .roles("USER")
            .build());
  }

  /** The ledger's eyes: in front of Spring Security, on the token endpoint only. */
  @Bean
  FilterRegistrationBean<TokenEndpointRecordingFilter> tokenEndpointRecording(
      TokenEndpointLedger ledger) {
    FilterRegistrationBean<TokenEndpointRecordingFilter> registration =
        new FilterRegistrationBean<>(new TokenEndpointRecordingFilter(ledger));
    registration.addUrlPatterns("/oauth2/token");
    registration.setOrder(Ordered.HIGHEST_PRECEDENCE);
    return registration;
  }
}

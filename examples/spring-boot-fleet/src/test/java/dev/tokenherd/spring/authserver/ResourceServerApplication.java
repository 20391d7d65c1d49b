package dev.tokenherd.spring.authserver;

import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.net.URI;
import java.security.Principal;
import java.time.Duration;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLong;
import org.springframework.boot.autoconfigure.ImportAutoConfiguration;
import org.springframework.boot.autoconfigure.context.PropertyPlaceholderAutoConfiguration;
import org.springframework.boot.security.autoconfigure.web.servlet.SecurityFilterAutoConfiguration;
import org.springframework.boot.tomcat.autoconfigure.servlet.TomcatServletWebServerAutoConfiguration;
import org.springframework.boot.web.servlet.FilterRegistrationBean;
import org.springframework.boot.webmvc.autoconfigure.DispatcherServletAutoConfiguration;
import org.springframework.boot.webmvc.autoconfigure.WebMvcAutoConfiguration;
import org.springframework.context.annotation.Bean;
import org.springframework.core.Ordered;
import org.springframework.http.MediaType;
import org.springframework.security.config.Customizer;
import org.springframework.security.config.annotation.web.builders.HttpSecurity;
import org.springframework.security.config.annotation.web.configuration.EnableWebSecurity;
import org.springframework.security.config.http.SessionCreationPolicy;
import org.springframework.security.oauth2.core.DelegatingOAuth2TokenValidator;
import org.springframework.security.oauth2.jwt.JwtDecoder;
import org.springframework.security.oauth2.jwt.JwtIssuerValidator;
import org.springframework.security.oauth2.jwt.JwtTimestampValidator;
import org.springframework.security.oauth2.jwt.NimbusJwtDecoder;
import org.springframework.security.web.SecurityFilterChain;
import org.springframework.web.filter.OncePerRequestFilter;
import org.springframework.web.servlet.function.RouterFunction;
import org.springframework.web.servlet.function.RouterFunctions;
import org.springframework.web.servlet.function.ServerResponse;

/**
 * The Spring Boot application behind {@link ResourceServer}: a JWT resource server with its own
 * {@link JwtDecoder} (Boot's resource-server auto-configuration is not imported). No stereotype,
 * for the reason {@link AuthorizationServerApplication} gives.
 */
@EnableWebSecurity
@ImportAutoConfiguration({
  PropertyPlaceholderAutoConfiguration.class,
  TomcatServletWebServerAutoConfiguration.class,
  DispatcherServletAutoConfiguration.class,
  WebMvcAutoConfiguration.class,
  SecurityFilterAutoConfiguration.class
})
final class ResourceServerApplication {
  /** What the application context needs from the builder; a singleton bean in it. */
  record Settings(URI issuer, URI jwkSetUri, Duration clockSkew) {}

  /** Counts the answers under {@code /api/}, in front of Spring Security. */
  static final class CallCounter extends OncePerRequestFilter {
    final AtomicLong accepted = new AtomicLong();
    final AtomicLong rejected = new AtomicLong();
    final Queue<String> rejections = new ConcurrentLinkedQueue<>();

    @Override
    protected void doFilterInternal(
        HttpServletRequest request, HttpServletResponse response, FilterChain chain)
        throws ServletException, IOException {
      chain.doFilter(request, response);
      int status = response.getStatus();
      if (status >= 200 && status < 300) {
        accepted.incrementAndGet();
      } else if (status == HttpServletResponse.SC_UNAUTHORIZED) {
        String challenge = response.getHeader("WWW-Authenticate");
        rejections.add(challenge == null ? "" : challenge);
        rejected.incrementAndGet();
      }
    }
  }

  @Bean
  SecurityFilterChain api(HttpSecurity http) throws Exception {
    http.authorizeHttpRequests(requests -> requests.anyRequest().authenticated())
        .oauth2ResourceServer(resourceServer -> resourceServer.jwt(Customizer.withDefaults()))
        .sessionManagement(
            sessions -> sessions.sessionCreationPolicy(SessionCreationPolicy.STATELESS))
        .csrf(csrf -> csrf.disable());
    return http.build();
  }

  /**
   * Signature by the issuer's keys, {@code iss}, and {@code exp}/{@code nbf} with the configured
   * skew: replaces Spring Security's defaults, whose 60-second skew would accept an expired token
   * for a minute.
   */
  @Bean
  JwtDecoder jwtDecoder(Settings settings) {
    NimbusJwtDecoder decoder =
        NimbusJwtDecoder.withJwkSetUri(settings.jwkSetUri().toString()).build();
    decoder.setJwtValidator(
        new DelegatingOAuth2TokenValidator<>(
            new JwtTimestampValidator(settings.clockSkew()),
            new JwtIssuerValidator(settings.issuer().toString())));
    return decoder;
  }

  /** A functional route rather than a {@code @RestController}, which a component scan finds. */
  @Bean
  RouterFunction<ServerResponse> hello() {
    return RouterFunctions.route()
        .GET(
            "/api/hello",
            request ->
                ServerResponse.ok()
                    .contentType(MediaType.TEXT_PLAIN)
                    .body("hello " + request.principal().map(Principal::getName).orElse("")))
        .build();
  }

  @Bean
  FilterRegistrationBean<CallCounter> callCounting(CallCounter calls) {
    FilterRegistrationBean<CallCounter> registration = new FilterRegistrationBean<>(calls);
    registration.addUrlPatterns("/api/*");
    registration.setOrder(Ordered.HIGHEST_PRECEDENCE);
    return registration;
  }
}

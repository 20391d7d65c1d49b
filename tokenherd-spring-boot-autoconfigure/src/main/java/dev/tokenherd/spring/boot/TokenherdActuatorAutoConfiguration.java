package dev.tokenherd.spring.boot;

import dev.tokenherd.TokenHerd;
import dev.tokenherd.coordinator.redis.RedisBackend;
import dev.tokenherd.coordinator.spi.FleetTime;
import dev.tokenherd.spring.security.RegistrationCredentials;
import io.micrometer.core.instrument.binder.MeterBinder;
import java.time.Clock;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.health.autoconfigure.contributor.ConditionalOnEnabledHealthIndicator;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * Metrics and health of the credentials Tokenherd serves, when Micrometer and Actuator's health
 * support are present. Boot binds the {@link MeterBinder} to every meter registry and shows the
 * indicator as {@code tokenherd} in {@code /actuator/health}.
 */
@AutoConfiguration(after = TokenherdOAuth2ClientAutoConfiguration.class)
@ConditionalOnBean(RegistrationCredentials.class)
public class TokenherdActuatorAutoConfiguration {

  /** Micrometer. */
  @Configuration(proxyBeanMethods = false)
  @ConditionalOnClass(MeterBinder.class)
  static class Metrics {
    @Bean
    @ConditionalOnMissingBean
    TokenherdMeterBinder tokenherdMeterBinder(RegistrationCredentials credentials, TokenHerd herd) {
      return new TokenherdMeterBinder(credentials, herd, Clock.systemUTC());
    }
  }

  /** Actuator health. */
  @Configuration(proxyBeanMethods = false)
  @ConditionalOnClass(HealthIndicator.class)
  @ConditionalOnEnabledHealthIndicator("tokenherd")
  static class Health {
    @Bean
    @ConditionalOnMissingBean(name = "tokenherdHealthIndicator")
    HealthIndicator tokenherdHealthIndicator(
        RegistrationCredentials credentials, ObjectProvider<RedisBackend> redis) {
      RedisBackend backend = redis.getIfAvailable();
      FleetTime store =
          backend != null && backend.tokenStore() instanceof FleetTime time ? time : null;
      return new TokenherdHealthIndicator(credentials, store);
    }
  }
}

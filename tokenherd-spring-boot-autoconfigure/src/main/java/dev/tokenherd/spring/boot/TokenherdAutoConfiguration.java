package dev.tokenherd.spring.boot;

import dev.tokenherd.TokenHerd;
import dev.tokenherd.coordinator.RefreshListener;
import dev.tokenherd.coordinator.RefreshPolicy;
import dev.tokenherd.coordinator.redis.KeyRing;
import dev.tokenherd.coordinator.redis.RedisBackend;
import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.core.env.Environment;

/**
 * The herd: one {@link TokenHerd} per application instance over a {@link RedisBackend} (or
 * in-memory backends with {@code tokenherd.backend=in-memory}). Each bean backs off when the
 * application defines its own.
 */
@AutoConfiguration
@ConditionalOnBooleanProperty(name = "tokenherd.enabled", matchIfMissing = true)
@EnableConfigurationProperties(TokenherdProperties.class)
public class TokenherdAutoConfiguration {

  /**
   * The Redis backend (store, lock, change feed) from {@code tokenherd.redis.*} and {@code
   * spring.data.redis.*}: one server, a Sentinel group's master or a Redis Cluster, as {@link
   * RedisConnection} reads them.
   *
   * @param properties Tokenherd's settings
   * @param environment where {@code spring.data.redis.*} is read
   * @return the backend, closed with the context
   */
  @Bean(destroyMethod = "close")
  @ConditionalOnMissingBean
  @ConditionalOnProperty(name = "tokenherd.backend", havingValue = "redis", matchIfMissing = true)
  public RedisBackend tokenherdRedisBackend(
      TokenherdProperties properties, Environment environment) {
    TokenherdProperties.Redis redis = properties.getRedis();
    RedisBackend.Builder backend = RedisBackend.builder();
    RedisConnection.of(properties, environment).applyTo(backend);
    set("tokenherd.redis.namespace", redis.getNamespace(), backend::namespace);
    set("tokenherd.redis.command-timeout", redis.getCommandTimeout(), backend::commandTimeout);
    set("tokenherd.redis.connect-timeout", redis.getConnectTimeout(), backend::connectTimeout);
    if (redis.getWaitForReplicas() > 0) {
      configure(
          "tokenherd.redis.wait-for-replicas",
          "Set a positive number of replicas and a positive timeout.",
          () ->
              backend.waitForReplicas(
                  redis.getWaitForReplicas(), redis.getWaitForReplicasTimeout()));
    }
    if (properties.getKeyRing().configured()) {
      backend.keyRing(keyRing(properties.getKeyRing()));
    }
    return backend.build();
  }

  /**
   * The herd: every credential of this instance, over the Redis backend when there is one.
   *
   * @param properties Tokenherd's settings
   * @param redis the Redis backend, absent with {@code tokenherd.backend=in-memory}
   * @param listener the application's refresh listener, if it defines one
   * @return the herd, closed with the context (before the backend)
   */
  @Bean(destroyMethod = "close")
  @ConditionalOnMissingBean
  public TokenHerd tokenHerd(
      TokenherdProperties properties,
      ObjectProvider<RedisBackend> redis,
      ObjectProvider<RefreshListener> listener) {
    TokenHerd.Builder herd = TokenHerd.builder().refreshPolicy(policy(properties.getPolicy()));
    RedisBackend backend = redis.getIfAvailable();
    if (backend != null) {
      backend.configure(herd);
    } else if (properties.getBackend() == TokenherdProperties.Backend.REDIS) {
      throw new TokenherdConfigurationException(
          "tokenherd.backend",
          "redis, but the application's RedisBackend bean is missing",
          "Define a RedisBackend bean, or set tokenherd.backend=in-memory for a single instance.");
    }
    listener.ifAvailable(herd::listener);
    set("tokenherd.worker-id", properties.getWorkerId(), herd::workerId);
    return herd.build();
  }

  static RefreshPolicy policy(TokenherdProperties.Policy policy) {
    RefreshPolicy.Builder builder = RefreshPolicy.builder();
    set(
        "tokenherd.policy.refresh-ahead-fraction",
        policy.getRefreshAheadFraction(),
        builder::refreshAheadFraction);
    set("tokenherd.policy.refresh-jitter", policy.getRefreshJitter(), builder::refreshJitter);
    set("tokenherd.policy.expiry-skew", policy.getExpirySkew(), builder::expirySkew);
    set("tokenherd.policy.wait-timeout", policy.getWaitTimeout(), builder::waitTimeout);
    set("tokenherd.policy.lease-time", policy.getLeaseTime(), builder::leaseTime);
    set("tokenherd.policy.endpoint-timeout", policy.getEndpointTimeout(), builder::endpointTimeout);
    set("tokenherd.policy.max-attempts", policy.getMaxAttempts(), builder::maxAttempts);
    return build(
        "tokenherd.policy", "Fix the combination of refresh-policy settings.", builder::build);
  }

  static KeyRing keyRing(TokenherdProperties.KeyRing settings) {
    Map<String, String> keys = new LinkedHashMap<>(settings.getKeys());
    String primary = settings.getPrimary();
    Path file = settings.getFile();
    if (file != null) {
      Properties entries = new Properties();
      try (Reader reader = Files.newBufferedReader(file)) {
        entries.load(reader);
      } catch (IOException e) {
        throw new TokenherdConfigurationException(
            "tokenherd.key-ring.file",
            "cannot read " + file + " (" + e.getClass().getSimpleName() + ")",
            "Mount the key file there, readable by the application.",
            e);
      }
      for (String id : entries.stringPropertyNames()) {
        if (entries.getProperty(id).isBlank()) {
          // A bare line (a key without "id="): its text would be taken for an id. Never quoted.
          throw new TokenherdConfigurationException(
              "tokenherd.key-ring.file",
              "an entry of " + file + " is not of the form id=base64-key",
              "Write one key per line as <id>=<32 bytes in base64>, and primary=<id>.");
        }
        if (id.equals("primary")) {
          primary = primary == null ? entries.getProperty(id).trim() : primary;
        } else {
          keys.put(id, entries.getProperty(id).trim());
        }
      }
    }
    if (primary == null) {
      if (keys.size() != 1) {
        throw new TokenherdConfigurationException(
            "tokenherd.key-ring.primary",
            "not set, and there are " + keys.size() + " keys",
            "Name the key new records are encrypted with.");
      }
      primary = keys.keySet().iterator().next();
    }
    String primaryId = primary;
    // Not chained below: a decoding error's message could quote key material.
    return build(
        "tokenherd.key-ring",
        "Give each key as 32 bytes in base64, and a primary that is one of them.",
        () -> KeyRing.fromBase64(primaryId, keys));
  }

  private static <T> void set(String property, @Nullable T value, Consumer<T> setter) {
    if (value != null) {
      configure(property, "Fix the value of " + property + ".", () -> setter.accept(value));
    }
  }

  private static void configure(String property, String action, Runnable step) {
    build(
        property,
        action,
        () -> {
          step.run();
          return Boolean.TRUE;
        });
  }

  private static <T> T build(String property, String action, Supplier<T> step) {
    try {
      return step.get();
    } catch (IllegalArgumentException | IllegalStateException e) {
      // The library's messages name the value but never a secret (URIs are redacted).
      throw new TokenherdConfigurationException(property, String.valueOf(e.getMessage()), action);
    }
  }
}

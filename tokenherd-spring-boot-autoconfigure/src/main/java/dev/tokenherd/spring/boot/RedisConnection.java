package dev.tokenherd.spring.boot;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.List;
import org.jspecify.annotations.Nullable;
import org.springframework.boot.context.properties.bind.Bindable;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.core.env.Environment;

/**
 * The Redis URI Tokenherd connects to: {@code tokenherd.redis.url}, else Boot's own {@code
 * spring.data.redis.*} (url, or host, port, database, username, password and ssl.enabled), read
 * without needing Spring Data Redis on the classpath.
 */
final class RedisConnection {
  private static final String PREFIX = "spring.data.redis";

  private RedisConnection() {}

  /** Returns the URI, or fails naming the property when the connection cannot be used. */
  static String uri(TokenherdProperties properties, Environment environment) {
    String own = properties.getRedis().getUrl();
    if (own != null && !own.isBlank()) {
      return own;
    }
    Binder binder = Binder.get(environment);
    String url = string(binder, "url");
    if (url != null && !url.isBlank()) {
      return url;
    }
    if (string(binder, "sentinel.master") != null) {
      throw new TokenherdConfigurationException(
          PREFIX + ".sentinel.master",
          "Redis Sentinel is not supported yet",
          "Point tokenherd.redis.url at the Sentinel group's master (redis://host:port), or wait"
              + " for Sentinel support (docs/redis.md).");
    }
    if (!binder
        .bind(PREFIX + ".cluster.nodes", Bindable.listOf(String.class))
        .orElse(List.of())
        .isEmpty()) {
      throw new TokenherdConfigurationException(
          PREFIX + ".cluster.nodes",
          "Redis Cluster is not supported yet",
          "Set tokenherd.redis.url to a standalone Redis for Tokenherd's few keys.");
    }
    String host = binder.bind(PREFIX + ".host", String.class).orElse("localhost");
    int port = binder.bind(PREFIX + ".port", Integer.class).orElse(6379);
    int database = binder.bind(PREFIX + ".database", Integer.class).orElse(0);
    boolean ssl = binder.bind(PREFIX + ".ssl.enabled", Boolean.class).orElse(false);
    String username = string(binder, "username");
    String password = string(binder, "password");
    String userInfo = null;
    if (password != null) {
      userInfo = (username == null ? "" : username) + ":" + password;
    }
    try {
      return new URI(ssl ? "rediss" : "redis", userInfo, host, port, "/" + database, null, null)
          .toASCIIString();
    } catch (URISyntaxException e) {
      // Not chained: the parser's message quotes its input, password included.
      throw new TokenherdConfigurationException(
          PREFIX + ".host",
          "not a host name (" + e.getReason() + ")",
          "Set spring.data.redis.host to a host name or address.");
    }
  }

  private static @Nullable String string(Binder binder, String name) {
    return binder.bind(PREFIX + "." + name, String.class).orElse(null);
  }
}

package dev.tokenherd.coordinator.redis;

import static java.util.Objects.requireNonNull;

/**
 * A Redis server is configured in a way that breaks the fleet's guarantees, found when {@link
 * RedisBackend.Builder#build()} checked it. The message names the server, the setting, the value
 * found and the fix; it never contains a password.
 *
 * <p>Today the one setting checked is {@code maxmemory-policy}: any policy but {@code noeviction}
 * can evict Tokenherd's keys (see {@link RedisBackend.Builder#acceptMaxmemoryPolicy}).
 */
public final class RedisConfigurationException extends IllegalStateException {
  private static final long serialVersionUID = 1L;

  /** The server, as {@code host:port} when known. */
  private final String server;

  /** The setting, for example {@code maxmemory-policy}. */
  private final String setting;

  /** The value found. */
  private final String value;

  RedisConfigurationException(String server, String setting, String value, String message) {
    super(requireNonNull(message, "message"));
    this.server = requireNonNull(server, "server");
    this.setting = requireNonNull(setting, "setting");
    this.value = requireNonNull(value, "value");
  }

  /**
   * Returns the server whose setting was refused.
   *
   * @return its {@code host:port}, or a description such as {@code the server of the given
   *     RedisClient} where the client does not reveal its address
   */
  public String server() {
    return server;
  }

  /**
   * Returns the setting that was refused.
   *
   * @return the name of the Redis configuration parameter, for example {@code maxmemory-policy}
   */
  public String setting() {
    return setting;
  }

  /**
   * Returns the value the server reported for the {@linkplain #setting() setting}.
   *
   * @return the value, for example {@code volatile-ttl}
   */
  public String value() {
    return value;
  }
}

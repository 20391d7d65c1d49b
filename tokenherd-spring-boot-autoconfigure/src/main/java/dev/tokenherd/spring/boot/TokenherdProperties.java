package dev.tokenherd.spring.boot;

import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * Tokenherd's settings, {@code tokenherd.*}. The Redis connection is Boot's own {@code
 * spring.data.redis.*} unless {@code tokenherd.redis.url} is set; the refresh policy's defaults are
 * {@link dev.tokenherd.coordinator.RefreshPolicy#ofDefaults()}'s.
 */
@ConfigurationProperties("tokenherd")
public class TokenherdProperties {

  /** Whether Tokenherd serves the OAuth 2.0 clients' tokens. */
  private boolean enabled = true;

  /**
   * Where the fleet shares its credentials: redis (every instance of the application shares one
   * refresh per expiry) or in-memory (one instance only, for development and tests).
   */
  private Backend backend = Backend.REDIS;

  /** This instance's name in the store's records and logs; default: HOSTNAME/pid. */
  private @Nullable String workerId;

  /**
   * How long a user's credential (a login) may go unused before this instance stops serving it (its
   * coordinator and subscription go; the stored credential stays for the fleet).
   */
  private Duration userIdleTimeout = Duration.ofMinutes(30);

  private final Redis redis = new Redis();

  private final KeyRing keyRing = new KeyRing();

  private final Policy policy = new Policy();

  /** Where the fleet shares its credentials. */
  public enum Backend {
    /** Redis: every instance shares one refresh per expiry. */
    REDIS,
    /** This instance's memory: for one instance, development and tests. */
    IN_MEMORY
  }

  public boolean isEnabled() {
    return enabled;
  }

  public void setEnabled(boolean enabled) {
    this.enabled = enabled;
  }

  public Backend getBackend() {
    return backend;
  }

  public void setBackend(Backend backend) {
    this.backend = backend;
  }

  public @Nullable String getWorkerId() {
    return workerId;
  }

  public void setWorkerId(@Nullable String workerId) {
    this.workerId = workerId;
  }

  public Duration getUserIdleTimeout() {
    return userIdleTimeout;
  }

  public void setUserIdleTimeout(Duration userIdleTimeout) {
    this.userIdleTimeout = userIdleTimeout;
  }

  public Redis getRedis() {
    return redis;
  }

  public KeyRing getKeyRing() {
    return keyRing;
  }

  public Policy getPolicy() {
    return policy;
  }

  /** The Redis the fleet shares. */
  public static class Redis {
    /**
     * redis:// or rediss:// URI of the Redis the fleet shares, whatever spring.data.redis.* says;
     * default: the connection of spring.data.redis.* (one server, Sentinel or Cluster).
     */
    private @Nullable String url;

    /** Prefix of every key Tokenherd writes, so that applications can share one Redis. */
    private @Nullable String namespace;

    /** How long one Redis command may take. */
    private @Nullable Duration commandTimeout;

    /** How long connecting to Redis may take. */
    private @Nullable Duration connectTimeout;

    /**
     * Replicas every write waits for (WAIT), so that a failover keeps the newest rotation; 0: none.
     */
    private int waitForReplicas;

    /** How long a write waits for its replicas. */
    private Duration waitForReplicasTimeout = Duration.ofSeconds(1);

    public @Nullable String getUrl() {
      return url;
    }

    public void setUrl(@Nullable String url) {
      this.url = url;
    }

    public @Nullable String getNamespace() {
      return namespace;
    }

    public void setNamespace(@Nullable String namespace) {
      this.namespace = namespace;
    }

    public @Nullable Duration getCommandTimeout() {
      return commandTimeout;
    }

    public void setCommandTimeout(@Nullable Duration commandTimeout) {
      this.commandTimeout = commandTimeout;
    }

    public @Nullable Duration getConnectTimeout() {
      return connectTimeout;
    }

    public void setConnectTimeout(@Nullable Duration connectTimeout) {
      this.connectTimeout = connectTimeout;
    }

    public int getWaitForReplicas() {
      return waitForReplicas;
    }

    public void setWaitForReplicas(int waitForReplicas) {
      this.waitForReplicas = waitForReplicas;
    }

    public Duration getWaitForReplicasTimeout() {
      return waitForReplicasTimeout;
    }

    public void setWaitForReplicasTimeout(Duration waitForReplicasTimeout) {
      this.waitForReplicasTimeout = waitForReplicasTimeout;
    }
  }

  /** The keys that encrypt the secrets Tokenherd stores in Redis (AES-256-GCM). */
  public static class KeyRing {
    /** Id of the key new records are encrypted with; the others still decrypt older records. */
    private @Nullable String primary;

    /** Keys by id, each 32 bytes in base64. */
    private Map<String, String> keys = new LinkedHashMap<>();

    /**
     * A mounted secret file of id=base64-key lines (a Java properties file); its entry "primary",
     * if any, names the primary key.
     */
    private @Nullable Path file;

    public @Nullable String getPrimary() {
      return primary;
    }

    public void setPrimary(@Nullable String primary) {
      this.primary = primary;
    }

    public Map<String, String> getKeys() {
      return keys;
    }

    public void setKeys(Map<String, String> keys) {
      this.keys = keys;
    }

    public @Nullable Path getFile() {
      return file;
    }

    public void setFile(@Nullable Path file) {
      this.file = file;
    }

    /** Whether any key is configured. */
    boolean configured() {
      return file != null || !keys.isEmpty();
    }
  }

  /** When and how tokens are refreshed (RefreshPolicy); unset: its defaults. */
  public static class Policy {
    /** Fraction of a token's lifetime after which it is refreshed ahead, in (0, 1). */
    private @Nullable Double refreshAheadFraction;

    /** Largest fraction of the lifetime by which an instance moves its refresh-ahead earlier. */
    private @Nullable Double refreshJitter;

    /** How much earlier than its stated expiry a token stops being served. */
    private @Nullable Duration expirySkew;

    /** How long a caller waits for a token when the cached one has expired. */
    private @Nullable Duration waitTimeout;

    /** How long the instance that refreshes holds the fleet's refresh lock at most. */
    private @Nullable Duration leaseTime;

    /** How long one token request may take. */
    private @Nullable Duration endpointTimeout;

    /** Token requests one refresh may send on transient failures. */
    private @Nullable Integer maxAttempts;

    public @Nullable Double getRefreshAheadFraction() {
      return refreshAheadFraction;
    }

    public void setRefreshAheadFraction(@Nullable Double refreshAheadFraction) {
      this.refreshAheadFraction = refreshAheadFraction;
    }

    public @Nullable Double getRefreshJitter() {
      return refreshJitter;
    }

    public void setRefreshJitter(@Nullable Double refreshJitter) {
      this.refreshJitter = refreshJitter;
    }

    public @Nullable Duration getExpirySkew() {
      return expirySkew;
    }

    public void setExpirySkew(@Nullable Duration expirySkew) {
      this.expirySkew = expirySkew;
    }

    public @Nullable Duration getWaitTimeout() {
      return waitTimeout;
    }

    public void setWaitTimeout(@Nullable Duration waitTimeout) {
      this.waitTimeout = waitTimeout;
    }

    public @Nullable Duration getLeaseTime() {
      return leaseTime;
    }

    public void setLeaseTime(@Nullable Duration leaseTime) {
      this.leaseTime = leaseTime;
    }

    public @Nullable Duration getEndpointTimeout() {
      return endpointTimeout;
    }

    public void setEndpointTimeout(@Nullable Duration endpointTimeout) {
      this.endpointTimeout = endpointTimeout;
    }

    public @Nullable Integer getMaxAttempts() {
      return maxAttempts;
    }

    public void setMaxAttempts(@Nullable Integer maxAttempts) {
      this.maxAttempts = maxAttempts;
    }
  }
}

package dev.tokenherd.coordinator.redis;

import static java.util.Objects.requireNonNull;

import com.google.errorprone.annotations.CanIgnoreReturnValue;
import dev.tokenherd.TokenHerd;
import dev.tokenherd.coordinator.spi.ChangeFeed;
import dev.tokenherd.coordinator.spi.RefreshLock;
import dev.tokenherd.coordinator.spi.TokenStore;
import io.lettuce.core.AbstractRedisClient;
import io.lettuce.core.RedisClient;
import io.lettuce.core.cluster.RedisClusterClient;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import javax.net.ssl.TrustManagerFactory;
import org.jspecify.annotations.Nullable;
import org.redisson.api.RedissonClient;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The three fleet roles on one Redis deployment: a {@link RedisTokenStore} and a {@link
 * RedisChangeFeed} on Lettuce and a {@link RedissonRefreshLock} on Redisson.
 *
 * <pre>{@code
 * try (RedisBackend redis = RedisBackend.builder().uri("redis://127.0.0.1:6379").build();
 *     TokenHerd herd = redis.configure(TokenHerd.builder()).build()) {
 *   TokenCoordinator billing = herd.coordinator(TokenKey.of("billing-api"), endpoint);
 *   String bearer = billing.accessToken();
 * }
 * }</pre>
 *
 * <p>Three deployments: one server ({@link Builder#uri}), a Sentinel group ({@link
 * Builder#sentinel}: the clients ask the sentinels for the master and follow a failover) and a
 * Redis Cluster ({@link Builder#cluster}: every key and channel of a credential lives in one slot,
 * notices travel on that slot's shard channel, and {@link Builder#waitForReplicas} waits on the
 * replicas of the master that applied each write). {@link Builder#credentials} and {@link
 * Builder#tls} apply to the data nodes of Sentinel and Cluster deployments, {@link
 * Builder#sentinelCredentials} to the sentinels; {@link Builder#trustStore} says which authorities
 * TLS connections trust. docs/redis.md says what each topology survives.
 *
 * <p>Given a URI, the backend creates its Lettuce and Redisson clients configured to fail fast: a
 * command issued while Redis is unreachable is rejected at once instead of being buffered and
 * replayed after reconnection (a late replay could write a stale rotation), and every command times
 * out after {@link Builder#commandTimeout}. Given the caller's own clients, it uses them as they
 * are, warns once if the Lettuce client buffers commands while disconnected, and never closes them.
 *
 * <p>{@link Builder#build()} refuses a Redis whose {@code maxmemory-policy} can evict Tokenherd's
 * keys (anything but {@code noeviction}) with a {@link RedisConfigurationException}, unless the
 * policy was {@linkplain Builder#acceptMaxmemoryPolicy accepted}; where {@code CONFIG GET} is
 * denied it warns once and starts.
 *
 * <p>One file over the project's 400 lines, like {@code TokenHerd}: the public nested {@link
 * Builder}, which users name, documents every setting (three topologies, credentials, TLS and its
 * trust store, replicas, timeouts, the eviction check) in its own javadoc; what the deployment
 * means lives in {@code RedisTarget}, the clients in {@code BackendClients}, and {@link
 * Builder#build()} is the start-up order and its clean-up.
 */
public final class RedisBackend implements AutoCloseable {
  /** The command timeout used when none is configured. */
  public static final Duration DEFAULT_COMMAND_TIMEOUT = Duration.ofSeconds(2);

  /** The connect timeout used when none is configured. */
  public static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(2);

  private static final Logger log = LoggerFactory.getLogger(RedisBackend.class);

  private final RedisTokenStore tokenStore;
  private final RedisChangeFeed changeFeed;
  private final RedissonRefreshLock refreshLock;
  private final List<AutoCloseable> owned;

  private RedisBackend(
      RedisTokenStore tokenStore,
      RedisChangeFeed changeFeed,
      RedissonRefreshLock refreshLock,
      List<AutoCloseable> owned) {
    this.tokenStore = tokenStore;
    this.changeFeed = changeFeed;
    this.refreshLock = refreshLock;
    this.owned = owned;
  }

  /**
   * Returns a builder.
   *
   * @return a new builder; give it a {@linkplain Builder#uri URI} or both clients
   */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * Returns the token store.
   *
   * @return the {@link RedisTokenStore}; closed with this backend
   */
  public TokenStore tokenStore() {
    return tokenStore;
  }

  /**
   * Returns the refresh lock.
   *
   * @return the {@link RedissonRefreshLock}
   */
  public RefreshLock refreshLock() {
    return refreshLock;
  }

  /**
   * Returns the change feed.
   *
   * @return the {@link RedisChangeFeed}; closed with this backend
   */
  public ChangeFeed changeFeed() {
    return changeFeed;
  }

  /**
   * Sets this backend's store, lock and feed on a herd builder, and the Redis server's clock as the
   * {@linkplain TokenHerd.Builder#fleetTime fleet time}: every worker converts its own clock to the
   * server's, so that no worker's clock error makes any worker serve an expired token.
   *
   * @param herd the builder
   * @return the same builder
   */
  @CanIgnoreReturnValue
  public TokenHerd.Builder configure(TokenHerd.Builder herd) {
    return herd.tokenStore(tokenStore)
        .refreshLock(refreshLock)
        .changeFeed(changeFeed)
        .fleetTime(tokenStore);
  }

  /**
   * Closes the feed's and the store's connections, then the clients this backend created. Clients
   * passed to the builder stay open. Close the herds that use this backend first.
   */
  @Override
  public void close() {
    RuntimeException failure = null;
    for (AutoCloseable resource : owned) {
      try {
        resource.close();
      } catch (Exception e) {
        if (failure == null) {
          failure = new IllegalStateException("closing the Redis backend failed", e);
        } else {
          failure.addSuppressed(e);
        }
      }
    }
    if (failure != null) {
      throw failure;
    }
  }

  /** Builds a {@link RedisBackend}. */
  public static final class Builder {
    private @Nullable RedisTarget target;
    private RedisTarget.@Nullable Topology topology;
    private List<String> addresses = List.of();
    private @Nullable String masterName;
    private @Nullable String username;
    private @Nullable String password;
    private @Nullable String sentinelUsername;
    private @Nullable String sentinelPassword;
    private boolean tls;
    private @Nullable TrustManagerFactory trust;
    private int database;
    private @Nullable RedisClient redisClient;
    private @Nullable RedisClusterClient redisClusterClient;
    private @Nullable RedissonClient redissonClient;
    private RedisKeys keys = RedisKeys.defaults();
    private @Nullable KeyRing keyRing;
    private int replicas;
    private Duration replicaTimeout = Duration.ZERO;
    private Duration commandTimeout = DEFAULT_COMMAND_TIMEOUT;
    private Duration connectTimeout = DEFAULT_CONNECT_TIMEOUT;
    private @Nullable String acceptedPolicy;

    private Builder() {}

    /**
     * Connects to the Redis at this URI: {@code redis://[[user]:password@]host[:port][/database]}
     * or {@code rediss://} for TLS. The backend creates and later closes its own clients.
     *
     * @param uri the URI
     * @return this builder
     * @throws IllegalArgumentException if the URI is not a redis:// or rediss:// URI
     */
    @CanIgnoreReturnValue
    public Builder uri(String uri) {
      this.target = RedisTarget.parse(uri);
      this.topology = null;
      return this;
    }

    /**
     * Connects to the master a Sentinel group monitors under {@code masterName}: the clients ask
     * the sentinels for it at every connection, and after a failover connect to the new master. The
     * backend creates and later closes its own clients.
     *
     * @param masterName the name in the sentinels' {@code sentinel monitor} line
     * @param sentinels at least one sentinel as {@code host:port} (port 26379 if left out); give
     *     all of them, so that the fleet starts while one is down
     * @return this builder
     * @throws IllegalArgumentException if the name is blank or an address is not {@code host:port}
     */
    @CanIgnoreReturnValue
    public Builder sentinel(String masterName, List<String> sentinels) {
      requireNonNull(masterName, "masterName");
      if (masterName.isBlank()) {
        throw new IllegalArgumentException("the master name must not be blank");
      }
      this.addresses = addresses(sentinels, 26379);
      this.masterName = masterName;
      this.topology = RedisTarget.Topology.SENTINEL;
      this.target = null;
      return this;
    }

    /**
     * Connects to a Redis Cluster (Redis 7 or later: notices use sharded pub/sub). The clients
     * learn the cluster's layout from these seed nodes, follow {@code MOVED} and {@code ASK}, and
     * re-read the layout on redirections, failed reconnections and every second. The backend
     * creates and later closes its own clients.
     *
     * @param nodes at least one node as {@code host:port} (port 6379 if left out); several, so that
     *     the fleet starts while one is down
     * @return this builder
     * @throws IllegalArgumentException if an address is not {@code host:port}
     */
    @CanIgnoreReturnValue
    public Builder cluster(List<String> nodes) {
      this.addresses = addresses(nodes, 6379);
      this.masterName = null;
      this.topology = RedisTarget.Topology.CLUSTER;
      this.target = null;
      return this;
    }

    /**
     * Authenticates to the data nodes of a {@linkplain #sentinel Sentinel} or {@linkplain #cluster
     * Cluster} deployment (with {@link #uri}, credentials go in the URI).
     *
     * @param username the ACL user, or {@code null} for {@code requirepass} (the default user)
     * @param password the password
     * @return this builder
     */
    @CanIgnoreReturnValue
    public Builder credentials(@Nullable String username, String password) {
      this.username = username;
      this.password = requireNonNull(password, "password");
      return this;
    }

    /**
     * Authenticates to the sentinels, when they require it ({@code requirepass} or an ACL user in
     * their own configuration, separate from the data nodes').
     *
     * @param username the sentinels' ACL user, or {@code null} for the default user
     * @param password their password
     * @return this builder
     */
    @CanIgnoreReturnValue
    public Builder sentinelCredentials(@Nullable String username, String password) {
      this.sentinelUsername = username;
      this.sentinelPassword = requireNonNull(password, "password");
      return this;
    }

    /**
     * Uses TLS for every connection of a Sentinel or Cluster deployment, sentinels included (with
     * {@link #uri}, use {@code rediss://}). Certificates are checked against the JVM's default
     * trust store, or the {@linkplain #trustStore given one}, and must name the host the clients
     * connect to (the addresses given, and those the servers announce).
     *
     * @param tls whether to use TLS (default {@code false})
     * @return this builder
     */
    @CanIgnoreReturnValue
    public Builder tls(boolean tls) {
      this.tls = tls;
      return this;
    }

    /**
     * Trusts the certificates in {@code file} for TLS ({@code rediss://}, or {@link #tls}) instead
     * of the JVM's default trust store: for servers whose certificates a private authority signed.
     * Applies to every connection of the clients the backend creates, Lettuce's and Redisson's,
     * sentinels included.
     *
     * @param file a PEM file of one or more certificates (the authority's), or a PKCS#12 trust
     *     store; read now
     * @param password the trust store's password, or {@code null} for none and for PEM; not kept
     * @return this builder
     * @throws IllegalArgumentException if the file cannot be read, holds no trusted certificate or
     *     the password is wrong (the message names the file, never the password)
     */
    @CanIgnoreReturnValue
    public Builder trustStore(Path file, char @Nullable [] password) {
      this.trust = TrustStores.load(file, password);
      return this;
    }

    /**
     * Selects the database of a Sentinel deployment (default 0; a cluster has only 0; with {@link
     * #uri}, the database is the URI's path).
     *
     * @param database the database number, at least 0
     * @return this builder
     */
    @CanIgnoreReturnValue
    public Builder database(int database) {
      if (database < 0) {
        throw new IllegalArgumentException("database must not be negative: " + database);
      }
      this.database = database;
      return this;
    }

    /**
     * Uses the caller's Lettuce cluster client for the store and the feed; the backend never closes
     * it. Configure it as {@link #redisClient} says, with topology refresh on ({@code
     * ClusterTopologyRefreshOptions}: adaptive triggers and a periodic refresh), so that it follows
     * a failover.
     *
     * @param redisClusterClient the client; it takes precedence over the topology settings for the
     *     store and the feed
     * @return this builder
     */
    @CanIgnoreReturnValue
    public Builder redisClusterClient(RedisClusterClient redisClusterClient) {
      this.redisClusterClient = requireNonNull(redisClusterClient, "redisClusterClient");
      return this;
    }

    private static List<String> addresses(List<String> given, int defaultPort) {
      requireNonNull(given, "addresses");
      if (given.isEmpty()) {
        throw new IllegalArgumentException("give at least one host:port address");
      }
      // Parsed now, so that a bad address fails here rather than at build().
      return given.stream()
          .map(a -> RedisTarget.HostPort.parse(a, defaultPort).toString())
          .toList();
    }

    /** The target the topology settings describe, or the URI's; {@code null} if neither. */
    private @Nullable RedisTarget target() {
      if (topology == null) {
        if (target != null && (username != null || password != null || tls || database != 0)) {
          throw new IllegalStateException(
              "with uri(...), put credentials, TLS (rediss://) and the database in the URI;"
                  + " credentials(...), tls(...) and database(...) are for sentinel(...) and"
                  + " cluster(...)");
        }
        return target;
      }
      int defaultPort = topology == RedisTarget.Topology.SENTINEL ? 26379 : 6379;
      return new RedisTarget(
          topology,
          addresses.stream().map(a -> RedisTarget.HostPort.parse(a, defaultPort)).toList(),
          masterName,
          username,
          password,
          sentinelUsername,
          sentinelPassword,
          tls,
          database);
    }

    /**
     * Uses the caller's Lettuce client for the store and the feed; the backend never closes it.
     * Configure it to reject commands while disconnected ({@code
     * ClientOptions.DisconnectedBehavior.REJECT_COMMANDS}) and with a command timeout shorter than
     * the refresh lease.
     *
     * @param redisClient the client; it takes precedence over the {@linkplain #uri URI} for the
     *     store and the feed
     * @return this builder
     */
    @CanIgnoreReturnValue
    public Builder redisClient(RedisClient redisClient) {
      this.redisClient = requireNonNull(redisClient, "redisClient");
      return this;
    }

    /**
     * Uses the caller's Redisson client for the lock; the backend never closes it.
     *
     * @param redissonClient the client; it takes precedence over the {@linkplain #uri URI} for the
     *     lock
     * @return this builder
     */
    @CanIgnoreReturnValue
    public Builder redissonClient(RedissonClient redissonClient) {
      this.redissonClient = requireNonNull(redissonClient, "redissonClient");
      return this;
    }

    /**
     * Sets the namespace every key and channel lives under (default {@code tokenherd}). Every
     * worker of a fleet must use the same one.
     *
     * @param namespace 1 to 64 characters of letters, digits and {@code . _ -}
     * @return this builder
     * @throws IllegalArgumentException if the namespace is not valid
     */
    @CanIgnoreReturnValue
    public Builder namespace(String namespace) {
      this.keys = RedisKeys.of(namespace);
      return this;
    }

    /**
     * Encrypts the stored secrets with this key ring (default: plain JSON).
     *
     * @param keyRing the keys; every worker of the fleet needs every key a stored record may be
     *     encrypted with
     * @return this builder
     */
    @CanIgnoreReturnValue
    public Builder keyRing(KeyRing keyRing) {
      this.keyRing = requireNonNull(keyRing, "keyRing");
      return this;
    }

    /**
     * After each rotation, waits for this many replicas to acknowledge the write before announcing
     * it and releasing the lock. Fewer acknowledgements within the timeout are reported to {@code
     * RefreshListener.onUnderReplicatedWrite}.
     *
     * @param replicas how many replicas, at least 0 (0: do not wait)
     * @param timeout how long to wait, at least 1 ms unless {@code replicas} is 0
     * @return this builder
     */
    @CanIgnoreReturnValue
    public Builder waitForReplicas(int replicas, Duration timeout) {
      RedisTokenStore.Builder.checkReplicaWait(replicas, timeout);
      this.replicas = replicas;
      this.replicaTimeout = timeout;
      return this;
    }

    /**
     * Sets how long a Redis command may take before it fails, for the clients this backend creates
     * (default 2 s). Keep it well below the refresh lease and the callers' wait timeout.
     *
     * @param commandTimeout the timeout; positive, and longer than the {@linkplain #waitForReplicas
     *     replica wait} if one is set ({@link #build()} refuses it otherwise: a {@code WAIT} the
     *     client gives up on still holds its connection on the server)
     * @return this builder
     * @throws IllegalArgumentException if {@code commandTimeout} is zero or negative
     */
    @CanIgnoreReturnValue
    public Builder commandTimeout(Duration commandTimeout) {
      this.commandTimeout = positive(commandTimeout, "commandTimeout");
      return this;
    }

    /**
     * Sets how long connecting may take, for the clients this backend creates (default 2 s).
     *
     * @param connectTimeout the timeout; positive
     * @return this builder
     * @throws IllegalArgumentException if {@code connectTimeout} is zero or negative
     */
    @CanIgnoreReturnValue
    public Builder connectTimeout(Duration connectTimeout) {
      this.connectTimeout = positive(connectTimeout, "connectTimeout");
      return this;
    }

    /**
     * Starts even though Redis runs this {@code maxmemory-policy}, which can evict Tokenherd's
     * keys. Without it, {@link #build()} refuses every policy but {@code noeviction} with a {@link
     * RedisConfigurationException}: a {@code volatile-*} policy can evict the refresh lock while it
     * is held (its lease is its TTL), so that two workers present the same refresh token; an {@code
     * allkeys-*} policy can evict the fence counter, the lock and the stored record, the only copy
     * of the current refresh token. With it, {@code build()} accepts exactly this policy and logs
     * one warning naming it; any other evicting policy is still refused.
     *
     * <p>Use it only where the policy cannot be changed and memory is known to stay far below
     * {@code maxmemory}, or for a throw-away Redis. See docs/redis.md.
     *
     * @param policy the policy as Redis names it, for example {@code volatile-lru}; case is ignored
     * @return this builder
     * @throws IllegalArgumentException if {@code policy} is not a policy name (lower-case words
     *     joined by {@code -})
     */
    @CanIgnoreReturnValue
    public Builder acceptMaxmemoryPolicy(String policy) {
      requireNonNull(policy, "policy");
      String normalized = policy.trim().toLowerCase(Locale.ROOT);
      if (!normalized.matches("[a-z]+(-[a-z]+)*")) {
        throw new IllegalArgumentException(
            "not a maxmemory-policy name: '" + policy + "' (for example volatile-lru)");
      }
      this.acceptedPolicy = normalized;
      return this;
    }

    /**
     * Creates the clients that were not given, then the store, the feed and the lock, after
     * checking that Redis cannot evict Tokenherd's keys: its {@code maxmemory-policy} must be
     * {@code noeviction}, unless {@linkplain #acceptMaxmemoryPolicy accepted}. The check asks the
     * store's server ({@code CONFIG GET}) and, when the lock's Redisson client was given or the
     * store's Lettuce client was, the masters of the Redisson client too. Where {@code CONFIG GET}
     * is refused (an ACL user without {@code config|get}, a managed service that disabled {@code
     * CONFIG}), it logs one warning saying what to verify by hand and goes on.
     *
     * @return the backend
     * @throws IllegalStateException if neither a URI nor both clients were given
     * @throws RedisConfigurationException if a server's {@code maxmemory-policy} can evict
     *     Tokenherd's keys and was not accepted; nothing is left open
     * @throws io.lettuce.core.RedisConnectionException if Redis at the URI cannot be reached or
     *     refuses its credentials, or a server does not answer the policy check (the message says
     *     which); nothing is left open
     */
    public RedisBackend build() {
      RedisTarget target = target();
      if (redisClient != null && redisClusterClient != null) {
        throw new IllegalStateException(
            "set redisClient(...) or redisClusterClient(...), not both");
      }
      boolean lettuceGiven = redisClient != null || redisClusterClient != null;
      if (target == null && (!lettuceGiven || redissonClient == null)) {
        throw new IllegalStateException(
            "set uri(...), sentinel(...) or cluster(...); or a Lettuce client (redisClient(...) or"
                + " redisClusterClient(...)) and redissonClient(...)");
      }
      if (trust != null && (target == null || !target.ssl())) {
        throw new IllegalStateException(
            "trustStore(...) is for the TLS connections of the clients the backend creates: use"
                + " rediss:// or tls(true)");
      }
      if (replicas > 0 && !lettuceGiven && replicaTimeout.compareTo(commandTimeout) >= 0) {
        // A WAIT the client gives up on still blocks its connection on the server: the next
        // writes queue behind it, time out, and become ambiguous.
        throw new IllegalStateException(
            "the waitForReplicas timeout ("
                + replicaTimeout
                + ") must be shorter than the command timeout ("
                + commandTimeout
                + "): a WAIT the client gives up on still holds its connection on the server, and"
                + " the writes queued behind it time out");
      }
      BackendClients clients = new BackendClients(commandTimeout, connectTimeout, trust);
      List<AutoCloseable> owned = new ArrayList<>();
      boolean checking = false;
      try {
        AbstractRedisClient lettuce = redisClient != null ? redisClient : redisClusterClient;
        if (lettuce == null) {
          lettuce = clients.lettuce(requireNonNull(target), owned);
        } else {
          BackendClients.warnIfBuffering(lettuce);
        }
        RedissonClient redisson = redissonClient;
        if (redisson == null) {
          redisson = clients.redisson(requireNonNull(target), owned);
        }
        RedisTokenStore.Builder store =
            (lettuce instanceof RedisClusterClient cluster
                    ? RedisTokenStore.builder(cluster)
                    : RedisTokenStore.builder((RedisClient) lettuce))
                .keys(keys);
        if (keyRing != null) {
          store.keyRing(keyRing);
        }
        if (replicas > 0) {
          store.waitForReplicas(replicas, replicaTimeout);
        }
        RedisTokenStore tokenStore = store.build();
        owned.add(0, tokenStore);
        EvictionPolicyCheck policyCheck = new EvictionPolicyCheck(acceptedPolicy);
        checking = true;
        tokenStore.checkReplicaWaitAllowed(
            target == null ? EvictionPolicyCheck.GIVEN_LETTUCE : target.address());
        var single = tokenStore.readConnection();
        if (single != null) {
          policyCheck.check(
              single,
              lettuceGiven ? EvictionPolicyCheck.GIVEN_LETTUCE : requireNonNull(target).address());
        }
        if (single == null
            || lettuceGiven
            || redissonClient != null
            || requireNonNull(target).topology() != RedisTarget.Topology.STANDALONE) {
          // Created from one URI, both clients talk to one server; given, they may not. Every
          // master of a cluster, and a Sentinel group's current master, through Redisson.
          policyCheck.check(redisson);
        }
        checking = false;
        RedisChangeFeed changeFeed =
            lettuce instanceof RedisClusterClient cluster
                ? RedisChangeFeed.create(cluster, keys)
                : RedisChangeFeed.create((RedisClient) lettuce, keys);
        owned.add(0, changeFeed);
        RedissonRefreshLock refreshLock = new RedissonRefreshLock(redisson, keys);
        policyCheck.report(log);
        return new RedisBackend(tokenStore, changeFeed, refreshLock, List.copyOf(owned));
      } catch (RuntimeException e) {
        for (AutoCloseable resource : owned) {
          try {
            resource.close();
          } catch (Exception suppressed) {
            e.addSuppressed(suppressed);
          }
        }
        // The policy check's failures already name the server and say what happened.
        throw target == null || checking ? e : BackendClients.connectFailure(target, e);
      }
    }

    private static Duration positive(Duration duration, String name) {
      requireNonNull(duration, name);
      if (duration.isNegative() || duration.isZero()) {
        throw new IllegalArgumentException(name + " must be positive, got " + duration);
      }
      return duration;
    }
  }
}

package dev.tokenherd.coordinator.redis;

import io.lettuce.core.AbstractRedisClient;
import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisClient;
import io.lettuce.core.SocketOptions;
import io.lettuce.core.SslOptions;
import io.lettuce.core.TimeoutOptions;
import io.lettuce.core.cluster.ClusterClientOptions;
import io.lettuce.core.cluster.ClusterTopologyRefreshOptions;
import io.lettuce.core.cluster.RedisClusterClient;
import io.lettuce.core.resource.ClientResources;
import io.lettuce.core.resource.Delay;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.TrustManagerFactory;
import org.jspecify.annotations.Nullable;
import org.redisson.Redisson;
import org.redisson.api.RedissonClient;
import org.redisson.config.BaseConfig;
import org.redisson.config.BaseMasterSlaveServersConfig;
import org.redisson.config.Config;
import org.redisson.config.EqualJitterDelay;
import org.redisson.config.ReadMode;
import org.redisson.config.ShardedSubscriptionMode;
import org.redisson.config.SubscriptionMode;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Lettuce and Redisson clients a {@link RedisBackend} creates from a URI, configured to fail
 * fast (see the backend's class documentation); and what it says about clients: a caller's client
 * that buffers commands, a server that cannot be reached or refuses the URI's credentials. Logs
 * under the backend's category, the one users configure.
 */
final class BackendClients {
  /**
   * The bounds of the jittered, growing pause between reconnection attempts of the clients this
   * backend creates: short, so that a fleet is back within seconds of Redis.
   */
  static final Duration RECONNECT_DELAY_MIN = Duration.ofMillis(100);

  static final Duration RECONNECT_DELAY_MAX = Duration.ofSeconds(2);

  /**
   * How often the clients re-read a cluster's or a Sentinel group's topology even when nothing told
   * them it changed. Lettuce also refreshes at once on {@code MOVED}, {@code ASK} and persistent
   * reconnection failures; Redisson scans on this period only.
   */
  static final Duration TOPOLOGY_REFRESH = Duration.ofSeconds(1);

  private static final Logger log = LoggerFactory.getLogger(RedisBackend.class);

  private final Duration commandTimeout;
  private final Duration connectTimeout;
  private final @Nullable TrustManagerFactory trust;

  /**
   * Creates the factory.
   *
   * @param commandTimeout how long a command of the created clients may take
   * @param connectTimeout how long their connecting may take
   * @param trust what their TLS connections trust, or {@code null} for the JVM's default
   */
  BackendClients(
      Duration commandTimeout, Duration connectTimeout, @Nullable TrustManagerFactory trust) {
    this.commandTimeout = commandTimeout;
    this.connectTimeout = connectTimeout;
    this.trust = trust;
  }

  /**
   * Creates a Lettuce client, with client resources of its own: a {@link RedisClusterClient} for a
   * cluster, else a {@link RedisClient} (for Sentinel, one that asks the sentinels for the master
   * at every connection and reconnection). Adds what must be shut down to {@code owned}: the client
   * at the front, its resources at the end, so that they go last.
   */
  @SuppressWarnings("deprecation") // enableAllAdaptiveRefreshTriggers: see where it is called
  AbstractRedisClient lettuce(RedisTarget target, List<AutoCloseable> owned) {
    ClientResources resources =
        ClientResources.builder()
            .ioThreadPoolSize(2)
            .computationThreadPoolSize(2)
            .reconnectDelay(
                Delay.equalJitter(
                    RECONNECT_DELAY_MIN, RECONNECT_DELAY_MAX, 100, TimeUnit.MILLISECONDS))
            .build();
    owned.add(() -> resources.shutdown(0, 2, TimeUnit.SECONDS).get());
    SocketOptions socket =
        SocketOptions.builder().connectTimeout(connectTimeout).keepAlive(true).build();
    if (target.topology() == RedisTarget.Topology.CLUSTER) {
      RedisClusterClient client =
          RedisClusterClient.create(resources, target.clusterUris(commandTimeout));
      owned.add(0, () -> client.shutdown(Duration.ZERO, Duration.ofSeconds(2)));
      client.setOptions(
          ClusterClientOptions.builder()
              .sslOptions(sslOptions())
              .autoReconnect(true)
              .disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS)
              .timeoutOptions(TimeoutOptions.enabled(commandTimeout))
              .socketOptions(socket)
              .topologyRefreshOptions(
                  ClusterTopologyRefreshOptions.builder()
                      // Adaptive refresh (on MOVED, ASK, failed reconnections, an uncovered slot
                      // or an unknown node): the default since Lettuce 7, which deprecated the
                      // switch, but not in the 6.8 a Spring Boot 4.0 application runs.
                      .enableAllAdaptiveRefreshTriggers()
                      .adaptiveRefreshTriggersTimeout(TOPOLOGY_REFRESH)
                      .enablePeriodicRefresh(TOPOLOGY_REFRESH)
                      .build())
              .build());
      return client;
    }
    RedisClient client = RedisClient.create(resources, target.lettuceUri(commandTimeout));
    owned.add(0, () -> client.shutdown(Duration.ZERO, Duration.ofSeconds(2)));
    client.setOptions(
        ClientOptions.builder()
            .sslOptions(sslOptions())
            .autoReconnect(true)
            .disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS)
            .timeoutOptions(TimeoutOptions.enabled(commandTimeout))
            .socketOptions(socket)
            .build());
    return client;
  }

  /** Lettuce's TLS settings: the JDK's provider, trusting {@link #trust} if set. */
  private SslOptions sslOptions() {
    SslOptions.Builder ssl = SslOptions.builder().jdkSslProvider();
    if (trust != null) {
      ssl.trustManager(trust);
    }
    return ssl.build();
  }

  /** Creates a Redisson client and adds its shutdown to the front of {@code owned}. */
  RedissonClient redisson(RedisTarget target, List<AutoCloseable> owned) {
    RedissonClient client = Redisson.create(redissonConfig(target));
    owned.add(0, () -> client.shutdown(0, 2, TimeUnit.SECONDS));
    return client;
  }

  private Config redissonConfig(RedisTarget target) {
    Config config = new Config();
    config.setNettyThreads(4);
    config.setThreads(2);
    List<String> addresses = target.redissonAddresses();
    switch (target.topology()) {
      case STANDALONE ->
          failFast(
              config
                  .useSingleServer()
                  .setAddress(addresses.get(0))
                  .setDatabase(target.database())
                  .setConnectionMinimumIdleSize(1)
                  .setConnectionPoolSize(4)
                  .setSubscriptionConnectionMinimumIdleSize(0)
                  .setSubscriptionConnectionPoolSize(1));
      case SENTINEL -> {
        var sentinel =
            config
                .useSentinelServers()
                .setMasterName(target.masterName())
                .setDatabase(target.database())
                .setScanInterval(millis(TOPOLOGY_REFRESH));
        addresses.forEach(sentinel::addSentinelAddress);
        if (target.sentinelUsername() != null) {
          sentinel.setSentinelUsername(target.sentinelUsername());
        }
        if (target.sentinelPassword() != null) {
          sentinel.setSentinelPassword(target.sentinelPassword());
        }
        failFast(mastersOnly(sentinel));
      }
      case CLUSTER -> {
        // Classic pub/sub for Redisson's own channels: the lock's release script PUBLISHes on the
        // unlock channel, and AUTO would probe the server (PUBSUB SHARDNUMSUB) and, where sharded
        // pub/sub works, have a waiter SSUBSCRIBE, which a PUBLISH never reaches.
        var cluster =
            config
                .useClusterServers()
                .setScanInterval(millis(TOPOLOGY_REFRESH))
                .setShardedSubscriptionMode(ShardedSubscriptionMode.OFF);
        addresses.forEach(cluster::addNodeAddress);
        failFast(mastersOnly(cluster));
      }
    }
    config.setTcpKeepAlive(true);
    // Redisson's lock WAITs for every replica after taking the lock and, when one lags, reports
    // the acquisition failed (NoSyncedSlavesException) though its script took the lock, which
    // then stays held by nobody for a whole lease (chaos scenario 14b). Fences do not need it:
    // a counter that goes back is re-fenced, and waitForReplicas guards the marks themselves.
    config.setCheckLockSyncedSlaves(false);
    if (trust != null) {
      config.setSslTrustManagerFactory(trust);
    }
    String username = target.username();
    if (username != null) {
      config.setUsername(username);
    }
    String password = target.password();
    if (password != null) {
      config.setPassword(password);
    }
    return config;
  }

  /**
   * Reads and subscriptions on masters only (the lock's scripts write anyway), with small pools and
   * no idle connections to replicas.
   */
  private static <T extends BaseMasterSlaveServersConfig<T>> T mastersOnly(T servers) {
    return servers
        .setReadMode(ReadMode.MASTER)
        .setSubscriptionMode(SubscriptionMode.MASTER)
        .setMasterConnectionMinimumIdleSize(1)
        .setMasterConnectionPoolSize(4)
        .setSlaveConnectionMinimumIdleSize(0)
        .setSlaveConnectionPoolSize(1)
        .setSubscriptionConnectionMinimumIdleSize(0)
        .setSubscriptionConnectionPoolSize(1);
  }

  /** The timeouts, no retries of Redisson's own (the engine owns retries), short reconnects. */
  private <T extends BaseConfig<T>> void failFast(T servers) {
    servers
        .setTimeout(millis(commandTimeout))
        .setConnectTimeout(millis(connectTimeout))
        .setRetryAttempts(0)
        .setReconnectionDelay(new EqualJitterDelay(RECONNECT_DELAY_MIN, RECONNECT_DELAY_MAX));
  }

  /** Warns once if a caller's client buffers commands while disconnected. */
  static void warnIfBuffering(AbstractRedisClient client) {
    ClientOptions options = client.getOptions();
    if (options.getDisconnectedBehavior() != ClientOptions.DisconnectedBehavior.REJECT_COMMANDS
        && options.isAutoReconnect()) {
      log.warn(
          "the Redis client buffers commands while disconnected and replays them on"
              + " reconnection; configure ClientOptions.disconnectedBehavior(REJECT_COMMANDS) so"
              + " that callers fail fast and no stale write is replayed late");
    }
  }

  /**
   * Names the server and, when it refused the URI's credentials, says so in the first line: both
   * clients bury that several causes deep.
   *
   * @return the failure to throw: {@code e} itself if it is not about connecting
   */
  static RuntimeException connectFailure(RedisTarget target, RuntimeException e) {
    boolean connecting = false;
    String refusal = null;
    for (Throwable t = e; t != null; t = t.getCause()) {
      connecting |=
          t instanceof io.lettuce.core.RedisConnectionException
              || t instanceof org.redisson.client.RedisConnectionException;
      String message = t.getMessage();
      if (refusal == null
          && message != null
          && (message.startsWith("WRONGPASS")
              || message.startsWith("NOAUTH")
              || message.startsWith("NOPERM"))) {
        int end = message.indexOf(". channel:");
        refusal = end < 0 ? message : message.substring(0, end);
      }
    }
    if (!connecting && refusal == null) {
      return e;
    }
    String server = target.address();
    String username = target.username();
    String user = username == null ? "" : " (user '" + username + "')";
    String message;
    if (refusal == null) {
      message = "cannot connect to Redis at " + server;
    } else if (refusal.startsWith("NOPERM")) {
      // Authenticated, then refused a command the clients send while connecting (the layout of a
      // cluster, a Sentinel's answer): an ACL that lacks a rule of the deployment's topology.
      message =
          "Redis at "
              + server
              + " refused a command of the clients while connecting"
              + user
              + ": "
              + refusal
              + " (docs/redis.md lists the ACL rules of each topology)";
    } else {
      message = "Redis at " + server + " refused the credentials" + user + ": " + refusal;
    }
    return new io.lettuce.core.RedisConnectionException(message, e);
  }

  private static int millis(Duration duration) {
    return (int) Math.min(Integer.MAX_VALUE, duration.toMillis());
  }
}

package dev.tokenherd.coordinator.redis;

import static java.util.Objects.requireNonNull;

import io.lettuce.core.RedisURI;
import java.net.URI;
import java.net.URISyntaxException;
import java.time.Duration;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * The Redis deployment a {@link RedisBackend} connects to: one server, a Sentinel group's master,
 * or a Redis Cluster, with the credentials and TLS setting of its data nodes (and of the sentinels,
 * which may have their own). {@link #toString()} names the servers and the user only; no message
 * made here quotes a password.
 *
 * @param topology how the servers are arranged
 * @param addresses {@code host:port} of the server (standalone), the sentinels, or the cluster's
 *     seed nodes
 * @param masterName the name the sentinels monitor the master under; {@code null} unless Sentinel
 * @param username the data nodes' user, or {@code null} for the default user
 * @param password the data nodes' password, or {@code null} for none
 * @param sentinelUsername the sentinels' user, or {@code null}
 * @param sentinelPassword the sentinels' password, or {@code null} for none
 * @param ssl whether every connection uses TLS
 * @param database the database number (0 on a cluster)
 */
record RedisTarget(
    Topology topology,
    List<HostPort> addresses,
    @Nullable String masterName,
    @Nullable String username,
    @Nullable String password,
    @Nullable String sentinelUsername,
    @Nullable String sentinelPassword,
    boolean ssl,
    int database) {

  /** How a deployment's servers are arranged. */
  enum Topology {
    STANDALONE,
    SENTINEL,
    CLUSTER
  }

  /**
   * A server's address.
   *
   * @param host the host name or IP address
   * @param port the port
   */
  record HostPort(String host, int port) {
    HostPort {
      requireNonNull(host, "host");
      if (host.isBlank() || port < 1 || port > 65535) {
        throw new IllegalArgumentException("not a host and port: " + host + ":" + port);
      }
    }

    /**
     * Parses {@code host:port} ({@code [v6]:port} for IPv6), or {@code host} with the default port.
     *
     * @throws IllegalArgumentException if {@code address} is not such an address
     */
    static HostPort parse(String address, int defaultPort) {
      requireNonNull(address, "address");
      String trimmed = address.trim();
      URI uri;
      try {
        uri = new URI("redis://" + trimmed);
      } catch (URISyntaxException e) {
        throw new IllegalArgumentException("not a host:port address: '" + shown(address) + "'");
      }
      if (uri.getHost() == null || uri.getUserInfo() != null || !uri.getRawPath().isEmpty()) {
        throw new IllegalArgumentException(
            "not a host:port address: '" + shown(address) + "' (no scheme, user or path)");
      }
      return new HostPort(uri.getHost(), uri.getPort() < 0 ? defaultPort : uri.getPort());
    }

    /** An address as messages quote it: anything up to an {@code @} may be a secret. */
    private static String shown(String address) {
      int at = address.lastIndexOf('@');
      return at < 0 ? address : "***" + address.substring(at);
    }

    @Override
    public String toString() {
      return (host.contains(":") && !host.startsWith("[") ? "[" + host + "]" : host) + ":" + port;
    }
  }

  RedisTarget {
    requireNonNull(topology, "topology");
    addresses = List.copyOf(addresses);
    if (addresses.isEmpty()) {
      throw new IllegalArgumentException("no server address given");
    }
    if ((topology == Topology.SENTINEL) != (masterName != null)) {
      throw new IllegalArgumentException("a master name goes with Sentinel, and only there");
    }
    if (topology == Topology.CLUSTER && database != 0) {
      throw new IllegalArgumentException("a Redis Cluster has database 0 only, got " + database);
    }
    if (database < 0) {
      throw new IllegalArgumentException("database must not be negative: " + database);
    }
  }

  /**
   * Parses {@code redis://[[user]:password@]host[:port][/database]}, or {@code rediss://} for TLS.
   *
   * @throws IllegalArgumentException if {@code uri} is not such a URI; the message shows the URI
   *     with its user information masked, and chains no cause (the parsers' messages quote it)
   */
  static RedisTarget parse(String uri) {
    requireNonNull(uri, "uri");
    URI parsed;
    try {
      parsed = new URI(uri);
    } catch (URISyntaxException e) {
      // Not chained: the parser's own message quotes the whole input, password included.
      throw new IllegalArgumentException(
          "not a URI ("
              + e.getReason()
              + " at index "
              + e.getIndex()
              + "): "
              + redactUserInfo(uri));
    }
    String scheme = parsed.getScheme();
    if (!"redis".equals(scheme) && !"rediss".equals(scheme)) {
      throw new IllegalArgumentException(
          "expected a redis:// or rediss:// URI, got "
              + redactUserInfo(uri)
              + ("redis-sentinel".equals(scheme)
                  ? " (for Sentinel use RedisBackend.Builder.sentinel(...))"
                  : ""));
    }
    if (parsed.getHost() == null) {
      throw new IllegalArgumentException("the URI names no host: " + redactUserInfo(uri));
    }
    RedisURI lettuce;
    try {
      lettuce = RedisURI.create(parsed);
    } catch (RuntimeException e) {
      // Not chained either: Lettuce's messages may quote the input.
      throw new IllegalArgumentException(
          "not a valid Redis URI: " + redactUserInfo(uri) + " (" + e.getClass().getName() + ")");
    }
    String username = null;
    String password = null;
    String userInfo = parsed.getUserInfo();
    if (userInfo != null && !userInfo.isEmpty()) {
      int colon = userInfo.indexOf(':');
      if (colon < 0) {
        password = userInfo;
      } else {
        username = userInfo.substring(0, colon).isEmpty() ? null : userInfo.substring(0, colon);
        password = userInfo.substring(colon + 1);
      }
    }
    return new RedisTarget(
        Topology.STANDALONE,
        List.of(new HostPort(lettuce.getHost(), lettuce.getPort())),
        null,
        username,
        password,
        null,
        null,
        lettuce.isSsl(),
        lettuce.getDatabase());
  }

  /**
   * Returns the URI Lettuce's {@code RedisClient} connects with: the server, or the sentinels (each
   * with the sentinels' credentials) and the master's name, with {@code timeout} as its command
   * timeout. Cluster targets use {@link #clusterUris}.
   */
  RedisURI lettuceUri(Duration timeout) {
    RedisURI.Builder builder;
    if (topology == Topology.SENTINEL) {
      // Each sentinel with the sentinels' own credentials, which may differ from the data nodes'.
      builder = RedisURI.builder().withSentinelMasterId(requireNonNull(masterName));
      for (HostPort sentinel : addresses) {
        builder.withSentinel(node(sentinel, sentinelUsername, sentinelPassword));
      }
    } else if (topology == Topology.STANDALONE) {
      HostPort server = addresses.get(0);
      builder = RedisURI.builder().withHost(server.host()).withPort(server.port());
    } else {
      throw new IllegalStateException("a cluster has no single URI");
    }
    builder.withSsl(ssl).withDatabase(database).withTimeout(timeout);
    authenticate(builder, username, password);
    return builder.build();
  }

  /**
   * Returns the seed nodes of a cluster, each with the data nodes' credentials and {@code timeout}
   * as its command timeout.
   */
  List<RedisURI> clusterUris(Duration timeout) {
    return addresses.stream()
        .map(a -> RedisURI.builder(node(a, username, password)).withTimeout(timeout).build())
        .toList();
  }

  /**
   * Returns the addresses Redisson takes: {@code redis://host:port}, or {@code rediss://} for TLS.
   */
  List<String> redissonAddresses() {
    return addresses.stream().map(a -> (ssl ? "rediss://" : "redis://") + a).toList();
  }

  /** Returns what messages call the deployment: {@code host:port}, the sentinels or the seeds. */
  String address() {
    String servers = String.join(",", addresses.stream().map(HostPort::toString).toList());
    return switch (topology) {
      case STANDALONE -> servers;
      case SENTINEL -> "the master '" + masterName + "' of the sentinels " + servers;
      case CLUSTER -> "the cluster of " + servers;
    };
  }

  private RedisURI node(HostPort address, @Nullable String user, @Nullable String secret) {
    RedisURI.Builder builder =
        RedisURI.builder().withHost(address.host()).withPort(address.port()).withSsl(ssl);
    authenticate(builder, user, secret);
    return builder.build();
  }

  private static void authenticate(
      RedisURI.Builder builder, @Nullable String user, @Nullable String secret) {
    if (secret != null) {
      if (user != null) {
        builder.withAuthentication(user, secret.toCharArray());
      } else {
        builder.withPassword(secret.toCharArray());
      }
    }
  }

  @Override
  public String toString() {
    return "RedisTarget["
        + address()
        + (username == null ? "" : ", user=" + username)
        + (ssl ? ", tls" : "")
        + "]";
  }

  /**
   * Masks everything between {@code //} and the last {@code @}: a password may hold any character,
   * {@code /} and {@code @} included, so masking too much is the safe side.
   */
  static String redactUserInfo(String uri) {
    int start = uri.indexOf("//");
    int at = uri.lastIndexOf('@');
    return start < 0 || at < start ? uri : uri.substring(0, start + 2) + "***" + uri.substring(at);
  }
}

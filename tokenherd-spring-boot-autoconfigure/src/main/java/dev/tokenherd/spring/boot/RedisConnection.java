package dev.tokenherd.spring.boot;

import dev.tokenherd.coordinator.redis.RedisBackend;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;
import org.springframework.boot.context.properties.bind.Bindable;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.core.env.Environment;

/**
 * The Redis deployment Tokenherd connects to, as the calls it makes on a {@link
 * RedisBackend.Builder}: read from {@code tokenherd.redis.url}, else from Boot's own {@code
 * spring.data.redis.*} with a {@link Binder}, so Spring Data Redis need not be on the class path.
 *
 * <p>Which deployment, in this order ({@code tokenherd.redis.url} first, then as Spring Boot 4.0's
 * {@code DataRedisConnectionConfiguration} decides, so that Tokenherd and the application's own
 * Redis clients talk to the same servers):
 *
 * <ol>
 *   <li>{@code tokenherd.redis.url}: that server, whatever else is set;
 *   <li>any {@code spring.data.redis.sentinel.*}: the master the sentinels ({@code .nodes}) monitor
 *       under {@code .master}, the sentinels authenticated with {@code .username} and {@code
 *       .password}; Boot prefers Sentinel when Cluster is set too, and so does Tokenherd;
 *   <li>any {@code spring.data.redis.cluster.*}: the cluster of {@code .nodes}; {@code
 *       .max-redirects} is ignored (Lettuce's default limit applies: {@link RedisBackend} does not
 *       expose {@code ClusterClientOptions.maxRedirects});
 *   <li>{@code spring.data.redis.url}, else {@code .host} and {@code .port}: one server ({@code
 *       spring.data.redis.masterreplica.nodes} is refused: Tokenherd needs the master, found by
 *       Sentinel or given).
 * </ol>
 *
 * <p>The data nodes' user, password and database are those of {@code spring.data.redis.url} when it
 * is set (Boot reads them from it for Sentinel and Cluster too), else {@code .username}, {@code
 * .password} and {@code .database}; a user without a password is ignored, as Spring Data Redis
 * does. A database other than 0 is refused on a cluster. TLS is on with {@code .ssl.enabled}, with
 * a {@code .ssl.bundle} unless {@code .ssl.enabled=false} (as in Boot; the certificates are checked
 * against the JVM's trust store, not the bundle's), or with a {@code rediss://} URL.
 *
 * <p>No message, exception or {@link #toString()} made here shows a password: the calls are shown
 * with {@code ***} for each secret.
 */
final class RedisConnection {
  private static final String PREFIX = "spring.data.redis.";
  private static final String HIDDEN = "***";

  /**
   * One call on the builder.
   *
   * @param property the property a refusal of the call is blamed on
   * @param shown the call as shown, secrets hidden
   * @param secret what the call's arguments hold that no message may show, or {@code null}
   * @param step the call
   */
  private record Call(
      String property, String shown, @Nullable String secret, Consumer<RedisBackend.Builder> step) {
    @Override
    public String toString() {
      return shown;
    }
  }

  private final List<Call> calls;
  private final @Nullable String uri;

  private RedisConnection(List<Call> calls, @Nullable String uri) {
    this.calls = List.copyOf(calls);
    this.uri = uri;
  }

  /**
   * Reads the connection.
   *
   * @throws TokenherdConfigurationException naming the property when the settings cannot be used
   */
  static RedisConnection of(TokenherdProperties properties, Environment environment) {
    String own = properties.getRedis().getUrl();
    if (own != null && !own.isBlank()) {
      return standalone("tokenherd.redis.url", own);
    }
    Binder binder = Binder.get(environment);
    String url = string(binder, "url");
    if (url != null && url.isBlank()) {
      url = null;
    }
    boolean tls = tls(binder) || (url != null && url.startsWith("rediss:"));
    if (configured(
        binder, "sentinel.master", "sentinel.nodes", "sentinel.username", "sentinel.password")) {
      return sentinel(binder, url, tls);
    }
    if (configured(binder, "cluster.nodes", "cluster.max-redirects")) {
      return cluster(binder, url, tls);
    }
    if (configured(binder, "masterreplica.nodes")) {
      throw new TokenherdConfigurationException(
          PREFIX + "masterreplica.nodes",
          "a static master/replica set-up is not supported",
          "Use Sentinel (spring.data.redis.sentinel.*) so that Tokenherd follows a failover, or"
              + " point tokenherd.redis.url at the master (redis://host:port).");
    }
    if (url != null) {
      // As Boot: ssl.enabled (or a bundle) turns TLS on for a redis:// URL too.
      return standalone(
          PREFIX + "url", tls && url.startsWith("redis:") ? "rediss:" + url.substring(6) : url);
    }
    return standalone(PREFIX + "host", partsUri(binder, tls));
  }

  /**
   * Makes the calls on {@code builder}.
   *
   * @throws TokenherdConfigurationException naming the property when the builder refuses a value
   */
  void applyTo(RedisBackend.Builder builder) {
    for (Call call : calls) {
      try {
        call.step().accept(builder);
      } catch (IllegalArgumentException | IllegalStateException e) {
        String message = String.valueOf(e.getMessage());
        String secret = call.secret();
        if (secret != null && !secret.isEmpty()) {
          // The library hides passwords in its messages; this holds even if it missed one.
          message = message.replace(secret, HIDDEN);
        }
        throw new TokenherdConfigurationException(
            call.property(), message, "Fix the value of " + call.property() + ".");
      }
    }
  }

  /** Returns the calls {@link #applyTo} makes, as shown: each secret is {@code ***}. */
  List<String> calls() {
    return calls.stream().map(Call::shown).toList();
  }

  /** Returns the single server's URI with its password, or {@code null}: for tests only. */
  @Nullable String uri() {
    return uri;
  }

  @Override
  public String toString() {
    return "RedisConnection" + calls;
  }

  private static RedisConnection standalone(String property, String uri) {
    String userInfo = userInfo(uri);
    String shown = userInfo == null ? uri : uri.replace(userInfo, HIDDEN);
    return new RedisConnection(
        List.of(new Call(property, "uri(" + shown + ")", userInfo, b -> b.uri(uri))), uri);
  }

  private static RedisConnection sentinel(Binder binder, @Nullable String url, boolean tls) {
    String property = PREFIX + "sentinel.master";
    String master = string(binder, "sentinel.master");
    if (master == null || master.isBlank()) {
      throw new TokenherdConfigurationException(
          property,
          master == null ? "not set, but other spring.data.redis.sentinel.* settings are" : "blank",
          "Set spring.data.redis.sentinel.master to the name the sentinels monitor the master"
              + " under (the name in their 'sentinel monitor' line).");
    }
    String name = master.trim();
    List<String> sentinels = nodes(binder, "sentinel.nodes");
    List<Call> calls = new ArrayList<>();
    calls.add(
        call(
            PREFIX + "sentinel.nodes",
            "sentinel(" + name + ", " + sentinels + ")",
            b -> b.sentinel(name, sentinels)));
    DataNodes data = DataNodes.of(binder, url);
    data.credentials(calls);
    credentials(
        calls,
        PREFIX + "sentinel.password",
        "sentinelCredentials",
        emptyToNull(string(binder, "sentinel.username")),
        string(binder, "sentinel.password"),
        RedisBackend.Builder::sentinelCredentials);
    tls(calls, tls);
    int database = data.database();
    if (database != 0) {
      calls.add(
          call(data.databaseProperty(), "database(" + database + ")", b -> b.database(database)));
    }
    return new RedisConnection(calls, null);
  }

  private static RedisConnection cluster(Binder binder, @Nullable String url, boolean tls) {
    List<String> nodes = nodes(binder, "cluster.nodes");
    DataNodes data = DataNodes.of(binder, url);
    if (data.database() != 0) {
      throw new TokenherdConfigurationException(
          data.databaseProperty(),
          "database " + data.database() + ", but a Redis Cluster has database 0 only",
          "Remove the database from "
              + data.databaseProperty()
              + " for spring.data.redis.cluster.*.");
    }
    List<Call> calls = new ArrayList<>();
    calls.add(call(PREFIX + "cluster.nodes", "cluster(" + nodes + ")", b -> b.cluster(nodes)));
    data.credentials(calls);
    tls(calls, tls);
    return new RedisConnection(calls, null);
  }

  private static void tls(List<Call> calls, boolean tls) {
    if (tls) {
      calls.add(call(PREFIX + "ssl.enabled", "tls(true)", b -> b.tls(true)));
    }
  }

  private static Call call(String property, String shown, Consumer<RedisBackend.Builder> step) {
    return new Call(property, shown, null, step);
  }

  /** Adds {@code method(user, password)}, shown as {@code method(user, ***)}; none without one. */
  private static void credentials(
      List<Call> calls,
      String property,
      String method,
      @Nullable String user,
      @Nullable String password,
      Credentials step) {
    if (password != null) {
      calls.add(
          new Call(
              property,
              method + "(" + user + ", " + HIDDEN + ")",
              password,
              b -> step.set(b, user, password)));
    }
  }

  /** {@code credentials} or {@code sentinelCredentials}. */
  private interface Credentials {
    void set(RedisBackend.Builder builder, @Nullable String user, String password);
  }

  /**
   * The data nodes' user, password and database, from {@code spring.data.redis.url} when it is set
   * (as Boot reads them), else from {@code .username}, {@code .password} and {@code .database}.
   */
  private record DataNodes(
      String credentialsProperty,
      @Nullable String username,
      @Nullable String password,
      String databaseProperty,
      int database) {

    static DataNodes of(Binder binder, @Nullable String url) {
      if (url == null) {
        return new DataNodes(
            PREFIX + "password",
            emptyToNull(string(binder, "username")),
            string(binder, "password"),
            PREFIX + "database",
            binder.bind(PREFIX + "database", Integer.class).orElse(0));
      }
      String property = PREFIX + "url";
      RedisUrl parsed = RedisUrl.parse(property, url);
      return new DataNodes(
          property, parsed.username(), parsed.password(), property, parsed.database());
    }

    void credentials(List<Call> calls) {
      RedisConnection.credentials(
          calls,
          credentialsProperty,
          "credentials",
          username,
          password,
          RedisBackend.Builder::credentials);
    }
  }

  /** Reads a list of {@code host:port} entries, checked as Boot reads them (with a port). */
  private static List<String> nodes(Binder binder, String name) {
    String property = PREFIX + name;
    List<String> nodes = new ArrayList<>();
    for (String entry : binder.bind(property, Bindable.listOf(String.class)).orElse(List.of())) {
      if (!entry.isBlank()) {
        nodes.add(node(property, entry.trim()));
      }
    }
    if (nodes.isEmpty()) {
      throw new TokenherdConfigurationException(
          property, "no node given", "List the nodes as host:port, separated by commas.");
    }
    return List.copyOf(nodes);
  }

  private static String node(String property, String node) {
    int colon = node.lastIndexOf(':');
    String host = colon > 0 ? node.substring(0, colon) : "";
    String port = colon > 0 ? node.substring(colon + 1) : "";
    boolean valid =
        !host.isBlank()
            && port.matches("[0-9]{1,5}")
            && Integer.parseInt(port) >= 1
            && Integer.parseInt(port) <= 65535
            && !node.contains("/")
            && !node.contains("@");
    if (!valid) {
      // An entry with a user part is never quoted: it may hold a password.
      throw new TokenherdConfigurationException(
          property,
          node.contains("@") ? "an entry has a user part" : "'" + node + "' is not host:port",
          "List the nodes as host:port (no scheme, no user: credentials go in"
              + " spring.data.redis.password), separated by commas.");
    }
    // Boot splits at the last colon, so an IPv6 address may come without brackets.
    return (host.contains(":") && !host.startsWith("[") ? "[" + host + "]" : host) + ":" + port;
  }

  private static String partsUri(Binder binder, boolean tls) {
    String host = binder.bind(PREFIX + "host", String.class).orElse("localhost");
    int port = binder.bind(PREFIX + "port", Integer.class).orElse(6379);
    int database = binder.bind(PREFIX + "database", Integer.class).orElse(0);
    String username = string(binder, "username");
    String password = string(binder, "password");
    String userInfo = null;
    if (password != null) {
      userInfo = (username == null ? "" : username) + ":" + password;
    }
    try {
      return new URI(tls ? "rediss" : "redis", userInfo, host, port, "/" + database, null, null)
          .toASCIIString();
    } catch (URISyntaxException e) {
      // Not chained: the parser's message quotes its input, password included.
      throw new TokenherdConfigurationException(
          PREFIX + "host",
          "not a host name (" + e.getReason() + ")",
          "Set spring.data.redis.host to a host name or address.");
    }
  }

  /** As Boot's {@code DataRedisProperties.Ssl.isEnabled()}: enabled, else on with a bundle. */
  private static boolean tls(Binder binder) {
    String bundle = string(binder, "ssl.bundle");
    return binder
        .bind(PREFIX + "ssl.enabled", Boolean.class)
        .orElse(bundle != null && !bundle.isBlank());
  }

  /** The user information of a URI as written (between {@code //} and the last {@code @}). */
  private static @Nullable String userInfo(String uri) {
    int at = uri.lastIndexOf('@');
    int slashes = uri.indexOf("//");
    int start = slashes >= 0 && slashes < at ? slashes + 2 : uri.indexOf(':') + 1;
    return at > start ? uri.substring(start, at) : null;
  }

  /** Whether any of the properties is set (as a list, so that {@code nodes[0]=...} counts). */
  private static boolean configured(Binder binder, String... names) {
    for (String name : names) {
      if (binder.bind(PREFIX + name, Bindable.listOf(String.class)).isBound()) {
        return true;
      }
    }
    return false;
  }

  private static @Nullable String string(Binder binder, String name) {
    return binder.bind(PREFIX + name, String.class).orElse(null);
  }

  private static @Nullable String emptyToNull(@Nullable String value) {
    return value == null || value.isEmpty() ? null : value;
  }
}

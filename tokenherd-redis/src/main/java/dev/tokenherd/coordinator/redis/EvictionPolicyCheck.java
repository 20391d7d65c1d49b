package dev.tokenherd.coordinator.redis;

import static java.util.Objects.requireNonNull;
import static java.util.stream.Collectors.joining;

import io.lettuce.core.RedisCommandExecutionException;
import io.lettuce.core.api.StatefulRedisConnection;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import org.redisson.RedissonShutdownException;
import org.redisson.api.RedissonClient;
import org.redisson.api.redisnode.RedisNode;
import org.redisson.api.redisnode.RedisNodes;
import org.redisson.client.RedisConnectionException;
import org.redisson.client.RedisNodeNotFoundException;
import org.redisson.client.RedisReconnectedException;
import org.redisson.client.RedisTimeoutException;
import org.redisson.config.Config;
import org.slf4j.Logger;

/**
 * The start-up check of {@code maxmemory-policy} on every server {@link RedisBackend} writes to.
 *
 * <p>Only {@code noeviction} keeps every key. The {@code volatile-*} policies evict keys that carry
 * a TTL, and the refresh lock's key carries its lease as its TTL: a lock evicted mid-lease lets a
 * second worker take it and present the same refresh token. The {@code allkeys-*} policies evict
 * anything: the fence counter, the lock, the record. Any other value (a policy of a newer Redis) is
 * refused too, and so is an evicting policy under {@code maxmemory 0}: it evicts nothing yet, but a
 * limit can be set at runtime, where no start-up check sees it.
 *
 * <p>A server that answers {@code CONFIG GET} with an error (an ACL user without {@code
 * config|get}, a managed service that renamed or disabled {@code CONFIG}) is reported as unchecked,
 * once, and the start goes on. A server that does not answer at all fails the start, as an
 * unreachable one does when the clients connect.
 */
final class EvictionPolicyCheck {
  /** The setting checked. */
  static final String SETTING = "maxmemory-policy";

  /** The one policy that never evicts. */
  static final String NO_EVICTION = "noeviction";

  /** One {@code CONFIG GET} pattern for the policy and the limit: a single pattern works on 6.x. */
  private static final String PATTERN = "maxmemory*";

  /** How the server of a caller's Lettuce client is named: the client does not reveal it. */
  static final String GIVEN_LETTUCE = "the server of the given RedisClient";

  /** How the servers of a caller's Redisson client are named before they are known. */
  static final String GIVEN_REDISSON = "the server of the given RedissonClient";

  private final @Nullable String accepted;
  private final Map<String, String> acceptedAt = new LinkedHashMap<>();
  private final List<String> unchecked = new ArrayList<>();

  /**
   * Creates a check.
   *
   * @param accepted the one evicting policy the user accepted, or {@code null}
   */
  EvictionPolicyCheck(@Nullable String accepted) {
    this.accepted = accepted;
  }

  /**
   * Checks the server behind a Lettuce connection.
   *
   * @param connection an open connection
   * @param server the server's {@code host:port}, or {@link #GIVEN_LETTUCE}
   * @throws RedisConfigurationException if the server's policy can evict and was not accepted
   * @throws io.lettuce.core.RedisConnectionException if the server does not answer
   */
  void check(StatefulRedisConnection<String, String> connection, String server) {
    Map<String, String> settings;
    try {
      settings = connection.sync().configGet(PATTERN);
    } catch (RedisCommandExecutionException e) {
      // The server answered, with an error: NOPERM, "ERR unknown command", a proxy's refusal.
      unchecked.add(label(server) + " (" + firstLine(e.getMessage()) + ")");
      return;
    } catch (RuntimeException e) {
      throw noAnswer(server, e);
    }
    judge(server, settings);
  }

  /**
   * Checks the masters a Redisson client writes to: the single server, the sentinels' master or
   * every cluster master.
   *
   * @param redisson the client
   * @throws RedisConfigurationException if a server's policy can evict and was not accepted
   * @throws io.lettuce.core.RedisConnectionException if a server does not answer
   */
  void check(RedissonClient redisson) {
    List<RedisNode> masters = new ArrayList<>();
    try {
      Config config = redisson.getConfig();
      if (config.isClusterConfig()) {
        masters.addAll(redisson.getRedisNodes(RedisNodes.CLUSTER).getMasters());
      } else if (config.isSentinelConfig()) {
        masters.add(redisson.getRedisNodes(RedisNodes.SENTINEL_MASTER_SLAVE).getMaster());
      } else {
        masters.add(redisson.getRedisNodes(RedisNodes.SINGLE).getInstance());
      }
    } catch (RuntimeException e) {
      if (isNoAnswer(e)) {
        throw noAnswer(GIVEN_REDISSON, e);
      }
      unchecked.add(GIVEN_REDISSON + " (" + describe(e) + ")");
      return;
    }
    for (RedisNode node : masters) {
      String server = address(node.getAddr());
      Map<String, String> settings;
      try {
        settings = node.getConfig(PATTERN);
      } catch (RuntimeException e) {
        if (isNoAnswer(e)) {
          throw noAnswer(server, e);
        }
        unchecked.add(label(server) + " (" + describe(e) + ")");
        continue;
      }
      judge(server, settings);
    }
  }

  private void judge(String server, Map<String, String> settings) {
    String found = settings.get(SETTING);
    if (found == null) {
      unchecked.add(label(server) + " (CONFIG GET " + PATTERN + " returned no " + SETTING + ")");
      return;
    }
    String policy = found.trim().toLowerCase(Locale.ROOT);
    if (policy.equals(NO_EVICTION)) {
      return;
    }
    if (policy.equals(accepted)) {
      acceptedAt.put(server, policy);
      return;
    }
    String maxmemory = settings.get("maxmemory");
    throw new RedisConfigurationException(
        server,
        SETTING,
        policy,
        label(server)
            + " runs "
            + SETTING
            + " "
            + policy
            + ", which can evict Tokenherd's keys: "
            + risk(policy)
            + ("0".equals(maxmemory)
                ? ". Its maxmemory is 0, so it evicts nothing yet; but the policy applies as soon"
                    + " as a limit is set, at runtime too, where no start-up check sees it"
                : "")
            + ". Fix: CONFIG SET "
            + SETTING
            + " "
            + NO_EVICTION
            + " (and set it in redis.conf or the provider's settings, so that it outlives a"
            + " restart); or, having weighed the risk, RedisBackend.Builder.acceptMaxmemoryPolicy(\""
            + policy
            + "\")"
            + (accepted == null ? "" : " (it now accepts \"" + accepted + "\" only)")
            + ". See docs/redis.md.");
  }

  /** What a policy can do to Tokenherd's keys. */
  static String risk(String policy) {
    if (policy.startsWith("volatile-")) {
      return "under memory pressure it evicts keys that carry a TTL, and the refresh lock's key"
          + " carries its lease as its TTL; a lock evicted mid-lease lets a second worker take"
          + " it and present the same refresh token, which a server with reuse detection answers"
          + " by revoking the whole token family";
    }
    if (policy.startsWith("allkeys-")) {
      return "under memory pressure it evicts any key: the fence counter, the refresh lock and"
          + " the stored record, which holds the only copy of the current refresh token";
    }
    return "Tokenherd accepts only " + NO_EVICTION + ", which never evicts a key";
  }

  /**
   * Logs what the check could not verify and what it accepted: at most one warning each.
   *
   * @param log the logger
   */
  void report(Logger log) {
    if (!unchecked.isEmpty()) {
      log.warn(
          "could not check {} of {}: verify by hand that it is {} (CONFIG GET {} as an"
              + " administrator, or the provider's settings); under memory pressure any other"
              + " policy can evict the refresh lock or the stored record (see docs/redis.md)",
          SETTING,
          String.join(" and of ", unchecked),
          NO_EVICTION,
          SETTING);
    }
    if (!acceptedAt.isEmpty()) {
      String policy = requireNonNull(accepted);
      log.warn(
          "{} runs {} {}, accepted by acceptMaxmemoryPolicy(\"{}\"): {}",
          acceptedAt.keySet().stream().map(EvictionPolicyCheck::label).collect(joining(" and ")),
          SETTING,
          policy,
          policy,
          risk(policy));
    }
  }

  /** Whether Redisson failed for want of an answer, not because the server refused. */
  private static boolean isNoAnswer(Throwable e) {
    return e instanceof RedisTimeoutException
        || e instanceof RedisConnectionException
        || e instanceof RedisNodeNotFoundException
        || e instanceof RedisReconnectedException
        || e instanceof RedissonShutdownException;
  }

  private static io.lettuce.core.RedisConnectionException noAnswer(
      String server, RuntimeException e) {
    return new io.lettuce.core.RedisConnectionException(
        label(server)
            + " did not answer CONFIG GET "
            + PATTERN
            + " (the start-up check of "
            + SETTING
            + "): "
            + describe(e),
        e);
  }

  private static String describe(Throwable e) {
    String message = e.getMessage();
    if (message == null || message.isBlank()) {
      return e.getClass().getName();
    }
    // Redisson appends the channel and the command; the server's reply comes first.
    int end = message.indexOf(". channel:");
    return firstLine(end < 0 ? message : message.substring(0, end));
  }

  private static String firstLine(@Nullable String message) {
    if (message == null) {
      return "no message";
    }
    int end = message.indexOf('\n');
    return (end < 0 ? message : message.substring(0, end)).trim();
  }

  /** "Redis at host:port" for an address, the description itself for anything else. */
  private static String label(String server) {
    return server.contains(" ") ? server : "Redis at " + server;
  }

  private static String address(InetSocketAddress address) {
    return address.getHostString() + ":" + address.getPort();
  }
}

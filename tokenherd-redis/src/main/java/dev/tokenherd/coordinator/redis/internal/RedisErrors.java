package dev.tokenherd.coordinator.redis.internal;

import static java.util.Objects.requireNonNull;

import dev.tokenherd.coordinator.StoreMisconfiguredException;
import dev.tokenherd.coordinator.StoreMisconfiguredException.Problem;
import dev.tokenherd.coordinator.TokenKey;
import io.lettuce.core.RedisCommandTimeoutException;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * Reads Redis error replies, as Lettuce and Redisson report them, for what an operator must fix:
 * {@code WRONGTYPE} (a key of ours holds a foreign value) and ACL refusals ({@code NOPERM}, and the
 * {@code ERR} replies of commands refused inside a script), each with the ACL rule that allows what
 * was refused.
 *
 * <p>Error texts differ between Redis versions; these are the ones handled (7.0 and 7.4):
 *
 * <pre>
 * WRONGTYPE Operation against a key holding the wrong kind of value[ script: ...]
 * NOPERM this user has no permissions to run the 'evalsha' command                     (7.0)
 * NOPERM User u has no permissions to run the 'evalsha' command                        (7.2+)
 * NOPERM this user has no permissions to access one of the keys used as arguments       (7.0)
 * NOPERM No permissions to access a key | a channel                                    (7.2+)
 * ERR The user executing the script can't run this command or subcommand               (7.0, in a script)
 * ERR The user executing the script can't publish to the channel mentioned in the command
 * ERR The user executing the script can't access at least one of the keys mentioned ...
 * ERR ACL failure in script: User u has no permissions to run the 'publish' command     (7.2+)
 * ERR ACL failure in script: No permissions to access a key | a channel                 (7.2+)
 * </pre>
 *
 * A Redis error text names no value of a command, so it may be quoted; Redisson appends the command
 * and its arguments after {@code ". channel: "}, which is cut off.
 */
public final class RedisErrors {
  private static final Pattern COMMAND = Pattern.compile("run the '([^']+)' command");
  private static final Pattern SCRIPT_LOCATION = Pattern.compile("\\s+script: [0-9a-f]{40}.*$");
  private static final int MAX_DETAIL = 200;

  private RedisErrors() {}

  /** Who sent the refused command, and so which ACL rules it needs. */
  public enum Role {
    /** The token store: reads ({@code HGETALL}) and its compare-and-set script. */
    STORE(
        "the token store",
        "+evalsha +eval +hgetall +exists +hmget +hset +hdel +time +publish",
        "~%s:*",
        "&%s:*"),
    /** The refresh lock: Redisson's fenced lock scripts, its counter and its unlock channel. */
    LOCK(
        "the refresh lock",
        "+evalsha +eval +hexists +hincrby +incr +pexpire +pttl +del +get +set +publish",
        "~%s:* ~redisson_lock_token:* ~redisson_lock__channel:* ~redisson_unlock_latch:*",
        "&redisson_lock__channel:*"),
    /**
     * The change feed: {@code SUBSCRIBE} and {@code PUBLISH} on the change channels; on a Redis
     * Cluster their sharded forms on shard channels.
     */
    FEED(
        "the change feed",
        "+subscribe +unsubscribe +publish (on a Redis Cluster: +ssubscribe +sunsubscribe"
            + " +spublish)",
        "",
        "&%s:*");

    private final String description;
    private final String commands;
    private final String keyRules;
    private final String channelRules;

    Role(String description, String commands, String keyRules, String channelRules) {
      this.description = description;
      this.commands = commands;
      this.keyRules = keyRules;
      this.channelRules = channelRules;
    }
  }

  /**
   * Returns the misconfiguration an error reports, or {@code null} if it reports none (a connection
   * failure, a timeout, any other error).
   *
   * @param key the credential concerned
   * @param error the client's exception, possibly wrapped in a {@code CompletionException}
   * @param role who sent the command
   * @param namespace the key namespace, for the ACL patterns
   * @param keys the Redis keys the command used, by name, for a {@code WRONGTYPE} report
   * @return the typed error, or {@code null}
   */
  public static @Nullable StoreMisconfiguredException misconfiguration(
      TokenKey key, Throwable error, Role role, String namespace, String keys) {
    requireNonNull(key, "key");
    requireNonNull(role, "role");
    String reply = errorReply(error);
    if (reply == null) {
      return null;
    }
    if (reply.startsWith("WRONGTYPE")) {
      String remedy =
          role == Role.STORE
              ? "the key holds a value of another type than Tokenherd's hash, written by something"
                  + " else; nothing overwrites it, not even a seed: find what wrote it, delete the"
                  + " key (DEL) and seed the credential again"
              : "the key holds a value of another type than Redisson's lock, written by something"
                  + " else: find what wrote it and delete the key (DEL)";
      return new StoreMisconfiguredException(
          key, Problem.WRONG_TYPE, keys + " of " + role.description, reply, remedy, error);
    }
    if (!isAclRefusal(reply)) {
      return null;
    }
    boolean inScript = reply.startsWith("ERR");
    String where = inScript ? " inside a script of " : " of ";
    String target;
    String rule;
    Matcher command = COMMAND.matcher(reply);
    String lower = reply.toLowerCase(Locale.ROOT);
    if (command.find()) {
      String name = command.group(1).toLowerCase(Locale.ROOT);
      target = "command '" + name + "'" + where + role.description;
      rule = name.equals("eval") || name.equals("evalsha") ? "+evalsha +eval" : "+" + name;
    } else if (lower.contains("channel")) {
      target = "a channel" + where + role.description;
      rule = role.channelRules.formatted(namespace);
    } else if (lower.contains("key")) {
      target = keys + where + role.description;
      rule = role.keyRules.formatted(namespace);
    } else {
      // Redis 7.0 does not say which command a script was refused.
      target = "a command" + where + role.description;
      rule = role.commands;
    }
    return new StoreMisconfiguredException(
        key,
        Problem.NO_PERMISSION,
        target,
        reply,
        "allow it for the Redis user: " + rule + " (docs/redis.md lists every rule a fleet needs)",
        error);
  }

  /**
   * Describes why a {@code PUBLISH} of a new version failed, naming the channel and, when the ACL
   * refused it, the rules that allow it.
   *
   * @param reply the error reply or exception message
   * @param channel the channel the version was to be published on
   * @param namespace the key namespace, for the ACL pattern
   * @return a description without secrets
   */
  public static String announcementFailure(String reply, String channel, String namespace) {
    String detail = trim(reply);
    if (isAclRefusal(detail)) {
      return "PUBLISH on channel '"
          + channel
          + "' was refused ("
          + detail
          + "): allow +publish (+spublish on a Redis Cluster) and &"
          + namespace
          + ":* for the Redis user";
    }
    return "PUBLISH on channel '" + channel + "' failed (" + detail + ")";
  }

  /**
   * Describes why a {@code PUBLISH} of a new version failed.
   *
   * @param error the client's exception
   * @param channel the channel the version was to be published on
   * @param namespace the key namespace, for the ACL pattern
   * @return a description without secrets
   */
  public static String announcementFailure(Throwable error, String channel, String namespace) {
    String reply = errorReply(error);
    return announcementFailure(
        reply != null ? reply : innermost(error).getClass().getName(), channel, namespace);
  }

  /**
   * Returns whether a command timed out: it may still run on the server.
   *
   * @param error the client's exception, possibly wrapped
   * @return {@code true} for Lettuce's {@link RedisCommandTimeoutException}
   */
  public static boolean isTimeout(Throwable error) {
    for (Throwable t = error; t != null; t = t.getCause()) {
      if (t instanceof RedisCommandTimeoutException) {
        return true;
      }
    }
    return false;
  }

  /**
   * Returns whether an error reply is an ACL refusal.
   *
   * @param reply an error reply
   * @return {@code true} for {@code NOPERM} and for the replies of commands refused in a script
   */
  public static boolean isAclRefusal(String reply) {
    return reply.startsWith("NOPERM")
        || (reply.startsWith("ERR")
            && (reply.contains("The user executing the script can't")
                || reply.contains("ACL failure in script")));
  }

  /**
   * Returns the Redis error reply in the cause chain, trimmed, or {@code null} if there is none.
   */
  private static @Nullable String errorReply(Throwable error) {
    for (Throwable t = error; t != null; t = t.getCause()) {
      String message = t.getMessage();
      if (message != null
          && (message.startsWith("WRONGTYPE")
              || message.startsWith("NOPERM")
              || message.startsWith("ERR"))) {
        return trim(message);
      }
    }
    return null;
  }

  private static Throwable innermost(Throwable error) {
    Throwable t = error;
    for (Throwable cause = t.getCause(); cause != null && cause != t; cause = t.getCause()) {
      t = cause;
    }
    return t;
  }

  /** Cuts Redisson's command dump and the script's location off, and bounds the length. */
  private static String trim(String reply) {
    String text = reply;
    int at = text.indexOf(". channel:");
    if (at >= 0) {
      text = text.substring(0, at);
    }
    text = SCRIPT_LOCATION.matcher(text).replaceFirst("").strip();
    return text.length() <= MAX_DETAIL ? text : text.substring(0, MAX_DETAIL) + "...";
  }
}

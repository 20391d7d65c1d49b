package dev.tokenherd.testkit;

import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * Commands the topology fixtures send to their nodes, with the reply checked and converted. Failure
 * messages name the command and at most its first argument, never a password.
 */
final class Replies {
  private Replies() {}

  /** Sends a command whose reply is a simple or bulk string, and returns it. */
  static String string(RedisServerProcess node, String... arguments) throws IOException {
    Object reply = node.call(arguments);
    if (reply instanceof String text) {
      return text;
    }
    throw unexpected(node, arguments, reply);
  }

  /** Sends a command that must answer {@code +OK}. */
  static void ok(RedisServerProcess node, String... arguments) throws IOException {
    Object reply = node.call(arguments);
    if (!"OK".equals(reply)) {
      throw unexpected(node, arguments, reply);
    }
  }

  /** Sends a command whose reply is an array, and returns it. */
  static List<@Nullable Object> array(RedisServerProcess node, String... arguments)
      throws IOException {
    Object reply = node.call(arguments);
    if (reply instanceof List<?> list) {
      return new ArrayList<>(list);
    }
    throw unexpected(node, arguments, reply);
  }

  /** The {@code name:value} lines of {@code INFO section}. */
  static Map<String, String> info(RedisServerProcess node, String section) throws IOException {
    return fields(string(node, "INFO", section));
  }

  /** The {@code name:value} lines of an {@code INFO} or {@code CLUSTER INFO} reply. */
  static Map<String, String> fields(String text) {
    Map<String, String> fields = new LinkedHashMap<>();
    for (String line : text.split("\r?\n", -1)) {
      int colon = line.indexOf(':');
      if (colon > 0 && !line.startsWith("#")) {
        fields.put(line.substring(0, colon), line.substring(colon + 1).trim());
      }
    }
    return fields;
  }

  /** A flat array of names and values ({@code SENTINEL MASTER}'s reply) as a map. */
  static Map<String, String> pairs(@Nullable Object reply) {
    Map<String, String> fields = new LinkedHashMap<>();
    if (reply instanceof List<?> list) {
      for (int i = 0; i + 1 < list.size(); i += 2) {
        fields.put(String.valueOf(list.get(i)), String.valueOf(list.get(i + 1)));
      }
    }
    return fields;
  }

  static IllegalStateException unexpected(
      RedisServerProcess node, String[] arguments, @Nullable Object reply) {
    String command = arguments.length > 1 ? arguments[0] + " " + arguments[1] : arguments[0];
    return new IllegalStateException(
        command + " on 127.0.0.1:" + node.port() + " answered " + describe(reply));
  }

  private static String describe(@Nullable Object reply) {
    if (reply instanceof RespClient.ErrorReply error) {
      return "-" + error.message();
    }
    return String.valueOf(reply);
  }
}

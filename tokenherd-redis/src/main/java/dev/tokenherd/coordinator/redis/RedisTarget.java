package dev.tokenherd.coordinator.redis;

import static java.util.Objects.requireNonNull;

import io.lettuce.core.RedisURI;
import java.net.URI;
import java.net.URISyntaxException;
import org.jspecify.annotations.Nullable;

/**
 * The Redis a {@link RedisBackend} connects to, from the URI its builder was given: the server as
 * Lettuce takes it, and the URI's credentials apart, as Redisson takes them. {@link #toString()}
 * names the server only; no message made here quotes a password.
 *
 * @param uri the server, credentials included
 * @param username the URI's user, or {@code null} for the default user
 * @param password the URI's password, or {@code null} for none
 */
record RedisTarget(RedisURI uri, @Nullable String username, @Nullable String password) {
  RedisTarget {
    requireNonNull(uri, "uri");
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
          "expected a redis:// or rediss:// URI, got " + redactUserInfo(uri));
    }
    if (parsed.getHost() == null) {
      throw new IllegalArgumentException("the URI names no host: " + redactUserInfo(uri));
    }
    RedisURI target;
    try {
      target = RedisURI.create(parsed);
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
    return new RedisTarget(target, username, password);
  }

  /** Returns {@code host:port}. */
  String address() {
    return uri.getHost() + ":" + uri.getPort();
  }

  @Override
  public String toString() {
    return "RedisTarget[" + address() + (username == null ? "" : ", user=" + username) + "]";
  }

  private static String redactUserInfo(String uri) {
    return uri.replaceAll("//[^@/]*@", "//***@");
  }
}

package dev.tokenherd.spring.boot;

import java.net.URI;
import java.net.URISyntaxException;
import org.jspecify.annotations.Nullable;

/**
 * What a {@code redis://} or {@code rediss://} URL gives a Sentinel or Cluster deployment, read as
 * Boot's {@code DataRedisUrl} reads it: the user and password of its user information (decoded),
 * and the database of its path. {@link #toString()} shows no password.
 *
 * @param username the user, or {@code null}
 * @param password the password, or {@code null}
 * @param database the database number (0 without a path)
 */
record RedisUrl(@Nullable String username, @Nullable String password, int database) {

  /**
   * Parses {@code url}.
   *
   * @throws TokenherdConfigurationException naming {@code property} if it is not such a URL; the
   *     message never quotes it
   */
  static RedisUrl parse(String property, String url) {
    URI parsed;
    try {
      parsed = new URI(url);
    } catch (URISyntaxException e) {
      // Not chained, and the reason only: the parser's message quotes the URL, password and all.
      throw new TokenherdConfigurationException(
          property,
          "not a URI (" + e.getReason() + ")",
          "Set a redis:// or rediss:// URL, or remove it and set spring.data.redis.username,"
              + " .password and .database.");
    }
    if (!"redis".equals(parsed.getScheme()) && !"rediss".equals(parsed.getScheme())) {
      throw new TokenherdConfigurationException(
          property, "not a redis:// or rediss:// URL", "Set a redis:// or rediss:// URL.");
    }
    String userInfo = parsed.getUserInfo();
    String username = null;
    String password = null;
    if (userInfo != null) {
      int colon = userInfo.indexOf(':');
      username = colon <= 0 ? null : userInfo.substring(0, colon);
      password = colon < 0 ? userInfo : userInfo.substring(colon + 1);
    }
    String path = parsed.getPath() == null ? "" : parsed.getPath();
    String number = path.startsWith("/") ? path.substring(1) : path;
    try {
      return new RedisUrl(username, password, number.isEmpty() ? 0 : Integer.parseInt(number));
    } catch (NumberFormatException e) {
      throw new TokenherdConfigurationException(
          property,
          "the path is not a database number",
          "End the URL with /<database number>, or with no path.");
    }
  }

  @Override
  public String toString() {
    return "RedisUrl[user="
        + username
        + (password == null ? "" : ", password=***")
        + ", database="
        + database
        + "]";
  }
}

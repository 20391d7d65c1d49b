package dev.tokenherd.coordinator.oauth2;

import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.util.Locale;
import java.util.regex.Pattern;

/** URI checks shared by the endpoint builder and discovery. */
final class Uris {
  private static final Pattern IPV4_LOOPBACK =
      Pattern.compile("127\\.[0-9]{1,3}\\.[0-9]{1,3}\\.[0-9]{1,3}");

  private Uris() {}

  /**
   * Checks that {@code uri} is an absolute http(s) URI with a host, no user info and no fragment.
   *
   * @param what the name of the setting, for the message
   * @throws IllegalArgumentException naming the URI, or only the rule when the URI carries user
   *     info
   */
  static void requireHttpUri(String what, URI uri) {
    if (uri.getRawUserInfo() != null) {
      // Do not echo the URI: its user info may be a password.
      throw new IllegalArgumentException(what + " must not contain user info");
    }
    String scheme = uri.getScheme();
    if (!uri.isAbsolute()
        || scheme == null
        || !(scheme.equalsIgnoreCase("https") || scheme.equalsIgnoreCase("http"))) {
      throw new IllegalArgumentException(what + " must be an absolute http or https URI: " + uri);
    }
    if (uri.getHost() == null) {
      throw new IllegalArgumentException(what + " has no host: " + uri);
    }
    if (uri.getRawFragment() != null) {
      throw new IllegalArgumentException(what + " must not have a fragment: " + uri);
    }
  }

  /** Returns whether {@code uri} uses https. */
  static boolean isHttps(URI uri) {
    return "https".equalsIgnoreCase(uri.getScheme());
  }

  /**
   * Returns whether the host is {@code localhost} or a loopback IP literal. Never resolves a name:
   * a DNS answer is not evidence that traffic stays on this machine.
   */
  static boolean isLoopback(URI uri) {
    String host = uri.getHost();
    if (host == null) {
      return false;
    }
    String lower = host.toLowerCase(Locale.ROOT);
    if (lower.equals("localhost") || IPV4_LOOPBACK.matcher(lower).matches()) {
      return true;
    }
    if (lower.startsWith("[") && lower.endsWith("]")) {
      try {
        // An IPv6 literal: getByName parses it without a lookup.
        return InetAddress.getByName(lower.substring(1, lower.length() - 1)).isLoopbackAddress();
      } catch (UnknownHostException e) {
        return false;
      }
    }
    return false;
  }

  /**
   * Returns the URI without its query, for messages and logs: a query is where a misconfigured
   * deployment would put a credential.
   */
  static String describe(URI uri) {
    String path = uri.getRawPath();
    return uri.getScheme() + "://" + uri.getRawAuthority() + (path == null ? "" : path);
  }
}

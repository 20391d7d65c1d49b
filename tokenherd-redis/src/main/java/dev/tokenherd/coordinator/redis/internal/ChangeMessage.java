package dev.tokenherd.coordinator.redis.internal;

import java.time.Duration;
import java.util.OptionalLong;
import org.jspecify.annotations.Nullable;

/**
 * A message on a credential's change channel, as the feed, the store and {@code
 * compare-and-set.lua} write it: a new version as a decimal number, or a refresh announcement
 * {@code <version>:<window in milliseconds>:<mark id>}, which workers of versions before
 * announcements ignore as malformed.
 */
public sealed interface ChangeMessage {
  /**
   * A new version was written.
   *
   * @param version the version now stored
   */
  record Changed(long version) implements ChangeMessage {}

  /**
   * A worker marked the record at {@code version}: it is sending a token request for up to {@code
   * window}.
   *
   * @param version the version marked
   * @param window how long the mark's holder may still be sending
   * @param markId the mark's id
   */
  record Refreshing(long version, Duration window, String markId) implements ChangeMessage {}

  /**
   * Encodes a new version.
   *
   * @param version a non-negative version
   * @return the message body
   */
  static String changed(long version) {
    return Long.toString(version);
  }

  /**
   * Encodes a refresh announcement.
   *
   * @param version a non-negative version
   * @param window a non-negative window
   * @param markId the mark's id; it may hold colons
   * @return the message body
   */
  static String refreshing(long version, Duration window, String markId) {
    return version + ":" + window.toMillis() + ":" + markId;
  }

  /**
   * Decodes a message body.
   *
   * @param body the body as received
   * @return the message, or {@code null} for a malformed one
   */
  static @Nullable ChangeMessage decode(@Nullable String body) {
    if (body != null && body.indexOf(':') > 0) {
      // version:window:mark id (the id may itself hold colons: it is the rest)
      String[] parts = body.split(":", 3);
      OptionalLong announced = parts.length == 3 ? parseVersion(parts[0]) : OptionalLong.empty();
      OptionalLong window = parts.length == 3 ? parseVersion(parts[1]) : OptionalLong.empty();
      if (announced.isPresent() && window.isPresent()) {
        return new Refreshing(
            announced.getAsLong(), Duration.ofMillis(window.getAsLong()), parts[2]);
      }
    }
    OptionalLong version = parseVersion(body);
    return version.isPresent() ? new Changed(version.getAsLong()) : null;
  }

  /**
   * Parses a version: a non-negative decimal {@code long}, nothing else (no sign, no blanks).
   *
   * @param body the text
   * @return the version, or empty for anything else
   */
  static OptionalLong parseVersion(@Nullable String body) {
    if (body == null || body.isEmpty() || body.length() > 19) {
      return OptionalLong.empty();
    }
    for (int i = 0; i < body.length(); i++) {
      char c = body.charAt(i);
      if (c < '0' || c > '9') {
        return OptionalLong.empty();
      }
    }
    try {
      return OptionalLong.of(Long.parseLong(body));
    } catch (NumberFormatException tooLarge) {
      return OptionalLong.empty();
    }
  }
}

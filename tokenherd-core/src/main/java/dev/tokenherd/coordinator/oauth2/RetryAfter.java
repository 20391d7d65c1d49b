package dev.tokenherd.coordinator.oauth2;

import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.Locale;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/** Parses {@code Retry-After} (RFC 9110 sec. 10.2.3). */
final class RetryAfter {
  private static final Pattern DELTA_SECONDS = Pattern.compile("[0-9]+");

  /**
   * Longer waits are capped: a server asking for more than a day is broken, and a huge value would
   * overflow {@code Duration} arithmetic in a caller's backoff.
   */
  static final Duration MAX = Duration.ofDays(1);

  /** IMF-fixdate, and the obsolete RFC 850 and asctime forms that recipients must accept. */
  private static final DateTimeFormatter[] HTTP_DATES = {
    DateTimeFormatter.RFC_1123_DATE_TIME,
    DateTimeFormatter.ofPattern("EEEE, dd-MMM-yy HH:mm:ss zzz", Locale.US),
    DateTimeFormatter.ofPattern("EEE MMM ppd HH:mm:ss yyyy", Locale.US).withZone(ZoneOffset.UTC),
  };

  private RetryAfter() {}

  /**
   * Returns how long the server asks the client to wait.
   *
   * @param value the header value: delta-seconds or an HTTP-date
   * @param now the current time, for an HTTP-date
   * @return the wait: zero for a date in the past, at most {@link #MAX}; {@code null} if the value
   *     is absent or unparseable
   */
  static @Nullable Duration parse(@Nullable String value, Instant now) {
    if (value == null) {
      return null;
    }
    String trimmed = value.strip();
    if (DELTA_SECONDS.matcher(trimmed).matches()) {
      // More digits than a long holds is still "a very long time", not garbage.
      return trimmed.length() > 18 ? MAX : cap(Duration.ofSeconds(Long.parseLong(trimmed)));
    }
    for (DateTimeFormatter format : HTTP_DATES) {
      try {
        Instant date = ZonedDateTime.parse(trimmed, format).toInstant();
        Duration wait = Duration.between(now, date);
        return wait.isNegative() ? Duration.ZERO : cap(wait);
      } catch (DateTimeParseException e) {
        // try the next form
      }
    }
    return null;
  }

  private static Duration cap(Duration wait) {
    return wait.compareTo(MAX) > 0 ? MAX : wait;
  }
}

package dev.tokenherd.examples;

import java.time.Duration;

/** Durations as people type them: {@code 500ms}, {@code 3s}, {@code 1m30s}, {@code 1.5s}. */
final class Durations {
  private Durations() {}

  /**
   * Formats {@code duration} the way {@link Args#parseDuration} reads it where it can: whole
   * milliseconds below a second ({@code 500ms}), seconds with up to three decimals below a minute
   * ({@code 3s}, {@code 1.5s}), then minutes and whole seconds ({@code 1m30s}, {@code 2m}).
   */
  static String format(Duration duration) {
    long millis = duration.toMillis();
    if (millis < 1_000) {
      return millis + "ms";
    }
    if (millis < 60_000) {
      return millis % 1_000 == 0 ? millis / 1_000 + "s" : trim(millis / 1_000.0) + "s";
    }
    long minutes = millis / 60_000;
    long seconds = Math.round((millis % 60_000) / 1_000.0);
    if (seconds == 60) {
      minutes++;
      seconds = 0;
    }
    return seconds == 0 ? minutes + "m" : minutes + "m" + seconds + "s";
  }

  /** {@code duration} to the nearest tenth of a second, formatted: {@code 2.1s}. */
  static String tenths(Duration duration) {
    return format(Duration.ofMillis(Math.round(duration.toMillis() / 100.0) * 100));
  }

  /** {@code duration} to the nearest whole second, at least one (for "about 5s left"). */
  static Duration roundToSeconds(Duration duration) {
    long seconds = Math.round(duration.toMillis() / 1_000.0);
    return Duration.ofSeconds(Math.max(1, seconds));
  }

  private static String trim(double seconds) {
    String text = String.format(java.util.Locale.ROOT, "%.3f", seconds);
    return text.replaceAll("0+$", "").replaceAll("\\.$", "");
  }
}

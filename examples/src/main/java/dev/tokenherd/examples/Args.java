package dev.tokenherd.examples;

import java.math.BigDecimal;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * A hand-written parser for the demo's few {@code --name value} options and {@code --flag}s: a
 * dozen options do not justify a dependency. Unknown options, missing values and repeated options
 * are {@link UsageException}s.
 */
final class Args {
  /** One part of a duration: a number and its unit ({@code 1m30s} has two, {@code 1.5s} one). */
  private static final Pattern DURATION_PART = Pattern.compile("(\\d+(?:\\.\\d{1,3})?)(ms|s|m|h)");

  private final Map<String, String> values = new HashMap<>();
  private final Set<String> flags = new HashSet<>();

  private Args() {}

  /**
   * Parses {@code arguments}.
   *
   * @param arguments the command line after the mode
   * @param valued options that take a value (without the leading dashes)
   * @param flagNames options that take none
   */
  static Args parse(List<String> arguments, Set<String> valued, Set<String> flagNames) {
    Args args = new Args();
    List<String> rest = new ArrayList<>(arguments);
    for (int i = 0; i < rest.size(); i++) {
      String argument = rest.get(i);
      if (!argument.startsWith("--")) {
        throw new UsageException("unexpected argument: " + argument);
      }
      String name = argument.substring(2);
      String inline = null;
      int equals = name.indexOf('=');
      if (equals >= 0) {
        inline = name.substring(equals + 1);
        name = name.substring(0, equals);
      }
      if (flagNames.contains(name) && inline == null) {
        if (!args.flags.add(name)) {
          throw new UsageException("--" + name + " given twice");
        }
      } else if (valued.contains(name)) {
        String value = inline;
        if (value == null) {
          if (i + 1 >= rest.size()) {
            throw new UsageException("--" + name + " needs a value");
          }
          value = rest.get(++i);
        }
        if (args.values.put(name, value) != null) {
          throw new UsageException("--" + name + " given twice");
        }
      } else {
        throw new UsageException("unknown option: --" + name);
      }
    }
    return args;
  }

  boolean flag(String name) {
    return flags.contains(name);
  }

  @Nullable String value(String name) {
    return values.get(name);
  }

  String string(String name, String otherwise) {
    String value = values.get(name);
    return value == null ? otherwise : value;
  }

  String required(String name) {
    String value = values.get(name);
    if (value == null) {
      throw new UsageException("--" + name + " is required");
    }
    return value;
  }

  int positiveInt(String name, int otherwise) {
    String value = values.get(name);
    if (value == null) {
      return otherwise;
    }
    try {
      int parsed = Integer.parseInt(value);
      if (parsed < 1) {
        throw new UsageException("--" + name + " must be at least 1: " + value);
      }
      return parsed;
    } catch (NumberFormatException e) {
      throw new UsageException("--" + name + " must be a whole number: " + value);
    }
  }

  int port(String name, int otherwise) {
    String value = values.get(name);
    return value == null ? otherwise : parsePort(name, value);
  }

  /** A port number, 0-65535; {@code name} is the option's, for the message. */
  static int parsePort(String name, String value) {
    try {
      int parsed = Integer.parseInt(value);
      if (parsed < 0 || parsed > 65_535) {
        throw new UsageException("--" + name + " must be 0-65535: " + value);
      }
      return parsed;
    } catch (NumberFormatException e) {
      throw new UsageException("--" + name + " must be a port number: " + value);
    }
  }

  /**
   * A duration as people type it: {@code 500ms}, {@code 3s}, {@code 1.5s}, {@code 2m}, {@code
   * 1m30s}, {@code 1h}, or a whole number of seconds.
   */
  Duration duration(String name, Duration otherwise) {
    String value = values.get(name);
    return value == null ? otherwise : parseDuration(name, value);
  }

  static Duration parseDuration(String name, String value) {
    String text = value.trim().toLowerCase(Locale.ROOT);
    if (text.matches("\\d{1,12}")) {
      return Duration.ofSeconds(Long.parseLong(text));
    }
    Matcher m = DURATION_PART.matcher(text);
    Duration total = Duration.ZERO;
    int at = 0;
    while (at < text.length() && m.find(at) && m.start() == at) {
      BigDecimal amount = new BigDecimal(m.group(1));
      long unitMillis =
          switch (m.group(2)) {
            case "ms" -> 1;
            case "s" -> 1_000;
            case "m" -> 60_000;
            default -> 3_600_000;
          };
      BigDecimal millis = amount.multiply(BigDecimal.valueOf(unitMillis));
      boolean fractional = millis.stripTrailingZeros().scale() > 0;
      if (fractional || millis.precision() > 15) {
        throw new UsageException(
            "--" + name + " must be whole milliseconds, at most a few years: " + value);
      }
      total = total.plusMillis(millis.longValueExact());
      at = m.end();
    }
    if (text.isEmpty() || at != text.length()) {
      throw new UsageException(
          "--" + name + " must be a duration such as 500ms, 3s, 1.5s or 1m30s: " + value);
    }
    return total;
  }
}

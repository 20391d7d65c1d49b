package dev.tokenherd.examples;

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
  private static final Pattern DURATION = Pattern.compile("(\\d+)(ms|s|m)?");

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

  /** A duration such as {@code 3s}, {@code 500ms}, {@code 2m}, or a number of seconds. */
  Duration duration(String name, Duration otherwise) {
    String value = values.get(name);
    return value == null ? otherwise : parseDuration(name, value);
  }

  static Duration parseDuration(String name, String value) {
    Matcher m = DURATION.matcher(value.trim().toLowerCase(Locale.ROOT));
    if (!m.matches()) {
      throw new UsageException("--" + name + " must be a duration such as 3s or 500ms: " + value);
    }
    long amount = Long.parseLong(m.group(1));
    String unit = m.group(2) == null ? "s" : m.group(2);
    return switch (unit) {
      case "ms" -> Duration.ofMillis(amount);
      case "m" -> Duration.ofMinutes(amount);
      default -> Duration.ofSeconds(amount);
    };
  }
}

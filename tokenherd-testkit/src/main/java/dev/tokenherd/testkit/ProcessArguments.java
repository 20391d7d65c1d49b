package dev.tokenherd.testkit;

import static java.util.Objects.requireNonNull;

import java.util.LinkedHashMap;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * The command line of a worker process that a test starts: {@code name=value} pairs, in any order,
 * the last of a name winning. Immutable.
 *
 * <pre>{@code
 * public static void main(String[] args) {
 *   ProcessArguments options = ProcessArguments.parse(args);
 *   URI redis = URI.create(options.required("redis"));
 *   int threads = Integer.parseInt(options.get("threads", "3"));
 * }
 * }</pre>
 */
public final class ProcessArguments {
  private final Map<String, String> values;

  private ProcessArguments(Map<String, String> values) {
    this.values = values;
  }

  /**
   * Parses {@code name=value} pairs. A value may contain {@code =}; the name may not be empty.
   *
   * @param args the process's arguments
   * @return the arguments by name
   * @throws IllegalArgumentException if an argument is not {@code name=value}
   */
  public static ProcessArguments parse(String... args) {
    Map<String, String> values = new LinkedHashMap<>();
    for (String arg : args) {
      int eq = arg.indexOf('=');
      if (eq <= 0) {
        throw new IllegalArgumentException("expected name=value, got " + arg);
      }
      values.put(arg.substring(0, eq), arg.substring(eq + 1));
    }
    return new ProcessArguments(values);
  }

  /**
   * Returns the value of an argument that must be given.
   *
   * @param name the argument's name
   * @return its value
   * @throws IllegalArgumentException if it was not given
   */
  public String required(String name) {
    String value = values.get(requireNonNull(name, "name"));
    if (value == null) {
      throw new IllegalArgumentException("missing argument " + name + "=...");
    }
    return value;
  }

  /**
   * Returns the value of an optional argument.
   *
   * @param name the argument's name
   * @return its value, or {@code null} if it was not given
   */
  public @Nullable String get(String name) {
    return values.get(requireNonNull(name, "name"));
  }

  /**
   * Returns the value of an argument with a default.
   *
   * @param name the argument's name
   * @param otherwise the value if it was not given
   * @return its value, or {@code otherwise}
   */
  public String get(String name, String otherwise) {
    return values.getOrDefault(requireNonNull(name, "name"), otherwise);
  }

  @Override
  public String toString() {
    // Names only: a worker's arguments carry a client secret.
    return "ProcessArguments" + values.keySet();
  }
}

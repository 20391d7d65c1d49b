package dev.tokenherd.testkit;

import static java.util.Objects.requireNonNull;

import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * How long tests, benchmarks and demos wait for a process or a server to start: one generous
 * default, {@linkplain #DEFAULT five minutes}, for every such wait, so that no test fails only
 * because the machine is slow. Set the system property {@value #PROPERTY} to change it, for example
 * {@code ./mvnw verify -Dtokenherd.startupTimeout=PT10M} (Surefire and Failsafe pass {@code -D}
 * properties of the Maven command line on to the test JVMs; child JVMs get it through {@link
 * #jvmOption()} or a start-up timeout argument of their own).
 *
 * <p>Only waits for something to <em>start</em> use it. Deadlines that bound what a test checks (a
 * refresh within so long of a fault) stay what each test says.
 */
public final class StartupTimeout {
  /** The system property that overrides the {@linkplain #DEFAULT default}. */
  public static final String PROPERTY = "tokenherd.startupTimeout";

  /** The start-up timeout when {@value #PROPERTY} is not set: five minutes. */
  public static final Duration DEFAULT = Duration.ofMinutes(5);

  private static final Pattern AMOUNT = Pattern.compile("(\\d+)\\s*(ms|s|m|h)?");

  private StartupTimeout() {}

  /**
   * Returns the start-up timeout in effect: the system property {@value #PROPERTY} if it is set and
   * not blank, else {@link #DEFAULT}.
   *
   * @return how long to wait for a process or a server to start
   * @throws IllegalArgumentException if the property is set to something {@link #parse} rejects
   */
  public static Duration get() {
    String value = System.getProperty(PROPERTY);
    if (value == null || value.isBlank()) {
      return DEFAULT;
    }
    try {
      return parse(value);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("-D" + PROPERTY + ": " + e.getMessage(), e);
    }
  }

  /**
   * Parses a positive duration: ISO-8601 ({@code PT10M}, {@code PT90S}), or a whole number with a
   * unit {@code ms}, {@code s}, {@code m} or {@code h} ({@code 600s}, {@code 10m}); a number
   * without a unit is seconds.
   *
   * @param text the duration
   * @return the duration it denotes
   * @throws IllegalArgumentException if {@code text} is not such a duration, or not positive
   */
  public static Duration parse(String text) {
    String value = requireNonNull(text, "text").trim();
    Duration duration;
    Matcher amount = AMOUNT.matcher(value.toLowerCase(Locale.ROOT));
    if (amount.matches()) {
      String unit = amount.group(2) == null ? "s" : amount.group(2);
      try {
        long number = Long.parseLong(amount.group(1));
        duration =
            switch (unit) {
              case "ms" -> Duration.ofMillis(number);
              case "m" -> Duration.ofMinutes(number);
              case "h" -> Duration.ofHours(number);
              default -> Duration.ofSeconds(number);
            };
      } catch (NumberFormatException | ArithmeticException e) {
        throw new IllegalArgumentException("too long a duration: \"" + text + "\"", e);
      }
    } else {
      try {
        duration = Duration.parse(value);
      } catch (DateTimeParseException e) {
        throw new IllegalArgumentException(
            "not a duration (PT10M, 600s, 10m, 500ms): \"" + text + "\"", e);
      }
    }
    if (duration.isNegative() || duration.isZero()) {
      throw new IllegalArgumentException("a start-up timeout must be positive: \"" + text + "\"");
    }
    return duration;
  }

  /**
   * Returns the JVM option that gives a child JVM the start-up timeout in effect here, for example
   * {@code -Dtokenherd.startupTimeout=PT5M}.
   *
   * @return the option, to put before the main class on the child's command line
   * @throws IllegalArgumentException if the property is set to something {@link #parse} rejects
   */
  public static String jvmOption() {
    return "-D" + PROPERTY + "=" + get();
  }

  /**
   * Runs {@code attempt} until it returns, retrying any runtime exception until the start-up
   * timeout has passed since the first try: for what a process does once while it starts, such as
   * connecting its Redis clients, which a loaded machine can make slower than the clients' own
   * connect timeout. The clients keep their timeouts for everything after start-up.
   *
   * @param <T> what the attempt returns
   * @param what what is being attempted, for the failure message
   * @param attempt the start-up step; called again after each failure
   * @return what the first successful attempt returned
   * @throws IllegalStateException once the timeout has passed, with the last failure as its cause
   *     and the earlier ones suppressed (at most five)
   */
  public static <T> T retry(String what, java.util.function.Supplier<T> attempt) {
    Duration timeout = get();
    long deadline = System.nanoTime() + timeout.toNanos();
    java.util.List<RuntimeException> failures = new java.util.ArrayList<>();
    while (true) {
      try {
        return attempt.get();
      } catch (RuntimeException e) {
        failures.add(e);
        if (System.nanoTime() - deadline >= 0) {
          IllegalStateException failed =
              new IllegalStateException(
                  what
                      + " failed "
                      + failures.size()
                      + " times within "
                      + timeout
                      + " (the start-up timeout; -D"
                      + PROPERTY
                      + "=PT10M, for example, waits"
                      + " longer): "
                      + e.getMessage(),
                  e);
          failures
              .subList(Math.max(0, failures.size() - 6), failures.size() - 1)
              .forEach(failed::addSuppressed);
          throw failed;
        }
        System.err.println(
            "tokenherd-testkit: " + what + " failed during start-up, retrying: " + e);
        try {
          // Start-up only, and no event to await: the next try must not hammer a loaded machine.
          Thread.sleep(200);
        } catch (InterruptedException interrupted) {
          Thread.currentThread().interrupt();
          throw new IllegalStateException("interrupted while retrying " + what, interrupted);
        }
      }
    }
  }
}

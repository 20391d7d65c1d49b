package dev.tokenherd.testkit;

import java.io.IOException;
import java.time.Duration;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;

/**
 * Waits for a topology of Redis processes to reach a state: start-up, a failover, a slot changing
 * hands. Redis announces none of these to an outsider, so the state is polled, every 100 ms, until
 * {@link StartupTimeout#get()} has passed; the failure then says what was still missing and what
 * every process said.
 */
final class Poll {
  private Poll() {}

  /** A condition: {@code null} once it holds, else what is still missing. */
  @FunctionalInterface
  interface Check {
    @Nullable String missing() throws IOException;
  }

  /**
   * Polls {@code check} until it holds.
   *
   * @param what what is awaited, for the failure message
   * @param check the condition; an exception it throws counts as "not yet" (a node that is still
   *     starting refuses connections)
   * @param diagnostics what the processes say, gathered only when the wait fails
   * @throws IllegalStateException when the start-up timeout has passed
   */
  static void until(String what, Check check, Supplier<String> diagnostics) {
    Duration timeout = StartupTimeout.get();
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      String missing;
      try {
        missing = check.missing();
      } catch (IOException | RuntimeException e) {
        missing = e.toString();
      }
      if (missing == null) {
        return;
      }
      if (System.nanoTime() - deadline >= 0) {
        throw new IllegalStateException(
            what
                + " did not happen within "
                + timeout
                + " (the start-up timeout; -D"
                + StartupTimeout.PROPERTY
                + "=PT10M, for example, waits longer); still missing: "
                + missing
                + "\n"
                + diagnostics.get());
      }
      sleep(100);
    }
  }

  /** Sleeps between two polls: processes announce nothing, so there is no event to await. */
  static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while waiting for Redis processes", e);
    }
  }

  /** The last {@code lines} lines of a process's log, for diagnostics. */
  static String logTail(RedisServerProcess node, int lines) {
    String tail = ProcessOutput.tail(node.dataDirectory().resolve("redis.log"));
    String[] all = tail.split("\n", -1);
    if (all.length <= lines) {
      return tail;
    }
    return "(earlier lines left out)\n"
        + String.join("\n", java.util.Arrays.asList(all).subList(all.length - lines, all.length));
  }
}

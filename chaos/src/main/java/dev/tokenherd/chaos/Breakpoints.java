package dev.tokenherd.chaos;

import java.io.PrintStream;
import java.util.Locale;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import org.jspecify.annotations.Nullable;

/**
 * Deterministic stopping points in a worker's refresh, for the scenarios that kill or stop a holder
 * at an exact step. When armed, the first time the refresh reaches the point the worker logs a
 * {@code break} event, prints {@code BREAK <point>} on standard output and blocks until the test
 * sends {@code go} (or kills the process, which is the usual end). It fires once per worker.
 */
public final class Breakpoints {
  /** The points a worker can stop at. */
  public enum Point {
    /** Under the lease, mark written, before the token request is sent. */
    ENDPOINT,
    /** The token endpoint answered; before the new record is written. */
    WRITE,
    /** The new record was written; before the lease is released. */
    UNLOCK;

    /** Parses a command-line name ({@code endpoint}, {@code write}, {@code unlock}). */
    public static Point parse(String name) {
      return valueOf(name.toUpperCase(Locale.ROOT));
    }
  }

  private final @Nullable Point armed;
  private final EventLog log;
  private final PrintStream stdout;
  private final AtomicBoolean fired = new AtomicBoolean();
  private final AtomicBoolean disarmed = new AtomicBoolean();
  private final CountDownLatch go = new CountDownLatch(1);

  /**
   * Creates the breakpoints of one worker.
   *
   * @param armed the point to stop at, or {@code null} for none
   * @param log the worker's event log
   * @param stdout where {@code BREAK <point>} is announced
   */
  public Breakpoints(@Nullable Point armed, EventLog log, PrintStream stdout) {
    this.armed = armed;
    this.log = log;
    this.stdout = stdout;
  }

  /** Disarms: the point will not fire any more (sent to the other workers once one fired). */
  public void disarm() {
    disarmed.set(true);
  }

  /** Lets a worker blocked at its point continue. */
  public void release() {
    go.countDown();
  }

  /**
   * Blocks the calling thread if {@code point} is armed and has not fired yet.
   *
   * @param point the point the refresh has reached
   */
  public void reached(Point point) {
    if (point != armed || disarmed.get() || !fired.compareAndSet(false, true)) {
      return;
    }
    log.emit("break", e -> e.put("point", point.name()));
    synchronized (stdout) {
      stdout.println("BREAK " + point.name());
      stdout.flush();
    }
    try {
      go.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    log.emit("resumed", e -> e.put("point", point.name()));
  }
}

package dev.tokenherd.chaos;

import java.io.PrintStream;
import java.util.Locale;
import java.util.concurrent.CountDownLatch;
import org.jspecify.annotations.Nullable;

/**
 * Deterministic stopping points in a worker's refresh, for the scenarios that kill or stop a holder
 * at an exact step. When armed, the first time the refresh reaches the point the worker logs a
 * {@code break} event, prints {@code BREAK <point>} on standard output and blocks until the test
 * sends {@code go} (or kills the process, which is the usual end). It fires once per arming: the
 * worker's {@code break=} argument arms it at start, {@link #arm} (the {@code arm <point>} command)
 * again later, as the soak does before each stop of a holder.
 */
public final class Breakpoints {
  /** The points a worker can stop at. */
  public enum Point {
    /** Under the lease, before the refresh mark is written. */
    MARK,
    /** Under the lease, mark written, before the token request is sent. */
    ENDPOINT,
    /** The token endpoint answered; before the new record is written. */
    WRITE,
    /** The new record was written; before the lease is released. */
    UNLOCK;

    /**
     * Parses a command-line name ({@code mark}, {@code endpoint}, {@code write}, {@code unlock}).
     */
    public static Point parse(String name) {
      return valueOf(name.toUpperCase(Locale.ROOT));
    }
  }

  /** One arming: where to stop, whether it fired or was disarmed, and what lets it go on. */
  private static final class Arming {
    final @Nullable Point point;
    final CountDownLatch go = new CountDownLatch(1);
    boolean fired; // guarded by Breakpoints.this
    boolean disarmed; // guarded by Breakpoints.this

    Arming(@Nullable Point point) {
      this.point = point;
    }
  }

  private final EventLog log;
  private final PrintStream stdout;
  private Arming arming; // guarded by this

  /**
   * Creates the breakpoints of one worker.
   *
   * @param armed the point to stop at, or {@code null} for none
   * @param log the worker's event log
   * @param stdout where {@code BREAK <point>} is announced
   */
  public Breakpoints(@Nullable Point armed, EventLog log, PrintStream stdout) {
    this.arming = new Arming(armed);
    this.log = log;
    this.stdout = stdout;
  }

  /**
   * Arms {@code point} afresh: it fires once more. A worker still stopped at the previous arming is
   * let go first.
   *
   * @param point the point to stop at
   */
  public synchronized void arm(Point point) {
    arming.go.countDown();
    arming = new Arming(point);
  }

  /** Disarms: the point will not fire any more (sent to the other workers once one fired). */
  public synchronized void disarm() {
    arming.disarmed = true;
  }

  /**
   * Lets a worker blocked at its point continue; sent before it arrives there, it does not block.
   */
  public synchronized void release() {
    arming.go.countDown();
  }

  /**
   * Blocks the calling thread if {@code point} is armed and has not fired yet.
   *
   * @param point the point the refresh has reached
   */
  public void reached(Point point) {
    Arming stop;
    synchronized (this) {
      stop = arming;
      if (point != stop.point || stop.disarmed || stop.fired) {
        return;
      }
      stop.fired = true;
    }
    log.emit("break", e -> e.put("point", point.name()));
    synchronized (stdout) {
      stdout.println("BREAK " + point.name());
      stdout.flush();
    }
    try {
      stop.go.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    log.emit("resumed", e -> e.put("point", point.name()));
  }
}

package dev.tokenherd.testkit;

import static java.util.Objects.requireNonNull;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.PriorityQueue;
import java.util.concurrent.AbstractExecutorService;
import java.util.concurrent.Callable;
import java.util.concurrent.Delayed;
import java.util.concurrent.Executors;
import java.util.concurrent.FutureTask;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * A {@link ScheduledExecutorService} on virtual time: tasks run on the thread that calls {@link
 * #advance(Duration)} or {@link #runDue()}, when the {@link MutableClock} reaches their due
 * instant, in due order (ties in submission order). Nothing runs by itself, so a test decides
 * exactly when timers, backoffs and timeouts fire.
 *
 * <p>{@link #execute(Runnable)} queues the task for the current instant; it runs at the next {@code
 * runDue()} or {@code advance()}.
 */
public final class VirtualScheduler extends AbstractExecutorService
    implements ScheduledExecutorService {
  private final MutableClock clock;
  private final PriorityQueue<Task<?>> queue = new PriorityQueue<>();
  private long sequence;
  private boolean shutdown;

  /**
   * Creates a scheduler driven by {@code clock}.
   *
   * @param clock the clock that tasks are due by
   */
  public VirtualScheduler(MutableClock clock) {
    this.clock = requireNonNull(clock, "clock");
  }

  /**
   * Returns the clock this scheduler runs on.
   *
   * @return the clock given to the constructor
   */
  public MutableClock clock() {
    return clock;
  }

  /**
   * Advances the clock by {@code duration}, running every task that falls due on the way, each with
   * the clock set to its due instant.
   *
   * @param duration how far to move; not negative
   * @return the number of tasks run
   */
  public int advance(Duration duration) {
    Instant target = clock.instant().plus(duration);
    if (duration.isNegative()) {
      throw new IllegalArgumentException("cannot move time backwards: " + duration);
    }
    int ran = 0;
    while (true) {
      Task<?> next;
      synchronized (this) {
        next = queue.peek();
        if (next == null || next.due.isAfter(target)) {
          break;
        }
        queue.poll();
      }
      if (next.due.isAfter(clock.instant())) {
        clock.set(next.due);
      }
      ran += next.runOnce();
    }
    if (target.isAfter(clock.instant())) {
      clock.set(target);
    }
    return ran;
  }

  /**
   * Runs every task due now, including tasks they schedule for now, on the calling thread; the
   * clock does not move.
   *
   * @return the number of tasks run
   */
  public int runDue() {
    return advance(Duration.ZERO);
  }

  /**
   * Returns the number of tasks waiting to run.
   *
   * @return the number of queued tasks that are not cancelled
   */
  public synchronized int pending() {
    return (int) queue.stream().filter(t -> !t.isCancelled()).count();
  }

  /**
   * Returns when the next live (not cancelled) task is due.
   *
   * @return the earliest due instant, or {@code null} if no task waits
   */
  public synchronized @org.jspecify.annotations.Nullable Instant nextDue() {
    return queue.stream()
        .filter(t -> !t.isCancelled())
        .map(t -> t.due)
        .min(Instant::compareTo)
        .orElse(null);
  }

  @Override
  public ScheduledFuture<?> schedule(Runnable command, long delay, TimeUnit unit) {
    return enqueue(Executors.callable(requireNonNull(command, "command"), null), delay, unit, 0);
  }

  @Override
  public <V> ScheduledFuture<V> schedule(Callable<V> callable, long delay, TimeUnit unit) {
    return enqueue(requireNonNull(callable, "callable"), delay, unit, 0);
  }

  @Override
  public ScheduledFuture<?> scheduleAtFixedRate(
      Runnable command, long initialDelay, long period, TimeUnit unit) {
    return schedulePeriodic(command, initialDelay, period, unit);
  }

  @Override
  public ScheduledFuture<?> scheduleWithFixedDelay(
      Runnable command, long initialDelay, long delay, TimeUnit unit) {
    // On virtual time a task takes no time, so fixed rate and fixed delay coincide.
    return schedulePeriodic(command, initialDelay, delay, unit);
  }

  private ScheduledFuture<?> schedulePeriodic(
      Runnable command, long initialDelay, long period, TimeUnit unit) {
    if (period <= 0) {
      throw new IllegalArgumentException("period must be positive: " + period);
    }
    return enqueue(
        Executors.callable(requireNonNull(command, "command"), null),
        initialDelay,
        unit,
        unit.toNanos(period));
  }

  private synchronized <V> Task<V> enqueue(
      Callable<V> callable, long delay, TimeUnit unit, long periodNanos) {
    if (shutdown) {
      throw new RejectedExecutionException("scheduler is shut down");
    }
    Instant due = clock.instant().plusNanos(Math.max(0, unit.toNanos(delay)));
    Task<V> task = new Task<>(callable, due, sequence++, periodNanos);
    queue.add(task);
    return task;
  }

  private synchronized void requeue(Task<?> task) {
    if (!shutdown) {
      task.seq = sequence++;
      queue.add(task);
    }
  }

  @Override
  public void execute(Runnable command) {
    ScheduledFuture<?> unused = schedule(command, 0, TimeUnit.NANOSECONDS);
  }

  @Override
  public synchronized void shutdown() {
    shutdown = true;
  }

  @Override
  public synchronized List<Runnable> shutdownNow() {
    shutdown = true;
    List<Runnable> waiting = new ArrayList<>(queue);
    queue.clear();
    return waiting;
  }

  @Override
  public synchronized boolean isShutdown() {
    return shutdown;
  }

  @Override
  public synchronized boolean isTerminated() {
    return shutdown && queue.isEmpty();
  }

  @Override
  public boolean awaitTermination(long timeout, TimeUnit unit) {
    return isTerminated();
  }

  private final class Task<V> extends FutureTask<V> implements ScheduledFuture<V> {
    private Instant due;
    private long seq;
    private final long periodNanos;

    Task(Callable<V> callable, Instant due, long seq, long periodNanos) {
      super(callable);
      this.due = due;
      this.seq = seq;
      this.periodNanos = periodNanos;
    }

    int runOnce() {
      if (isCancelled()) {
        return 0;
      }
      if (periodNanos == 0) {
        run();
      } else if (runAndReset()) {
        due = due.plusNanos(periodNanos);
        requeue(this);
      }
      return 1;
    }

    @Override
    public long getDelay(TimeUnit unit) {
      return unit.convert(Duration.between(clock.instant(), due));
    }

    @Override
    public int compareTo(Delayed other) {
      if (other instanceof Task<?> task) {
        int byDue = due.compareTo(task.due);
        return byDue != 0 ? byDue : Long.compare(seq, task.seq);
      }
      return Long.compare(getDelay(TimeUnit.NANOSECONDS), other.getDelay(TimeUnit.NANOSECONDS));
    }

    @Override
    public boolean equals(Object other) {
      return this == other;
    }

    @Override
    public int hashCode() {
      return System.identityHashCode(this);
    }
  }
}

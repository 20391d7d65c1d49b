package dev.tokenherd.examples;

import static java.util.Objects.requireNonNull;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Supplier;

/**
 * The caller threads of one pod, as the fleet demo's pods and the benchmarks' pods run them: each
 * thread makes its call, "uses" the token for 0.5-1.5 ms, and calls again, until stopped. Each
 * thread has a call of its own, so what a call records is written by one thread only.
 *
 * @param <C> one thread's call, with what it records
 */
public final class CallerThreads<C extends Runnable> {
  private final List<C> calls = new ArrayList<>();
  private final List<Thread> threads = new ArrayList<>();
  private volatile boolean stopped;

  /**
   * Creates the threads, not started; they are daemons named {@code <pod>-caller-<i>}.
   *
   * @param pod the pod's name
   * @param count how many threads
   * @param newCall makes each thread's call
   */
  public CallerThreads(String pod, int count, Supplier<C> newCall) {
    requireNonNull(pod, "pod");
    for (int i = 0; i < count; i++) {
      C call = requireNonNull(newCall.get(), "call");
      Thread thread = new Thread(() -> loop(call), pod + "-caller-" + i);
      thread.setDaemon(true);
      calls.add(call);
      threads.add(thread);
    }
  }

  /** Starts the threads. */
  public void start() {
    threads.forEach(Thread::start);
  }

  /**
   * Stops the threads and waits for each to finish its call.
   *
   * @param wait the longest wait for each thread
   * @throws InterruptedException if interrupted while waiting
   */
  public void stop(Duration wait) throws InterruptedException {
    stopped = true;
    for (Thread thread : threads) {
      thread.join(wait.toMillis());
    }
  }

  /**
   * Returns each thread's call, in thread order.
   *
   * @return the calls
   */
  public List<C> calls() {
    return List.copyOf(calls);
  }

  private void loop(C call) {
    while (!stopped) {
      call.run();
      // "using" the token: 0.5-1.5 ms of work between calls
      LockSupport.parkNanos(ThreadLocalRandom.current().nextLong(500_000, 1_500_000));
    }
  }
}

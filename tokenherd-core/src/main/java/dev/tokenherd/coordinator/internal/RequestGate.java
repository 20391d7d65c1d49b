package dev.tokenherd.coordinator.internal;

import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.Optional;
import java.util.PriorityQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The herd-wide cap on token requests in flight: a counting gate whose queue is ordered by the
 * expiry of the token each refresh replaces, so that in a storm the credential closest to expiring
 * is sent first. Non-blocking: a refresh that must wait gets a future, never a parked thread.
 *
 * <p>Why not resilience4j's bulkhead: its semaphore bulkhead waits by blocking the calling thread
 * (a herd of 10,000 credentials would park 10,000 threads) and hands permits out in arrival order;
 * its thread-pool bulkhead queues in arrival order too. A queued refresh holds its lock lease, so a
 * waiter also gives up at a deadline (after which its lease could no longer cover the request).
 */
final class RequestGate {
  private final int permits;
  private final ScheduledExecutorService scheduler;
  private final Executor executor;
  private final PriorityQueue<Waiter> queue =
      new PriorityQueue<>(
          Comparator.comparing((Waiter w) -> w.expiry).thenComparingLong(w -> w.sequence));
  private int inUse; // guarded by this
  private long sequence; // guarded by this

  RequestGate(int permits, ScheduledExecutorService scheduler, Executor executor) {
    if (permits < 1) {
      throw new IllegalArgumentException("permits must be at least 1: " + permits);
    }
    this.permits = permits;
    this.scheduler = scheduler;
    this.executor = executor;
  }

  /**
   * Takes a permit, at once if one is free, else when one is released to this waiter: the waiter
   * whose {@code expiry} is earliest is served first (then in arrival order).
   *
   * @param expiry when the token this request replaces expires; earlier is served first
   * @param maxWait how long to wait at most; zero or negative: only a free permit is taken
   * @return a permit, or empty if none came within {@code maxWait}
   */
  CompletionStage<Optional<Permit>> acquire(Instant expiry, Duration maxWait) {
    Waiter waiter;
    synchronized (this) {
      if (inUse < permits) {
        inUse++;
        return CompletableFuture.completedFuture(Optional.of(new Permit()));
      }
      if (maxWait.isNegative() || maxWait.isZero()) {
        return CompletableFuture.completedFuture(Optional.empty());
      }
      waiter = new Waiter(expiry, sequence++);
      queue.add(waiter);
    }
    // A waiter that gives up stays queued until release() polls it: its future is already done,
    // so it is skipped there (removing it here would cost O(n) under the lock in a storm).
    try {
      ScheduledFuture<?> timer =
          scheduler.schedule(
              () -> waiter.future.complete(Optional.empty()),
              maxWait.toNanos(),
              TimeUnit.NANOSECONDS);
      var unused = waiter.future.whenComplete((permit, error) -> timer.cancel(false));
    } catch (RejectedExecutionException e) {
      // The scheduler is shut down (the herd is closing): do not wait.
      waiter.future.complete(Optional.empty());
    }
    return waiter.future;
  }

  /** Returns how many requests hold a permit now; for tests and diagnostics. */
  synchronized int inUse() {
    return inUse;
  }

  /** Hands a released permit to the first waiter still waiting, or frees it. */
  private void release() {
    while (true) {
      Waiter next;
      synchronized (this) {
        next = queue.poll();
        if (next == null) {
          inUse--;
          return;
        }
      }
      // Handed over on the executor, outside the lock: the waiter's continuation sends its
      // request, and a request that fails at once releases again; run inline, a storm of those
      // would recurse once per queued refresh.
      Waiter taker = next;
      try {
        executor.execute(() -> handOver(taker));
        return;
      } catch (RejectedExecutionException e) {
        if (taker.future.complete(Optional.of(new Permit()))) {
          return; // the herd is closing: hand it over here
        }
      }
    }
  }

  private void handOver(Waiter taker) {
    if (!taker.future.complete(Optional.of(new Permit()))) {
      release(); // it gave up meanwhile: the permit goes to the next one
    }
  }

  /** A permit to send one token request; release it once, when the request has ended. */
  final class Permit {
    private final AtomicBoolean released = new AtomicBoolean();

    private Permit() {}

    /** Returns the permit to the gate; further calls do nothing. */
    void release() {
      if (released.compareAndSet(false, true)) {
        RequestGate.this.release();
      }
    }
  }

  private static final class Waiter {
    final Instant expiry;
    final long sequence;
    final CompletableFuture<Optional<Permit>> future = new CompletableFuture<>();

    Waiter(Instant expiry, long sequence) {
      this.expiry = expiry;
      this.sequence = sequence;
    }
  }

  @Override
  public synchronized String toString() {
    return "RequestGate[" + inUse + "/" + permits + " in use, " + queue.size() + " queued]";
  }
}

package dev.tokenherd.coordinator.internal;

import com.google.errorprone.annotations.CanIgnoreReturnValue;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * Lets a refresh that lost the lock wait until the credential passes a version (announced by the
 * change feed or installed locally) or a poll interval runs out, whichever is first. The poll bound
 * is what makes a lost announcement cost latency rather than a hang.
 */
final class VersionWaiters {
  private final ScheduledExecutorService scheduler;
  private final List<Waiter> waiting = new ArrayList<>();
  private long highest;

  VersionWaiters(ScheduledExecutorService scheduler) {
    this.scheduler = scheduler;
  }

  /**
   * Returns a future that completes when a version above {@code version} is seen or {@code atMost}
   * has passed. It never fails.
   */
  CompletableFuture<Void> awaitAbove(long version, Duration atMost) {
    CompletableFuture<Void> done = new CompletableFuture<>();
    synchronized (this) {
      if (highest > version) {
        done.complete(null);
        return done;
      }
      waiting.add(new Waiter(version, done));
    }
    ScheduledFuture<?> timer =
        scheduler.schedule(() -> done.complete(null), atMost.toNanos(), TimeUnit.NANOSECONDS);
    CompletableFuture<Void> unused =
        done.whenComplete(
            (ignored, error) -> {
              timer.cancel(false);
              synchronized (this) {
                waiting.removeIf(w -> w.done == done);
              }
            });
    return done;
  }

  /**
   * Records that {@code version} was reached, releasing every waiter below it.
   *
   * @return whether a waiter was released (it re-reads the store next)
   */
  @CanIgnoreReturnValue
  boolean reached(long version) {
    List<CompletableFuture<Void>> release = new ArrayList<>();
    synchronized (this) {
      highest = Math.max(highest, version);
      waiting.removeIf(
          w -> {
            if (w.version < version) {
              release.add(w.done);
              return true;
            }
            return false;
          });
    }
    release.forEach(f -> f.complete(null));
    return !release.isEmpty();
  }

  /**
   * Starts counting again from {@code version}: the record was created again (another generation)
   * and its versions restart from 1, so versions seen before say nothing any more. Every waiter is
   * released to re-read.
   */
  void restart(long version) {
    synchronized (this) {
      highest = version;
    }
    wakeAll();
  }

  /** Releases every waiter so that it re-reads the store (announcements may have been lost). */
  void wakeAll() {
    List<CompletableFuture<Void>> release;
    synchronized (this) {
      release = new ArrayList<>(waiting.size());
      waiting.forEach(w -> release.add(w.done));
      waiting.clear();
    }
    release.forEach(f -> f.complete(null));
  }

  private record Waiter(long version, CompletableFuture<Void> done) {}
}

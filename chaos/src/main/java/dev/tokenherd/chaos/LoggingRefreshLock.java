package dev.tokenherd.chaos;

import dev.tokenherd.coordinator.TokenKey;
import dev.tokenherd.coordinator.spi.LockLease;
import dev.tokenherd.coordinator.spi.RefreshLock;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.LongSupplier;
import org.jspecify.annotations.Nullable;

/**
 * A {@link RefreshLock} decorator that logs acquisitions, re-fences and releases with their fence
 * and the lease's serial number, and failed acquisitions ({@code lock_failed}, with what Redis
 * answered), tells the endpoint decorator which lease the worker holds, and stops at the {@code
 * unlock} breakpoint after a content write under the lease.
 *
 * <p>A lease is one acquisition: its serial ({@code lease} in the events) stays the same when the
 * engine re-fences it ({@link LockLease#advancePast}, after the lock's fence counter was lost),
 * while its fence changes. Fences alone cannot name a lease once the counter has gone back: the
 * same fence is then issued twice.
 */
final class LoggingRefreshLock implements RefreshLock {
  private final RefreshLock delegate;
  private final EventLog log;
  private final Breakpoints breakpoints;
  private final LongSupplier lastContentFence;
  private final AtomicLong serials = new AtomicLong();
  private final AtomicReference<@Nullable Held> held = new AtomicReference<>();

  LoggingRefreshLock(
      RefreshLock delegate, EventLog log, Breakpoints breakpoints, LongSupplier lastContentFence) {
    this.delegate = delegate;
    this.log = log;
    this.breakpoints = breakpoints;
    this.lastContentFence = lastContentFence;
  }

  /** Returns the fence this worker holds, or -1 (one credential: at most one lease at a time). */
  long heldFence() {
    Held h = held.get();
    return h == null ? -1 : h.fence;
  }

  /** Returns the serial of the lease this worker holds, or -1. */
  long heldLease() {
    Held h = held.get();
    return h == null ? -1 : h.serial;
  }

  @Override
  public CompletionStage<Optional<LockLease>> tryAcquire(TokenKey key, Duration leaseTime) {
    return delegate
        .tryAcquire(key, leaseTime)
        .<Optional<LockLease>>thenApply(
            lease -> {
              if (lease.isEmpty()) {
                return lease;
              }
              LockLease inner = lease.get();
              Held h = new Held(serials.incrementAndGet(), inner.fence());
              held.set(h);
              log.emit(
                  "lock",
                  e -> e.put("fence", inner.fence()).put("lease", h.serial).put("acquired", true));
              return Optional.of(new Lease(inner, h));
            })
        .whenComplete(
            (lease, error) -> {
              if (error != null) {
                log.emit("lock_failed", e -> e.put("error", describe(error)));
              }
            });
  }

  /**
   * Names a failed acquisition's error and its root cause, whose message carries what Redis
   * answered (a slot migration's {@code TRYAGAIN}, a {@code CLUSTERDOWN}).
   */
  private static String describe(Throwable error) {
    Throwable outer = error;
    Throwable cause = error.getCause();
    if (error instanceof CompletionException && cause != null) {
      outer = cause;
    }
    Throwable root = outer;
    for (Throwable next = root.getCause(); next != null && next != root; next = root.getCause()) {
      root = next;
    }
    return outer.getClass().getSimpleName()
        + ": "
        + root.getClass().getSimpleName()
        + ": "
        + root.getMessage();
  }

  /** One acquisition: its serial, and its fence, which a re-fence raises. */
  private static final class Held {
    final long serial;
    volatile long fence;

    Held(long serial, long fence) {
      this.serial = serial;
      this.fence = fence;
    }
  }

  private final class Lease implements LockLease {
    private final LockLease inner;
    private final Held lease;

    Lease(LockLease inner, Held lease) {
      this.inner = inner;
      this.lease = lease;
    }

    @Override
    public long fence() {
      return inner.fence();
    }

    @Override
    public CompletionStage<Optional<LockLease>> advancePast(long fence) {
      long from = inner.fence();
      return inner
          .advancePast(fence)
          .thenApply(
              renewed -> {
                log.emit(
                    "refence",
                    e -> {
                      e.put("lease", lease.serial).put("fence", from).put("storedFence", fence);
                      if (renewed.isPresent()) {
                        e.put("newFence", renewed.get().fence());
                      } else {
                        e.put("lost", true);
                      }
                    });
                if (renewed.isEmpty()) {
                  return renewed;
                }
                lease.fence = renewed.get().fence();
                return Optional.of(new Lease(renewed.get(), lease));
              });
    }

    @Override
    public CompletionStage<Void> release() {
      long fence = lease.fence;
      if (lastContentFence.getAsLong() == fence) {
        breakpoints.reached(Breakpoints.Point.UNLOCK);
      }
      held.compareAndSet(lease, null);
      return inner
          .release()
          .whenComplete(
              (ignored, error) ->
                  log.emit(
                      "unlock",
                      e ->
                          e.put("fence", fence)
                              .put("lease", lease.serial)
                              .put("ok", error == null)))
          .exceptionallyCompose(CompletableFuture::failedFuture);
    }
  }
}

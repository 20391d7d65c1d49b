package dev.tokenherd.chaos;

import dev.tokenherd.coordinator.TokenKey;
import dev.tokenherd.coordinator.spi.LockLease;
import dev.tokenherd.coordinator.spi.RefreshLock;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * A {@link RefreshLock} decorator that logs acquisitions and releases with their fence, tells the
 * endpoint decorator which fence the worker holds, and stops at the {@code unlock} breakpoint after
 * a content write under the lease.
 */
final class LoggingRefreshLock implements RefreshLock {
  private final RefreshLock delegate;
  private final EventLog log;
  private final Breakpoints breakpoints;
  private final LongSupplier lastContentFence;
  private final AtomicLong heldFence = new AtomicLong(-1);

  LoggingRefreshLock(
      RefreshLock delegate, EventLog log, Breakpoints breakpoints, LongSupplier lastContentFence) {
    this.delegate = delegate;
    this.log = log;
    this.breakpoints = breakpoints;
    this.lastContentFence = lastContentFence;
  }

  /** Returns the fence this worker holds, or -1 (one credential: at most one lease at a time). */
  long heldFence() {
    return heldFence.get();
  }

  @Override
  public CompletionStage<Optional<LockLease>> tryAcquire(TokenKey key, Duration leaseTime) {
    return delegate
        .tryAcquire(key, leaseTime)
        .thenApply(
            lease -> {
              if (lease.isEmpty()) {
                return lease;
              }
              LockLease inner = lease.get();
              heldFence.set(inner.fence());
              log.emit("lock", e -> e.put("fence", inner.fence()).put("acquired", true));
              return Optional.of(new Lease(inner));
            });
  }

  private final class Lease implements LockLease {
    private final LockLease inner;

    Lease(LockLease inner) {
      this.inner = inner;
    }

    @Override
    public long fence() {
      return inner.fence();
    }

    @Override
    public CompletionStage<Void> release() {
      if (lastContentFence.getAsLong() == inner.fence()) {
        breakpoints.reached(Breakpoints.Point.UNLOCK);
      }
      heldFence.compareAndSet(inner.fence(), -1);
      return inner
          .release()
          .whenComplete(
              (ignored, error) ->
                  log.emit("unlock", e -> e.put("fence", inner.fence()).put("ok", error == null)))
          .exceptionallyCompose(CompletableFuture::failedFuture);
    }
  }
}

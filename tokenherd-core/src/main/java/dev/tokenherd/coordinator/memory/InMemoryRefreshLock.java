package dev.tokenherd.coordinator.memory;

import static java.util.Objects.requireNonNull;

import dev.tokenherd.coordinator.TokenKey;
import dev.tokenherd.coordinator.spi.LockLease;
import dev.tokenherd.coordinator.spi.RefreshLock;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * A fenced refresh lock within one JVM. Leases expire by the injected clock, so tests can make a
 * holder outlive its lease by advancing time; fencing tokens grow per key and are never reused.
 */
public final class InMemoryRefreshLock implements RefreshLock {
  private final Clock clock;
  private final Map<TokenKey, Holder> holders = new HashMap<>();
  private final Map<TokenKey, Long> fences = new HashMap<>();

  /**
   * Creates a lock whose leases expire by {@code clock}.
   *
   * @param clock the time source
   */
  public InMemoryRefreshLock(Clock clock) {
    this.clock = requireNonNull(clock, "clock");
  }

  @Override
  public CompletionStage<Optional<LockLease>> tryAcquire(TokenKey key, Duration leaseTime) {
    requireNonNull(key, "key");
    requireNonNull(leaseTime, "leaseTime");
    Instant now = clock.instant();
    synchronized (this) {
      Holder holder = holders.get(key);
      if (holder != null && now.isBefore(holder.expiresAt)) {
        return CompletableFuture.completedFuture(Optional.empty());
      }
      long fence = fences.merge(key, 1L, Long::sum);
      Lease lease = new Lease(key, fence);
      holders.put(key, new Holder(fence, now.plus(leaseTime)));
      return CompletableFuture.completedFuture(Optional.of(lease));
    }
  }

  private record Holder(long fence, Instant expiresAt) {}

  private final class Lease implements LockLease {
    private final TokenKey key;
    private final long fence;

    Lease(TokenKey key, long fence) {
      this.key = key;
      this.fence = fence;
    }

    @Override
    public long fence() {
      return fence;
    }

    @Override
    public CompletionStage<Void> release() {
      synchronized (InMemoryRefreshLock.this) {
        Holder holder = holders.get(key);
        if (holder != null && holder.fence == fence) {
          holders.remove(key);
        }
      }
      return CompletableFuture.completedFuture(null);
    }

    @Override
    public String toString() {
      return "Lease[" + key + ", fence=" + fence + "]";
    }
  }
}

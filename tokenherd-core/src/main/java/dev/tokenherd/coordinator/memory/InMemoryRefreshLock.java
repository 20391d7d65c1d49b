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
  private long owners;

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
      long owner = ++owners;
      Lease lease = new Lease(key, owner, fence);
      holders.put(key, new Holder(owner, now.plus(leaseTime)));
      return CompletableFuture.completedFuture(Optional.of(lease));
    }
  }

  /** The lease that holds a key's lock, by owner id (shared by a lease and its re-fenced ones). */
  private record Holder(long owner, Instant expiresAt) {}

  private final class Lease implements LockLease {
    private final TokenKey key;
    private final long owner;
    private final long fence;

    Lease(TokenKey key, long owner, long fence) {
      this.key = key;
      this.owner = owner;
      this.fence = fence;
    }

    @Override
    public long fence() {
      return fence;
    }

    @Override
    public CompletionStage<Optional<LockLease>> advancePast(long stored) {
      synchronized (InMemoryRefreshLock.this) {
        if (!holds()) {
          return CompletableFuture.completedFuture(Optional.empty());
        }
        long floor = Math.addExact(stored, REFENCE_MARGIN);
        long next = Math.max(fences.getOrDefault(key, 0L), floor) + 1;
        fences.put(key, next);
        return CompletableFuture.completedFuture(Optional.of(new Lease(key, owner, next)));
      }
    }

    private boolean holds() {
      Holder holder = holders.get(key);
      return holder != null && holder.owner == owner && clock.instant().isBefore(holder.expiresAt);
    }

    @Override
    public CompletionStage<Void> release() {
      synchronized (InMemoryRefreshLock.this) {
        Holder holder = holders.get(key);
        if (holder != null && holder.owner == owner) {
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

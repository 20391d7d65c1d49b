package dev.tokenherd.coordinator.redis;

import static java.util.Objects.requireNonNull;

import dev.tokenherd.coordinator.StoreMisconfiguredException;
import dev.tokenherd.coordinator.TokenKey;
import dev.tokenherd.coordinator.redis.internal.RedisErrors;
import dev.tokenherd.coordinator.spi.LockLease;
import dev.tokenherd.coordinator.spi.RefreshLock;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.jspecify.annotations.Nullable;
import org.redisson.RedissonFencedLock;
import org.redisson.RedissonObject;
import org.redisson.api.RFencedLock;
import org.redisson.api.RScript;
import org.redisson.api.RedissonClient;
import org.redisson.client.codec.StringCodec;
import org.redisson.pubsub.LockPubSub;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A {@link RefreshLock} on Redisson's fenced lock ({@code RFencedLock}, one per credential under
 * {@link RedisKeys#lock}). The fencing token is Redisson's per-lock counter, incremented by the
 * same script that takes the lock.
 *
 * <p>Three choices follow from how Redisson 4.7.0 behaves (see {@code
 * RedissonFencedLockSemanticsIT}):
 *
 * <ul>
 *   <li><b>Explicit lease, no watchdog.</b> Every acquisition passes the lease time to {@code
 *       tryLockAndGetTokenAsync(0, lease, MILLISECONDS, id)}: the key then expires by itself after
 *       the lease, so a holder that stalls (GC, SIGSTOP, a lost process) frees the lock without
 *       anyone's help. Redisson's {@code lockAndGetToken(lease, unit)} ignores its lease and keeps
 *       the lock alive with the watchdog, and the no-argument {@code tryLockAndGetToken()} waits
 *       forever; neither is used.
 *   <li><b>A synthetic owner id per acquisition.</b> Redisson names a lock's owner by client id and
 *       thread id and lets the same owner re-enter. Keyed on a Java thread, two refreshes started
 *       from one thread would both "hold" the lock, and a release from another thread (async code
 *       completes anywhere) would fail. Each lease therefore gets its own negative id (real thread
 *       ids are positive), unique in this JVM, and {@link LockLease#release()} unlocks with it.
 *       Redisson's interface has no owner-id overload of {@code tryLockAndGetTokenAsync}; its
 *       implementation class {@code RedissonFencedLock} has a public one, which this class uses.
 *   <li><b>Releasing an expired lease is benign.</b> When the lease ran out (and perhaps another
 *       worker holds the lock now), the release finds its owner field gone, leaves the lock alone
 *       and completes normally: the lock is no longer ours and the new holder's lease must stay
 *       intact. The fence, not the lock, guards the write.
 *   <li><b>One request to release.</b> {@link LockLease#release()} runs its own script ({@link
 *       #RELEASE}) on the lock's hash rather than Redisson's {@code unlockAsync}, which sends its
 *       unlock script and then a {@code DEL} of an unlock-latch key, a second round trip per
 *       refresh that only matters for re-entered locks.
 * </ul>
 *
 * <p>If Redis cannot be reached, {@link #tryAcquire} fails (after Redisson's own timeout and retry
 * settings); the caller maps that to its typed error. If Redis refuses the lock's commands for good
 * (an ACL without {@code +eval}, a lock key holding a foreign value), it fails with {@link
 * StoreMisconfiguredException}, naming the command or key and the ACL rule needed. The client is
 * shared and never closed here.
 */
public final class RedissonRefreshLock implements RefreshLock {
  private static final Logger log = LoggerFactory.getLogger(RedissonRefreshLock.class);

  /** Owner ids for leases: negative, so they never equal a real thread id of the same client. */
  private static final AtomicLong OWNER_IDS = new AtomicLong();

  private final RedissonClient client;
  private final RedisKeys keys;

  /**
   * Creates a lock on {@code client}'s Redis.
   *
   * @param client the Redisson client; owned by the caller and never closed here
   * @param keys the key layout
   */
  public RedissonRefreshLock(RedissonClient client, RedisKeys keys) {
    this.client = requireNonNull(client, "client");
    this.keys = requireNonNull(keys, "keys");
  }

  @Override
  public CompletionStage<Optional<LockLease>> tryAcquire(TokenKey key, Duration leaseTime) {
    requireNonNull(key, "key");
    requireNonNull(leaseTime, "leaseTime");
    long leaseMillis = leaseTime.toMillis();
    if (leaseMillis <= 0) {
      // Redisson reads a non-positive lease as "keep it alive with the watchdog": never wanted.
      throw new IllegalArgumentException("leaseTime must be at least 1ms, got " + leaseTime);
    }
    long owner = -OWNER_IDS.incrementAndGet();
    try {
      RedissonFencedLock lock = fencedLock(key);
      return lock.tryLockAndGetTokenAsync(0, leaseMillis, TimeUnit.MILLISECONDS, owner)
          .handle(
              (fence, error) -> {
                if (error != null) {
                  throw failure(key, error);
                }
                return fence == null
                    ? Optional.<LockLease>empty()
                    : Optional.<LockLease>of(new Lease(this, key, lock, owner, fence));
              });
    } catch (RuntimeException e) {
      // For example a client already shut down: report it the way an unreachable Redis is.
      return CompletableFuture.failedFuture(e);
    }
  }

  /**
   * The exception a failed acquisition completes with: a misconfiguration typed, else as it was.
   */
  private CompletionException failure(TokenKey key, Throwable error) {
    String name = keys.lock(key);
    StoreMisconfiguredException misconfigured =
        RedisErrors.misconfiguration(
            key,
            error,
            RedisErrors.Role.LOCK,
            keys.namespace(),
            "key '" + name + "' or 'redisson_lock_token:" + name + "'");
    if (misconfigured != null) {
      return new CompletionException(misconfigured);
    }
    return error instanceof CompletionException completion
        ? completion
        : new CompletionException(error);
  }

  private RedissonFencedLock fencedLock(TokenKey key) {
    RFencedLock lock = client.getFencedLock(keys.lock(key));
    if (lock instanceof RedissonFencedLock fenced) {
      return fenced;
    }
    throw new IllegalStateException(
        "expected Redisson's RedissonFencedLock, got " + lock.getClass().getName());
  }

  /**
   * Returns whether {@code error} is Redisson's answer to unlocking a lock this owner no longer
   * holds.
   */
  static boolean isNotHeld(@Nullable Throwable error) {
    Throwable cause = error;
    while (cause instanceof CompletionException && cause.getCause() != null) {
      cause = cause.getCause();
    }
    return cause instanceof IllegalMonitorStateException;
  }

  @Override
  public String toString() {
    return "RedissonRefreshLock[namespace=" + keys.namespace() + "]";
  }

  /**
   * Re-fences a held lease: nil if {@code ARGV[1]} (Redisson's owner field) no longer holds the
   * lock {@code KEYS[1]}; else raises the counter {@code KEYS[2]} to at least {@code ARGV[2]} and
   * returns its next value as a string. Compared as decimal strings, like the store's script, and
   * read back with GET rather than returned from INCR: a Lua number is a double, which cannot tell
   * fences above 2^53 apart.
   */
  static final String ADVANCE_PAST =
      "if redis.call('hexists', KEYS[1], ARGV[1]) == 0 then return false end "
          + "local current = redis.call('get', KEYS[2]) or '0' "
          + "if #current < #ARGV[2] or (#current == #ARGV[2] and current < ARGV[2]) then "
          + "redis.call('set', KEYS[2], ARGV[2]) end "
          + "redis.call('incr', KEYS[2]) "
          + "return redis.call('get', KEYS[2])";

  /**
   * Releases a lease: if {@code ARGV[1]} (the lease's owner field) still holds the lock {@code
   * KEYS[1]}, deletes it and publishes Redisson's unlock message {@code ARGV[2]} on the lock's
   * channel {@code KEYS[2]} (as Redisson's unlock does, for any Redisson client waiting on the same
   * lock); returns 1, or 0 if the lease had expired (the lock is free or another lease's, and is
   * left alone). Leases are never re-entered, so the owner's hold count is always 1.
   */
  static final String RELEASE =
      "if redis.call('hexists', KEYS[1], ARGV[1]) == 0 then return 0 end "
          + "redis.call('del', KEYS[1]) "
          + "redis.call('publish', KEYS[2], ARGV[2]) "
          + "return 1";

  private static final class Lease implements LockLease {
    private final RedissonRefreshLock parent;
    private final TokenKey key;
    private final RedissonFencedLock lock;
    private final long owner;
    private final long fence;
    private final AtomicBoolean released = new AtomicBoolean();

    Lease(
        RedissonRefreshLock parent, TokenKey key, RedissonFencedLock lock, long owner, long fence) {
      this.parent = parent;
      this.key = key;
      this.lock = lock;
      this.owner = owner;
      this.fence = fence;
    }

    @Override
    public long fence() {
      return fence;
    }

    /**
     * Runs {@link #ADVANCE_PAST} on the lock's hash and Redisson's counter key (one slot: the
     * counter's name embeds the lock's), so the ownership check and the new fence are one step.
     */
    @Override
    public CompletionStage<Optional<LockLease>> advancePast(long stored) {
      String name = lock.getRawName();
      List<Object> keys = List.of(name, RedissonObject.prefixName("redisson_lock_token", name));
      String field = lock.getServiceManager().getId() + ":" + owner;
      CompletionStage<String> next;
      try {
        String floor = Long.toString(Math.addExact(stored, REFENCE_MARGIN));
        next =
            parent
                .client
                .getScript(StringCodec.INSTANCE)
                .<String>evalAsync(
                    name,
                    RScript.Mode.READ_WRITE,
                    ADVANCE_PAST,
                    RScript.ReturnType.VALUE,
                    keys,
                    field,
                    floor);
      } catch (RuntimeException e) {
        return CompletableFuture.failedFuture(e);
      }
      // Refused commands (an ACL without what the script runs) are typed as the acquisition's are.
      return next.handle(
          (fence, error) -> {
            if (error != null) {
              throw parent.failure(key, error);
            }
            return fence == null
                ? Optional.<LockLease>empty()
                : Optional.<LockLease>of(
                    new Lease(parent, key, lock, owner, Long.parseLong(fence)));
          });
    }

    /**
     * Runs {@link #RELEASE}: one request. Redisson's own {@code unlockAsync} sends two, its unlock
     * script and then a {@code DEL} of the unlock-latch key that script wrote, which makes a
     * retried unlock of a re-entered lock idempotent. A lease is never re-entered (its owner id is
     * its own), so a retried release finds its owner field gone and is answered "not held", which
     * is what the latch would have answered.
     */
    @Override
    public CompletionStage<Void> release() {
      if (!released.compareAndSet(false, true)) {
        return CompletableFuture.completedFuture(null);
      }
      CompletableFuture<Void> done = new CompletableFuture<>();
      String name = lock.getRawName();
      String field = lock.getServiceManager().getId() + ":" + owner;
      CompletionStage<Long> unlocked;
      try {
        unlocked =
            parent
                .client
                .getScript(StringCodec.INSTANCE)
                .<Long>evalAsync(
                    name,
                    RScript.Mode.READ_WRITE,
                    RELEASE,
                    RScript.ReturnType.LONG,
                    List.of(name, RedissonObject.prefixName("redisson_lock__channel", name)),
                    field,
                    LockPubSub.UNLOCK_MESSAGE.toString());
      } catch (RuntimeException e) {
        unlocked = CompletableFuture.failedFuture(e);
      }
      unlocked.whenComplete(
          (deleted, error) -> {
            if (error == null) {
              if (deleted == null || deleted == 0L) {
                log.debug(
                    "credential '{}': lease with fence {} had already expired at release",
                    key,
                    fence);
              }
              done.complete(null);
            } else {
              // A release that did not reach Redis may be retried; the lease still expires.
              released.set(false);
              done.completeExceptionally(error);
            }
          });
      return done;
    }

    @Override
    public String toString() {
      return "Lease[" + key + ", fence=" + fence + "]";
    }
  }
}

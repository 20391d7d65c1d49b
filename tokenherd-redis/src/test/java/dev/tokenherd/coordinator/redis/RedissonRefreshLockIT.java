package dev.tokenherd.coordinator.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.tokenherd.coordinator.TokenKey;
import dev.tokenherd.coordinator.spi.LockLease;
import dev.tokenherd.coordinator.spi.RefreshLock;
import dev.tokenherd.coordinator.testing.RefreshLockContract;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Runs {@link RefreshLockContract} against a real Redis: two Redisson clients are two workers. The
 * contract's {@code letLeaseExpire()} hook waits (with Awaitility) until Redis itself has expired
 * the lock key, instead of advancing a virtual clock: a Redis lease runs on the server's clock.
 */
final class RedissonRefreshLockIT extends RefreshLockContract {
  private static final Duration LEASE = Duration.ofMillis(800);
  private static final RedisKeys KEYS = RedisKeys.of("lock-it");

  private static RedisTestServer server;
  private static RedisTestClients clients;
  private static RedissonRefreshLock lock;
  private static RedissonRefreshLock otherWorkersLock;
  private static StatefulRedisConnection<String, String> inspector;

  @BeforeAll
  static void start() {
    server = RedisTestServer.start();
    clients = new RedisTestClients(server.uri());
    lock = new RedissonRefreshLock(clients.redisson(), KEYS);
    otherWorkersLock = new RedissonRefreshLock(clients.redisson(), KEYS);
    inspector = clients.lettuce().connect();
  }

  @AfterAll
  static void stop() throws Exception {
    clients.close();
    server.close();
  }

  @Override
  protected RefreshLock lock() {
    return lock;
  }

  @Override
  protected RefreshLock otherWorkersLock() {
    return otherWorkersLock;
  }

  @Override
  protected Duration leaseTime() {
    return LEASE;
  }

  @Override
  protected void letLeaseExpire() {
    RedisCommands<String, String> redis = inspector.sync();
    await()
        .atMost(LEASE.multipliedBy(5))
        .pollInterval(Duration.ofMillis(20))
        .until(() -> redis.exists(KEYS.lock(key)) == 0);
  }

  private static Optional<LockLease> acquire(RefreshLock on, TokenKey key) {
    return on.tryAcquire(key, LEASE).toCompletableFuture().join();
  }

  @Test
  void tryAcquire_sameWorkerSameThreadTwice_secondIsEmpty() {
    // Redisson would let the same thread re-enter; leases must not.
    LockLease first = acquire(lock, key).orElseThrow();

    assertThat(acquire(lock, key)).isEmpty();
    first.release().toCompletableFuture().join();
  }

  @Test
  void release_fromAnotherThread_freesTheLock() throws Exception {
    LockLease lease = acquire(lock, key).orElseThrow();

    CompletableFuture.runAsync(() -> lease.release().toCompletableFuture().join())
        .get(5, TimeUnit.SECONDS);

    assertThat(inspector.sync().exists(KEYS.lock(key))).isZero();
    assertThat(acquire(otherWorkersLock, key)).isPresent();
  }

  @Test
  void release_twice_isHarmless() {
    LockLease lease = acquire(lock, key).orElseThrow();
    lease.release().toCompletableFuture().join();
    LockLease next = acquire(otherWorkersLock, key).orElseThrow();

    lease.release().toCompletableFuture().join();

    assertThat(acquire(lock, key)).isEmpty();
    next.release().toCompletableFuture().join();
  }

  @Test
  void release_afterExpiry_completesNormally() {
    LockLease lease = acquire(lock, key).orElseThrow();
    letLeaseExpire();

    assertThat(lease.release().toCompletableFuture().join()).isNull();
  }

  @Test
  void tryAcquire_leaseRunsOnTheServer_keyCarriesTheLeaseAsTtl() {
    LockLease lease = acquire(lock, key).orElseThrow();

    long pttl = inspector.sync().pttl(KEYS.lock(key));

    assertThat(pttl).isPositive().isLessThanOrEqualTo(LEASE.toMillis());
    assertThat(lease.toString()).contains(key.name()).contains("fence=" + lease.fence());
    lease.release().toCompletableFuture().join();
  }

  @Test
  void fences_increaseStrictlyAcrossManyAcquisitionsAndWorkers() {
    List<Long> fences = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      LockLease lease = acquire(i % 2 == 0 ? lock : otherWorkersLock, key).orElseThrow();
      fences.add(lease.fence());
      lease.release().toCompletableFuture().join();
    }

    assertThat(fences).isSorted().doesNotHaveDuplicates();
  }

  @Test
  void tryAcquire_nonPositiveLease_isRejected() {
    assertThatThrownBy(() -> lock.tryAcquire(key, Duration.ZERO))
        .isInstanceOf(IllegalArgumentException.class);
    assertThat(lock.toString()).contains("lock-it");
  }
}

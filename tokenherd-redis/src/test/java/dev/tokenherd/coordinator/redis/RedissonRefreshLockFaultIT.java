package dev.tokenherd.coordinator.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.tokenherd.coordinator.TokenKey;
import dev.tokenherd.coordinator.spi.LockLease;
import dev.tokenherd.testkit.RedisServerProcess;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * The lock under faults of a real {@code redis-server} process: it fails fast while Redis is down,
 * recovers by itself, and its fencing token keeps growing across a crash when the AOF is on (and
 * starts over when it is off: see the last test).
 */
final class RedissonRefreshLockFaultIT {
  private static final AtomicInteger NAMES = new AtomicInteger();
  private static final RedisKeys KEYS = RedisKeys.of("lock-fault-it");
  private static final Duration LEASE = Duration.ofSeconds(5);
  private static final Duration WAIT = Duration.ofSeconds(15);

  private final TokenKey key = TokenKey.of("lock-fault-" + NAMES.incrementAndGet());

  private static LockLease acquireAndRelease(RedissonRefreshLock lock, TokenKey key) {
    LockLease lease = lock.tryAcquire(key, LEASE).toCompletableFuture().join().orElseThrow();
    lease.release().toCompletableFuture().join();
    return lease;
  }

  /** Waits until Redisson reaches the server again and returns the first lease it gets. */
  private static LockLease awaitLease(RedissonRefreshLock lock, TokenKey key) {
    return await()
        .atMost(WAIT)
        .pollInterval(Duration.ofMillis(100))
        .ignoreExceptions()
        .until(
            () -> lock.tryAcquire(key, LEASE).toCompletableFuture().get(5, TimeUnit.SECONDS),
            Optional::isPresent)
        .orElseThrow();
  }

  @Test
  void serverDown_tryAcquireFailsFast_thenRecoversByItself() throws Exception {
    try (RedisTestServer server = RedisTestServer.process();
        RedisTestClients clients = new RedisTestClients(server.uri())) {
      RedissonRefreshLock lock = new RedissonRefreshLock(clients.redisson(), KEYS);
      LockLease before = acquireAndRelease(lock, key);

      server.processOrFail().stop();
      long start = System.nanoTime();
      CompletableFuture<Optional<LockLease>> down =
          lock.tryAcquire(key, LEASE).toCompletableFuture();
      assertThat(down).failsWithin(WAIT);
      long failedAfterMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
      server.processOrFail().startAgain();

      LockLease after = awaitLease(lock, key);
      System.out.printf("lock: tryAcquire failed %d ms after the server stopped%n", failedAfterMs);
      assertThat(failedAfterMs).isLessThan(5_000);
      assertThat(after.fence()).isGreaterThan(before.fence());
      after.release().toCompletableFuture().join();
    }
  }

  @Test
  void releaseWhileDown_fails_andARetryAfterTheRestartFreesTheLock() throws Exception {
    try (RedisTestServer server = RedisTestServer.process();
        RedisTestClients clients = new RedisTestClients(server.uri())) {
      RedissonRefreshLock lock = new RedissonRefreshLock(clients.redisson(), KEYS);
      RedissonRefreshLock other = new RedissonRefreshLock(clients.redisson(), KEYS);
      LockLease lease = lock.tryAcquire(key, LEASE).toCompletableFuture().join().orElseThrow();

      server.processOrFail().stop();
      assertThat(lease.release().toCompletableFuture()).failsWithin(WAIT);
      server.processOrFail().startAgain();

      // The AOF kept the lock (and its TTL): nobody else gets it until the holder lets go.
      await()
          .atMost(WAIT)
          .pollInterval(Duration.ofMillis(100))
          .ignoreExceptions()
          .until(() -> other.tryAcquire(key, LEASE).toCompletableFuture().join().isEmpty());
      await()
          .atMost(WAIT)
          .pollInterval(Duration.ofMillis(100))
          .ignoreExceptions()
          .until(() -> lease.release().toCompletableFuture().join() == null);
      LockLease next = other.tryAcquire(key, LEASE).toCompletableFuture().join().orElseThrow();
      assertThat(next.fence()).isGreaterThan(lease.fence());
    }
  }

  @Test
  void clientShutDown_tryAcquireFailsAsAStage() throws Exception {
    try (RedisTestServer server = RedisTestServer.process();
        RedisTestClients clients = new RedisTestClients(server.uri())) {
      org.redisson.api.RedissonClient redisson = clients.redisson();
      RedissonRefreshLock lock = new RedissonRefreshLock(redisson, KEYS);
      redisson.shutdown();

      assertThat(lock.tryAcquire(key, LEASE).toCompletableFuture()).failsWithin(WAIT);
    }
  }

  @Test
  void serverKilled_withAof_fencesKeepGrowing() throws Exception {
    try (RedisTestServer server = RedisTestServer.process();
        RedisTestClients clients = new RedisTestClients(server.uri())) {
      RedissonRefreshLock lock = new RedissonRefreshLock(clients.redisson(), KEYS);
      acquireAndRelease(lock, key);
      LockLease last = acquireAndRelease(lock, key);

      // SIGKILL: only what appendfsync=always already wrote survives.
      server.processOrFail().kill();
      server.processOrFail().startAgain();

      LockLease next = awaitLease(lock, key);
      assertThat(next.fence()).isGreaterThan(last.fence());
      next.release().toCompletableFuture().join();
    }
  }

  @Test
  void serverKilled_withoutPersistence_fencingCounterStartsOver() throws Exception {
    // Documents the hazard, not a wish: with no AOF (or an async replica promoted after a
    // failover) Redisson's counter rolls back with the data, so fences are handed out again.
    try (RedisServerProcess redis = RedisServerProcess.builder().appendOnly(false).start();
        RedisTestClients clients = new RedisTestClients(redis.uri())) {
      RedissonRefreshLock lock = new RedissonRefreshLock(clients.redisson(), KEYS);
      acquireAndRelease(lock, key);
      LockLease last = acquireAndRelease(lock, key);

      redis.kill();
      redis.startAgain();

      LockLease next = awaitLease(lock, key);
      assertThat(last.fence()).isEqualTo(2);
      assertThat(next.fence()).isEqualTo(1);
    }
  }
}

package dev.tokenherd.coordinator.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.tokenherd.coordinator.TokenKey;
import io.lettuce.core.api.sync.RedisCommands;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.redisson.RedissonFencedLock;
import org.redisson.api.RFencedLock;
import org.redisson.api.RedissonClient;

/**
 * Pins down the Redisson 4.7.0 {@code RFencedLock} behaviour that {@link RedissonRefreshLock}
 * relies on or works around. If an upgrade changes any of it, this test says which.
 */
final class RedissonFencedLockSemanticsIT {
  private static final AtomicInteger NAMES = new AtomicInteger();
  private static final RedisKeys KEYS = RedisKeys.of("semantics-it");
  private static final long LEASE_MS = 500;

  private static RedisTestServer server;
  private static RedisTestClients clients;
  private static RedissonClient first;
  private static RedissonClient second;
  private static RedisCommands<String, String> redis;

  private final String name = KEYS.lock(TokenKey.of("semantics-" + NAMES.incrementAndGet()));

  @BeforeAll
  static void start() {
    server = RedisTestServer.start();
    clients = new RedisTestClients(server.uri());
    first = clients.redisson();
    second = clients.redisson();
    redis = clients.lettuce().connect().sync();
  }

  @AfterAll
  static void stop() throws Exception {
    clients.close();
    server.close();
  }

  private static RedissonFencedLock fenced(RedissonClient client, String name) {
    RFencedLock lock = client.getFencedLock(name);
    assertThat(lock).isInstanceOf(RedissonFencedLock.class);
    return (RedissonFencedLock) lock;
  }

  private static Long tryLock(RedissonClient client, String name, long owner) {
    return tryLock(client, name, owner, LEASE_MS);
  }

  private static Long tryLock(RedissonClient client, String name, long owner, long leaseMs) {
    return fenced(client, name)
        .tryLockAndGetTokenAsync(0, leaseMs, TimeUnit.MILLISECONDS, owner)
        .toCompletableFuture()
        .join();
  }

  @Test
  void explicitLease_expiresOnTheServer_thenAnotherClientGetsAHigherFence() {
    Long held = tryLock(first, name, -1);
    assertThat(held).isNotNull();

    long start = System.nanoTime();
    await()
        .atMost(Duration.ofSeconds(5))
        .pollInterval(Duration.ofMillis(20))
        .until(() -> redis.exists(name) == 0);
    long waitedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
    Long next = tryLock(second, name, -2);

    // No watchdog extended the lease: the key died about LEASE_MS after the acquisition.
    assertThat(waitedMs).isLessThan(LEASE_MS + 1_000);
    assertThat(next).isNotNull().isGreaterThan(held);
  }

  @Test
  void waitTimeZero_whenHeld_returnsNullAtOnce() {
    assertThat(tryLock(first, name, -1)).isNotNull();

    long start = System.nanoTime();
    Long contended = tryLock(second, name, -2);
    long tookMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);

    assertThat(contended).isNull();
    assertThat(tookMs).isLessThan(LEASE_MS);
  }

  @Test
  void fencingCounter_survivesRelease_andGrowsAcrossClients() {
    Long a = tryLock(first, name, -1);
    fenced(first, name).unlockAsync(-1).toCompletableFuture().join();
    Long b = tryLock(second, name, -2);
    fenced(second, name).unlockAsync(-2).toCompletableFuture().join();
    Long c = tryLock(first, name, -3);

    assertThat(a).isNotNull();
    assertThat(b).isGreaterThan(a);
    assertThat(c).isGreaterThan(b);
    // The counter sits beside the lock, in the same hash slot ({K}), and never expires.
    String counter = "redisson_lock_token:" + name;
    assertThat(redis.get(counter)).isEqualTo(Long.toString(c));
    assertThat(redis.ttl(counter)).isEqualTo(-1);
  }

  @Test
  void sameOwnerId_reentersTheLock() {
    // Why every lease gets its own owner id: with the thread id as owner, one thread that starts
    // two refreshes would hold the same lock twice.
    Long once = tryLock(first, name, -1);
    Long twice = tryLock(first, name, -1);

    assertThat(once).isNotNull();
    assertThat(twice).isNotNull().isGreaterThan(once);
  }

  @Test
  void unlock_afterExpiry_failsWithIllegalMonitorState() {
    assertThat(tryLock(first, name, -1)).isNotNull();
    await().atMost(Duration.ofSeconds(5)).until(() -> redis.exists(name) == 0);
    assertThat(tryLock(second, name, -2)).isNotNull();

    assertThatThrownBy(() -> fenced(first, name).unlockAsync(-1).toCompletableFuture().join())
        .isInstanceOf(CompletionException.class)
        .hasCauseInstanceOf(IllegalMonitorStateException.class)
        .satisfies(e -> assertThat(RedissonRefreshLock.isNotHeld(e)).isTrue());
    // ... and the new holder keeps the lock.
    assertThat(redis.exists(name)).isOne();
  }

  @Test
  void lockAndGetTokenWithLease_ignoresTheLease_watchdogKeepsIt() {
    Long token = fenced(first, name).lockAndGetToken(100, TimeUnit.MILLISECONDS);

    assertThat(token).isNotNull();
    // The watchdog timeout (5 s in RedisTestClients) is the TTL, not the 100 ms asked for.
    assertThat(redis.pttl(name)).isGreaterThan(1_000);
    assertThat(fenced(first, name).forceUnlock()).isTrue();
  }

  @Test
  void noArgTryLockAndGetToken_waitsInsteadOfReturningNull() {
    assertThat(tryLock(first, name, -1, 3 * LEASE_MS)).isNotNull();

    CompletableFuture<Long> waiting =
        fenced(second, name).tryLockAndGetTokenAsync().toCompletableFuture();

    // A "try" would have answered null at once; this one is still waiting a while later ...
    await()
        .during(Duration.ofMillis(LEASE_MS))
        .atMost(Duration.ofMillis(2 * LEASE_MS))
        .until(() -> !waiting.isDone());
    // ... and gets the lock when the holder lets go.
    fenced(first, name).unlockAsync(-1).toCompletableFuture().join();
    assertThat(waiting).succeedsWithin(Duration.ofSeconds(5)).isNotNull();
    assertThat(fenced(second, name).forceUnlock()).isTrue();
  }
}

package dev.tokenherd.coordinator.redis.fleet;

import static dev.tokenherd.coordinator.redis.fleet.FleetSettings.KEY;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.tokenherd.TokenHerd;
import dev.tokenherd.coordinator.AccessToken;
import dev.tokenherd.coordinator.Backoff;
import dev.tokenherd.coordinator.RefreshPolicy;
import dev.tokenherd.coordinator.TokenCoordinator;
import dev.tokenherd.coordinator.redis.RedisBackend;
import dev.tokenherd.coordinator.redis.RedisKeys;
import dev.tokenherd.coordinator.testing.FakeServers;
import dev.tokenherd.testkit.Closer;
import dev.tokenherd.testkit.FakeAuthorizationServer;
import dev.tokenherd.testkit.Fault;
import dev.tokenherd.testkit.RedisServerProcess;
import dev.tokenherd.testkit.RotationMode;
import dev.tokenherd.testkit.ServerStats;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The lock's key evicted for real while its holder's token request is in flight: Redis runs with
 * {@code maxmemory-policy volatile-ttl} (the start-up check overridden, as an operator who cannot
 * change the policy would), and memory is then filled with keys that expire later than the lock, so
 * the lock's key is the one Redis evicts. A second worker then takes the lock. The holder's refresh
 * mark, live for the rest of its lease by Redis's own clock, is what stops it from presenting the
 * same refresh token. Judged by the rotating server's own counters.
 */
final class LockKeyEvictionIT {
  private static final String NAMESPACE = "evict-it";
  private static final Duration IN_FLIGHT = Duration.ofSeconds(3);

  private final Clock clock = Clock.systemUTC();
  private final RedisServerProcess redis =
      RedisServerProcess.builder().arguments("--maxmemory-policy", "volatile-ttl").start();
  private final FakeAuthorizationServer server =
      FakeAuthorizationServer.builder()
          .rotationMode(RotationMode.ROTATE_REVOKE_FAMILY_ON_REUSE)
          .accessTokenTtl(Duration.ofMinutes(10))
          .start();
  private final Closer resources = new Closer();

  @AfterEach
  void tearDown() throws Exception {
    resources.close();
    server.close();
    redis.close();
  }

  /** A lease well above the time the holder's request stays in flight. */
  private static RefreshPolicy policy() {
    return RefreshPolicy.builder()
        .retryBackoff(new Backoff(Duration.ofMillis(20), Duration.ofMillis(200), 2.0, 0.5))
        .pollBackoff(new Backoff(Duration.ofMillis(5), Duration.ofMillis(50), 2.0, 0.2))
        .endpointTimeout(Duration.ofSeconds(6))
        .leaseTime(Duration.ofSeconds(10))
        .waitTimeout(Duration.ofSeconds(20))
        .build();
  }

  private TokenCoordinator worker(String id) {
    RedisBackend backend =
        RedisBackend.builder()
            .uri(redis.uri().toString())
            .namespace(NAMESPACE)
            .acceptMaxmemoryPolicy("volatile-ttl")
            .build();
    resources.add(backend);
    TokenHerd herd =
        backend.configure(TokenHerd.builder()).refreshPolicy(policy()).workerId(id).build();
    resources.add(herd);
    return herd.coordinator(
        KEY,
        FleetSettings.endpoint(
            server.tokenEndpoint(),
            server.clientId(),
            FakeAuthorizationServer.DEFAULT_CLIENT_SECRET));
  }

  @Test
  void lockKeyEvictedWhileTheHolderSends_theNextHolderWaitsForItsMark_andNothingIsPresentedTwice()
      throws Exception {
    TokenCoordinator holder = worker("worker-holder");
    TokenCoordinator next = worker("worker-next");
    // Seeded already expired: the first call refreshes.
    holder
        .seed(
            FakeServers.tokenSet(
                server.issueTokens("read"),
                clock.instant().minusSeconds(600),
                clock.instant().minusSeconds(1)))
        .join();
    String lock = RedisKeys.of(NAMESPACE).lock(KEY);
    // The server rotates at once and answers 3 s later: the holder's request is in flight.
    server.enqueue(Fault.delayAfterProcessing(IN_FLIGHT));
    CompletableFuture<AccessToken> holding = holder.tokenAsync();
    await().atMost(Duration.ofSeconds(30)).until(() -> server.stats().tokenRequests() == 1);
    assertThat(redis.command("EXISTS", lock)).as("the holder's lock key").isEqualTo(":1");

    evictTheLock(lock);

    CompletableFuture<AccessToken> taking = next.tokenAsync();
    CompletableFuture.allOf(holding, taking).handle((done, error) -> null).get();
    ServerStats stats = server.stats();
    System.out.printf(
        "LockKeyEvictionIT: %d token requests, %d refresh events, %d reuse detections, %d"
            + " invalid_grant, %d families revoked%n",
        stats.tokenRequests(),
        stats.refreshEvents(),
        stats.reuseDetections(),
        stats.invalidGrants(),
        stats.familiesRevoked());
    AccessToken held = holding.get();
    AccessToken adopted = taking.get();
    assertThat(stats.tokenRequests()).isEqualTo(1);
    assertThat(stats.refreshEvents()).isEqualTo(1);
    assertThat(stats.reuseDetections()).isZero();
    assertThat(stats.invalidGrants()).isZero();
    assertThat(adopted.value()).isEqualTo(held.value());
    assertThat(server.isAccessTokenValid(adopted.value())).isTrue();
  }

  /**
   * Lowers {@code maxmemory} below what Redis uses and writes a key that expires an hour from now:
   * before the write, Redis evicts what {@code volatile-ttl} lets it, nearest expiry first, and the
   * lock's key (it expires within the lease) is the only key with a TTL. The write itself is then
   * refused ({@code OOM}); the limit is lifted again.
   */
  private void evictTheLock(String lock) throws Exception {
    assertThat(redis.command("CONFIG", "SET", "maxmemory", "1")).isEqualTo("+OK");
    String refused = redis.command("SET", "filler", "x".repeat(4096), "EX", "3600");
    assertThat(redis.command("CONFIG", "SET", "maxmemory", "0")).isEqualTo("+OK");
    assertThat(refused).startsWith("-OOM");
    assertThat(redis.command("EXISTS", lock)).as("the lock key after eviction").isEqualTo(":0");
    assertThat(redis.command("EXISTS", RedisKeys.of(NAMESPACE).record(KEY)))
        .as("the record (no TTL: never evicted under volatile-ttl)")
        .isEqualTo(":1");
  }
}

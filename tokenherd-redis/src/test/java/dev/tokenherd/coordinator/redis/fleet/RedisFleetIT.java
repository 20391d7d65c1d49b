package dev.tokenherd.coordinator.redis.fleet;

import static dev.tokenherd.coordinator.redis.fleet.FleetSettings.EXPIRIES;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.tokenherd.coordinator.TokenCoordinator;
import dev.tokenherd.coordinator.redis.RedisTestServer;
import dev.tokenherd.coordinator.testing.FakeServers;
import dev.tokenherd.testkit.Closer;
import dev.tokenherd.testkit.FakeAuthorizationServer;
import dev.tokenherd.testkit.RotationMode;
import dev.tokenherd.testkit.ServerStats;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The product's promise on real Redis: 8 independent workers (each its own Lettuce and Redisson
 * clients, its own herd, no shared Java state but the fake server) × 32 caller threads, across 20
 * consecutive expiries of a credential whose server rotates refresh tokens and revokes the family
 * on reuse, send exactly one token request per refresh and serve only valid tokens.
 */
class RedisFleetIT {
  private static final int WORKERS = 8;
  private static final int CALLERS_PER_WORKER = 32;

  private static RedisTestServer redis;

  private final Clock clock = Clock.systemUTC();
  private final FakeAuthorizationServer server =
      FakeAuthorizationServer.builder()
          .rotationMode(RotationMode.ROTATE_REVOKE_FAMILY_ON_REUSE)
          .accessTokenTtl(FleetSettings.TOKEN_TTL)
          .latency(FleetSettings.SERVER_LATENCY)
          .start();
  private final Closer resources = new Closer();

  @BeforeAll
  static void startRedis() {
    redis = RedisTestServer.start();
  }

  @AfterAll
  static void stopRedis() {
    redis.close();
  }

  @AfterEach
  void tearDown() throws Exception {
    resources.close();
    server.close();
  }

  @Test
  void eightWorkersX32Callers_onRealRedis_sendOneTokenRequestPerRefresh() throws Exception {
    List<TokenCoordinator> workers =
        FleetSettings.workers(redis.uri(), "fleet-it", server, WORKERS, resources);
    workers.get(0).seed(FakeServers.tokenSet(server.issueTokens("read"), clock.instant())).join();

    List<CallerLoad> loads = FleetSettings.loads(workers, CALLERS_PER_WORKER, clock, server);
    try {
      await()
          .atMost(Duration.ofSeconds(90))
          .pollInterval(Duration.ofMillis(100))
          .until(() -> server.stats().refreshEvents() >= EXPIRIES);
    } finally {
      loads.forEach(CallerLoad::close);
    }
    ServerStats stats =
        FleetSettings.assertOneRequestPerRefresh(
            server,
            "RedisFleetIT: " + WORKERS + " workers x " + CALLERS_PER_WORKER + " callers",
            loads.stream().mapToLong(CallerLoad::calls).sum());
    for (CallerLoad load : loads) {
      assertThat(load.errors()).isEmpty();
      assertThat(load.expiredServed()).isZero();
      assertThat(load.versionRegressions()).isZero();
      assertThat(load.calls()).isPositive();
    }
    assertThat(workers.stream().mapToLong(w -> w.stats().tokenRequests()).sum())
        .isEqualTo(stats.tokenRequests());
    // Every worker took part: more than one refreshed over 20 expiries, and all were served.
    assertThat(workers.stream().filter(w -> w.stats().refreshes() > 0).count()).isGreaterThan(1);
  }
}

package dev.tokenherd.coordinator.redis.fleet;

import static dev.tokenherd.coordinator.redis.fleet.FleetSettings.EXPIRIES;
import static dev.tokenherd.coordinator.redis.fleet.FleetSettings.KEY;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.tokenherd.coordinator.TokenCoordinator;
import dev.tokenherd.coordinator.redis.RedisKeys;
import dev.tokenherd.coordinator.testing.FakeServers;
import dev.tokenherd.testkit.Closer;
import dev.tokenherd.testkit.FakeAuthorizationServer;
import dev.tokenherd.testkit.RedisServerProcess;
import dev.tokenherd.testkit.RotationMode;
import dev.tokenherd.testkit.ServerStats;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Redisson's fence counter key deleted under load (as an eviction, a {@code DEL} or a restore of an
 * older backup would lose it) while three workers share a credential whose server rotates refresh
 * tokens and revokes the family on reuse. The next lease's fence starts again at 1, below the
 * stored fence. Judged by the server's own counters: one token request per refresh, no refresh
 * token presented twice, no {@code invalid_grant}, and no caller error.
 */
final class FenceCounterLossIT {
  private static final int WORKERS = 3;
  private static final int CALLERS_PER_WORKER = 4;
  private static final String NAMESPACE = "fence-it";

  private final Clock clock = Clock.systemUTC();
  private final RedisServerProcess redis = RedisServerProcess.builder().start();
  private final FakeAuthorizationServer server =
      FakeAuthorizationServer.builder()
          .rotationMode(RotationMode.ROTATE_REVOKE_FAMILY_ON_REUSE)
          .accessTokenTtl(FleetSettings.TOKEN_TTL)
          .latency(FleetSettings.SERVER_LATENCY)
          .start();
  private final Closer resources = new Closer();

  @AfterEach
  void tearDown() throws Exception {
    resources.close();
    server.close();
    redis.close();
  }

  @Test
  void counterKeyDeletedTwiceUnderLoad_oneRequestPerRefreshAndNoReuse() throws Exception {
    List<TokenCoordinator> workers =
        FleetSettings.workers(redis.uri(), NAMESPACE, server, WORKERS, resources);
    workers.get(0).seed(FakeServers.tokenSet(server.issueTokens("read"), clock.instant())).join();
    // Redisson names the counter after the lock, whose name already holds the hash tag.
    String counter = "redisson_lock_token:" + RedisKeys.of(NAMESPACE).lock(KEY);

    List<CallerLoad> loads = FleetSettings.loads(workers, CALLERS_PER_WORKER, clock, server);
    try {
      for (long refreshes : new long[] {4, EXPIRIES / 2, EXPIRIES}) {
        // Stops early once the server refused a grant: the fleet does not recover from that.
        await()
            .atMost(Duration.ofSeconds(60))
            .pollInterval(Duration.ofMillis(20))
            .until(
                () ->
                    server.stats().refreshEvents() >= refreshes
                        || server.stats().invalidGrants() > 0);
        if (refreshes == EXPIRIES || server.stats().invalidGrants() > 0) {
          break;
        }
        assertThat(redis.command("DEL", counter)).as("the counter key existed").isEqualTo(":1");
      }
    } finally {
      loads.forEach(CallerLoad::close);
    }
    ServerStats stats = server.stats();
    System.out.printf(
        "FenceCounterLossIT: %d token requests, %d refresh events, %d invalid_grant, %d reuse"
            + " detections, %d families revoked%n",
        stats.tokenRequests(),
        stats.refreshEvents(),
        stats.invalidGrants(),
        stats.reuseDetections(),
        stats.familiesRevoked());
    FleetSettings.assertOneRequestPerRefresh(
        server,
        "FenceCounterLossIT: " + WORKERS + " workers x " + CALLERS_PER_WORKER + " callers",
        loads.stream().mapToLong(CallerLoad::calls).sum());
    for (CallerLoad load : loads) {
      assertThat(load.errors()).isEmpty();
      assertThat(load.expiredServed()).isZero();
      assertThat(load.versionRegressions()).isZero();
    }
  }
}

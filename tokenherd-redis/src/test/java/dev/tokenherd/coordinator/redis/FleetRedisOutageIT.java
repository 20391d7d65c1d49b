package dev.tokenherd.coordinator.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.tokenherd.coordinator.RefreshPolicy;
import dev.tokenherd.coordinator.RefreshTimeoutException;
import dev.tokenherd.coordinator.StoreUnavailableException;
import dev.tokenherd.coordinator.TransientRefreshException;
import dev.tokenherd.testkit.FakeAuthorizationServer;
import dev.tokenherd.testkit.RedisServerProcess;
import dev.tokenherd.testkit.RotationMode;
import dev.tokenherd.testkit.ServerStats;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Redis unreachable, then back (DESIGN.md failure model): workers keep serving their cached token
 * until it expires, then callers get a typed, retryable error within their deadline; when Redis
 * restarts on the same port (AOF on) every worker recovers by itself.
 */
final class FleetRedisOutageIT {
  private static final int WORKERS = 3;
  private static final RefreshPolicy POLICY =
      FleetWorker.shortPolicy()
          .leaseTime(Duration.ofSeconds(2))
          .endpointTimeout(Duration.ofSeconds(1))
          .waitTimeout(Duration.ofSeconds(1))
          .build();

  @Test
  void redisDownPastExpiry_cachedTokenThenTypedError_andEveryWorkerRecoversAfterRestart()
      throws Exception {
    List<FleetWorker> workers = List.of();
    try (FakeAuthorizationServer server =
            FakeAuthorizationServer.builder()
                .rotationMode(RotationMode.ROTATE_REVOKE_FAMILY_ON_REUSE)
                .accessTokenTtl(Duration.ofSeconds(2))
                .start();
        RedisTestServer redis = RedisTestServer.process()) {
      RedisServerProcess process = redis.processOrFail();
      workers = FleetWorker.startAll(WORKERS, redis.uri(), server, POLICY);
      workers.get(0).seed(FleetWorker.tokens(server.issueTokens("read")));
      FleetCallers callers;
      long downMs;
      try (FleetCallers running = new FleetCallers(server, workers, 4)) {
        callers = running;
        await().atMost(Duration.ofSeconds(10)).until(() -> server.stats().refreshEvents() >= 1);
        // Stop Redis just after a refresh was stored (not merely answered: killing Redis between
        // the answer and the write loses that rotation, which the engine then reports as a
        // LostRotationException). The fleet then holds a token 2 s long.
        List<FleetWorker> fleet = workers;
        int stored = refreshed(fleet);
        await()
            .atMost(Duration.ofSeconds(5))
            .pollInterval(Duration.ofMillis(1))
            .until(() -> refreshed(fleet) > stored);
        long servedBefore = callers.served.sum();
        process.kill();
        long killedAt = System.nanoTime();
        assertThat(callers.errors).isEmpty();

        // Past the refresh window and the expiry: every worker's callers fail, typed.
        await()
            .atMost(Duration.ofSeconds(6))
            .until(
                () ->
                    callers.errorsOf(StoreUnavailableException.class)
                            + callers.errorsOf(RefreshTimeoutException.class)
                        >= WORKERS * 4L);
        long servedWhileDown = callers.served.sum() - servedBefore;
        downMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - killedAt);
        assertThat(servedWhileDown).isPositive();
        assertThat(callers.errors)
            .allSatisfy(
                e ->
                    assertThat(e)
                        .isInstanceOf(TransientRefreshException.class)
                        .isInstanceOfAny(
                            StoreUnavailableException.class, RefreshTimeoutException.class));
        long storeUnavailable = callers.errorsOf(StoreUnavailableException.class);
        long timedOut = callers.errorsOf(RefreshTimeoutException.class);

        process.startAgain();
        long restartedAt = System.nanoTime();
        for (FleetWorker worker : workers) {
          await()
              .atMost(Duration.ofSeconds(10))
              .ignoreExceptions()
              .until(() -> server.isAccessTokenValid(worker.coordinator.accessToken()));
        }
        long recoveredMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - restartedAt);
        System.out.printf(
            "outage: %d served while down, first errors after %d ms (%d StoreUnavailable, %d"
                + " RefreshTimeout), slowest call %d ms, all %d workers back %d ms after the"
                + " restart%n",
            servedWhileDown,
            downMs,
            storeUnavailable,
            timedOut,
            TimeUnit.NANOSECONDS.toMillis(callers.slowestCallNanos.get()),
            WORKERS,
            recoveredMs);
      }
      assertThat(callers.expiredServes).isEmpty();
      assertThat(callers.slowestCallNanos.get())
          .isLessThan(POLICY.waitTimeout().plusSeconds(1).toNanos());
      await()
          .atMost(Duration.ofSeconds(3))
          .until(() -> server.stats().tokenRequests() == server.stats().refreshEvents());
      ServerStats stats = server.stats();
      assertThat(stats.reuseDetections()).isZero();
      assertThat(stats.invalidGrants()).isZero();
      assertThat(workers.stream().mapToLong(w -> w.coordinator.stats().lostRotations()).sum())
          .isZero();
    } finally {
      FleetWorker.closeAll(workers);
    }
  }

  @Test
  void redisKilledBetweenTheServersAnswerAndTheWrite_theRotationIsStoredWhenRedisReturns()
      throws Exception {
    List<FleetWorker> workers = List.of();
    try (FakeAuthorizationServer server =
            FakeAuthorizationServer.builder()
                .rotationMode(RotationMode.ROTATE_REVOKE_FAMILY_ON_REUSE)
                .accessTokenTtl(Duration.ofSeconds(2))
                .latency(Duration.ofMillis(600))
                .start();
        RedisTestServer redis = RedisTestServer.process()) {
      RedisServerProcess process = redis.processOrFail();
      RefreshPolicy policy =
          FleetWorker.shortPolicy()
              .leaseTime(Duration.ofSeconds(6))
              .endpointTimeout(Duration.ofSeconds(3))
              .waitTimeout(Duration.ofSeconds(4))
              .build();
      workers = FleetWorker.startAll(WORKERS, redis.uri(), server, policy);
      workers.get(0).seed(FleetWorker.tokens(server.issueTokens("read")));

      // The first token request is on the wire (the server answers 600 ms later, having
      // rotated): Redis dies now, so the holder gets its answer with nowhere to store it.
      // (20 s bounds: the awaits return at once when things happen; a helper's run at load 50
      // on 2 cores took more than 5 s to send the first request.)
      FleetWorker caller = workers.get(1);
      CompletableFuture<String> waiting =
          CompletableFuture.supplyAsync(() -> caller.coordinator.accessToken());
      // The seeded token is inside its refresh-ahead window. A worker that first loads it adopts
      // it (the caller gets it at once) and starts the background refresh on the next call; so
      // the caller's worker is asked again until the request is out, rather than relying on its
      // change feed having loaded the record before the first call (a race that lost at times).
      await()
          .atMost(Duration.ofSeconds(20))
          .pollInterval(Duration.ofMillis(1))
          .until(
              () -> {
                if (server.stats().tokenRequests() == 0) {
                  var unused = caller.coordinator.tokenAsync();
                }
                return server.stats().tokenRequests() >= 1;
              });
      process.kill();
      // The server counts the rotation and answers at once: the holder's write then fails
      // (the client rejects commands while disconnected) well before Redis is back, since a
      // restart plus the client's reconnect delay take more than 100 ms.
      await()
          .atMost(Duration.ofSeconds(20))
          .pollInterval(Duration.ofMillis(1))
          .until(() -> server.stats().refreshEvents() >= 1);
      process.startAgain();

      for (FleetWorker worker : workers) {
        await()
            .atMost(Duration.ofSeconds(10))
            .ignoreExceptions()
            .until(() -> server.isAccessTokenValid(worker.coordinator.accessToken()));
      }
      waiting.handle((token, error) -> token).get(10, TimeUnit.SECONDS);
      ServerStats stats = server.stats();
      assertThat(stats.tokenRequests()).isEqualTo(1);
      assertThat(stats.refreshEvents()).isEqualTo(1);
      assertThat(stats.reuseDetections()).isZero();
      assertThat(stats.invalidGrants()).isZero();
      assertThat(workers.stream().mapToLong(w -> w.coordinator.stats().lostRotations()).sum())
          .isZero();
    } finally {
      FleetWorker.closeAll(workers);
    }
  }

  private static int refreshed(List<FleetWorker> workers) {
    return workers.stream().mapToInt(w -> w.events.refreshed.get()).sum();
  }
}

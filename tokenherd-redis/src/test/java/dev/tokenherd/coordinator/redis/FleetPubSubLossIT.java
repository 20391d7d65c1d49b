package dev.tokenherd.coordinator.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.tokenherd.coordinator.AccessToken;
import dev.tokenherd.coordinator.RefreshPolicy;
import dev.tokenherd.testkit.FakeAuthorizationServer;
import dev.tokenherd.testkit.RotationMode;
import dev.tokenherd.testkit.ServerStats;
import io.lettuce.core.KillArgs;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Pub/sub only makes waiting fast (DESIGN.md failure model): 4 workers x 8 callers wait on an
 * expired token while the one refresh is in flight (400 ms server latency), and every subscriber
 * connection of the fleet is killed ({@code CLIENT KILL TYPE pubsub}) again and again, including
 * right when the new version is announced. Every caller still gets the new token before its
 * deadline, by polling the store; the server sees one token request.
 */
final class FleetPubSubLossIT {
  private static final int WORKERS = 4;
  private static final int CALLERS_PER_WORKER = 8;
  private static final RefreshPolicy POLICY =
      FleetWorker.shortPolicy()
          .leaseTime(Duration.ofSeconds(2))
          .endpointTimeout(Duration.ofMillis(1500))
          .waitTimeout(Duration.ofSeconds(3))
          .build();

  @Test
  void subscribersKilledDuringTheRefresh_everyWaiterStillGetsTheNewToken() throws Exception {
    ExecutorService callers = Executors.newFixedThreadPool(WORKERS * CALLERS_PER_WORKER);
    List<FleetWorker> workers = List.of();
    try (FakeAuthorizationServer server =
            FakeAuthorizationServer.builder()
                .rotationMode(RotationMode.ROTATE_REVOKE_FAMILY_ON_REUSE)
                .latency(Duration.ofMillis(400))
                .start();
        RedisTestServer redis = RedisTestServer.start()) {
      RedisClient adminClient = RedisClient.create(redis.uri().toString());
      try (StatefulRedisConnection<String, String> admin = adminClient.connect()) {
        workers = FleetWorker.startAll(WORKERS, redis.uri(), server, POLICY);
        for (FleetWorker worker : workers) {
          await().atMost(Duration.ofSeconds(5)).until(worker.feed()::isFullySubscribed);
        }
        workers
            .get(0)
            .seed(
                FleetWorker.tokens(
                    server.issueTokens("read"), FleetWorker.CLOCK.instant().plusMillis(100)));

        List<Future<AccessToken>> calls = new ArrayList<>();
        List<Long> started = new ArrayList<>();
        for (FleetWorker worker : workers) {
          for (int i = 0; i < CALLERS_PER_WORKER; i++) {
            started.add(System.nanoTime());
            calls.add(callers.submit(() -> worker.coordinator.token()));
          }
        }
        await()
            .atMost(Duration.ofSeconds(3))
            .pollInterval(Duration.ofMillis(5))
            .until(() -> server.stats().tokenRequests() == 1);

        // Kill every subscriber while the server holds the request, wait for the feeds to come
        // back (or the refresh to land), and again; then once more as the new version lands.
        long killed = 0;
        int kills = 0;
        while (server.stats().refreshEvents() == 0 && kills < 5) {
          killed += admin.sync().clientKill(KillArgs.Builder.typePubsub());
          kills++;
          List<FleetWorker> fleet = workers;
          await()
              .atMost(Duration.ofSeconds(3))
              .pollInterval(Duration.ofMillis(5))
              .until(
                  () ->
                      server.stats().refreshEvents() > 0
                          || fleet.stream().allMatch(w -> w.feed().isFullySubscribed()));
        }
        await()
            .atMost(Duration.ofSeconds(3))
            .pollInterval(Duration.ofMillis(1))
            .until(() -> server.stats().refreshEvents() == 1);
        long refreshedAt = System.nanoTime();
        killed += admin.sync().clientKill(KillArgs.Builder.typePubsub());
        kills++;

        AccessToken expected = null;
        long slowestMs = 0;
        long lastServedAfterRefreshMs = 0;
        for (int i = 0; i < calls.size(); i++) {
          AccessToken token =
              calls.get(i).get(POLICY.waitTimeout().toMillis(), TimeUnit.MILLISECONDS);
          long done = System.nanoTime();
          if (expected == null) {
            expected = token;
          }
          assertThat(token).isEqualTo(expected);
          slowestMs = Math.max(slowestMs, TimeUnit.NANOSECONDS.toMillis(done - started.get(i)));
          lastServedAfterRefreshMs =
              Math.max(lastServedAfterRefreshMs, TimeUnit.NANOSECONDS.toMillis(done - refreshedAt));
        }
        assertThat(server.isAccessTokenValid(expected.value())).isTrue();
        assertThat(slowestMs).isLessThan(POLICY.waitTimeout().toMillis());
        assertThat(killed).isGreaterThanOrEqualTo(WORKERS);
        ServerStats stats = server.stats();
        assertThat(stats.tokenRequests()).isEqualTo(1);
        assertThat(stats.refreshEvents()).isEqualTo(1);
        assertThat(stats.reuseDetections()).isZero();
        assertThat(workers.stream().mapToLong(w -> w.coordinator.stats().callerTimeouts()).sum())
            .isZero();
        System.out.printf(
            "pubsub loss: %d kills (%d connections), %d callers served, slowest %d ms, last %d ms"
                + " after the refresh landed%n",
            kills, killed, calls.size(), slowestMs, lastServedAfterRefreshMs);
      } finally {
        callers.shutdownNow();
        FleetWorker.closeAll(workers);
        adminClient.shutdown();
      }
    }
  }
}

package dev.tokenherd.coordinator.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.tokenherd.coordinator.AccessToken;
import dev.tokenherd.coordinator.Backoff;
import dev.tokenherd.coordinator.RefreshPolicy;
import dev.tokenherd.coordinator.TokenKey;
import dev.tokenherd.coordinator.spi.ForwardingTokenStore.SimpleForwardingTokenStore;
import dev.tokenherd.coordinator.spi.TokenRecord;
import dev.tokenherd.coordinator.spi.TokenStore;
import dev.tokenherd.coordinator.spi.WriteOutcome;
import dev.tokenherd.testkit.FakeAuthorizationServer;
import dev.tokenherd.testkit.RedisServerProcess;
import dev.tokenherd.testkit.RotationMode;
import dev.tokenherd.testkit.ServerStats;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A holder paused between taking the lock and writing its refresh mark (a breakpoint in front of
 * the mark's write, as a GC pause or SIGSTOP would hold it) while its lease runs out on a real
 * Redisson lock and another worker takes over: the worst order, where the paused mark lands after
 * the other worker took the lock and before that worker's own mark. The paused holder must not send
 * (its lease is over by its own clock), and the other worker sends once. Judged by the rotating
 * server's ledger.
 */
final class PausedHolderMarkIT {
  private static final RefreshPolicy POLICY =
      RefreshPolicy.builder()
          .retryBackoff(new Backoff(Duration.ofMillis(20), Duration.ofMillis(200), 2.0, 0.5))
          .pollBackoff(new Backoff(Duration.ofMillis(5), Duration.ofMillis(50), 2.0, 0.2))
          .endpointTimeout(Duration.ofSeconds(1))
          .leaseTime(Duration.ofSeconds(2))
          .waitTimeout(Duration.ofSeconds(30))
          .build();

  private final RedisServerProcess redis = RedisServerProcess.builder().start();
  private final FakeAuthorizationServer server =
      FakeAuthorizationServer.builder()
          .rotationMode(RotationMode.ROTATE_REVOKE_FAMILY_ON_REUSE)
          .accessTokenTtl(Duration.ofMinutes(10))
          .start();
  private final HeldMark pausedA = new HeldMark();
  private final HeldMark pausedB = new HeldMark();
  private FleetWorker a;
  private FleetWorker b;

  @AfterEach
  void tearDown() {
    pausedA.release();
    pausedB.release();
    if (a != null) {
      a.close();
    }
    if (b != null) {
      b.close();
    }
    server.close();
    redis.close();
  }

  @Test
  void pausedMarkLandsBetweenTheNextHoldersLockAndMark_onlyTheNextHolderSends() throws Exception {
    a = FleetWorker.start("worker-paused", redis.uri(), server, POLICY, pausedA::wrap);
    b = FleetWorker.start("worker-next", redis.uri(), server, POLICY, pausedB::wrap);
    a.seed(
        FleetWorker.tokens(
            server.issueTokens("read"), FleetWorker.CLOCK.instant().minusSeconds(1)));
    String lock = RedisKeys.of(RedisKeys.DEFAULT_NAMESPACE).lock(FleetWorker.KEY);

    CompletableFuture<AccessToken> paused = a.coordinator.tokenAsync();
    pausedA.reached.get();
    // A's lease runs out on Redis (the lock key expires), then B takes the lock and pauses too,
    // right before its own mark.
    await().atMost(Duration.ofSeconds(60)).until(() -> redis.command("EXISTS", lock).equals(":0"));
    CompletableFuture<AccessToken> taking = b.coordinator.tokenAsync();
    pausedB.reached.get();
    assertThat(redis.command("EXISTS", lock)).as("B holds the lock").isEqualTo(":1");

    // A's mark lands first: its fence is not below the stored one, so the store takes it; A's
    // lease is over by its own clock, so A takes the mark back instead of sending.
    String record = RedisKeys.of(RedisKeys.DEFAULT_NAMESPACE).record(FleetWorker.KEY);
    pausedA.release();
    assertThat(pausedA.outcome.get().applied()).isTrue();
    await()
        .atMost(Duration.ofSeconds(30))
        .until(() -> redis.command("HEXISTS", record, "mark").equals(":0"));
    assertThat(server.stats().tokenRequests()).isZero();
    pausedB.release();

    AccessToken refreshed = taking.get();
    AccessToken adopted = paused.get();
    ServerStats stats = server.stats();
    System.out.printf(
        "PausedHolderMarkIT: %d token requests, %d refresh events, %d reuse detections, %d"
            + " invalid_grant%n",
        stats.tokenRequests(),
        stats.refreshEvents(),
        stats.reuseDetections(),
        stats.invalidGrants());
    assertThat(stats.tokenRequests()).isEqualTo(1);
    assertThat(stats.refreshEvents()).isEqualTo(1);
    assertThat(stats.reuseDetections()).isZero();
    assertThat(adopted.value()).isEqualTo(refreshed.value());
    assertThat(server.isAccessTokenValid(refreshed.value())).isTrue();
    assertThat(b.events.refreshed.get()).isEqualTo(1);
    assertThat(a.events.refreshed.get()).isZero();
  }

  /** Holds the first write that carries a refresh mark until released, as a breakpoint would. */
  private static final class HeldMark {
    final CompletableFuture<Void> reached = new CompletableFuture<>();
    final CompletableFuture<WriteOutcome> outcome = new CompletableFuture<>();
    private final CompletableFuture<Void> released = new CompletableFuture<>();

    void release() {
      released.complete(null);
    }

    TokenStore wrap(TokenStore store) {
      return new SimpleForwardingTokenStore(store) {
        @Override
        public CompletionStage<WriteOutcome> compareAndSet(
            TokenKey key, long expectedVersion, TokenRecord next) {
          if (next.refreshing() == null || reached.isDone()) {
            return super.compareAndSet(key, expectedVersion, next);
          }
          reached.complete(null);
          return released
              .thenCompose(ignored -> super.compareAndSet(key, expectedVersion, next))
              .whenComplete(
                  (done, error) -> {
                    if (error == null) {
                      outcome.complete(done);
                    } else {
                      outcome.completeExceptionally(error);
                    }
                  });
        }
      };
    }
  }
}

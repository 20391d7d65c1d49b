package dev.tokenherd.coordinator.redis;

import static dev.tokenherd.coordinator.redis.FleetWorker.KEY;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.tokenherd.coordinator.AccessToken;
import dev.tokenherd.coordinator.RefreshPolicy;
import dev.tokenherd.coordinator.TokenKey;
import dev.tokenherd.coordinator.spi.ForwardingTokenStore.SimpleForwardingTokenStore;
import dev.tokenherd.coordinator.spi.TokenRecord;
import dev.tokenherd.coordinator.spi.TokenStore;
import dev.tokenherd.coordinator.spi.WriteOutcome;
import dev.tokenherd.testkit.FakeAuthorizationServer;
import dev.tokenherd.testkit.RotationMode;
import dev.tokenherd.testkit.TokenGrant;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/**
 * A holder that loses its lease has its write rejected (I3). Worker A's store holds A's first
 * content write on a gate, as a GC pause between the token endpoint's answer and the write would;
 * A's 1 s lease runs out; worker B takes the lock with a higher fence, refreshes and writes. When
 * the gate opens, the store's script rejects A's write by its fence, A reports it, the stored
 * version never goes back, and A serves B's token. The server does not rotate, so nothing but the
 * fence can stop A.
 */
final class FleetFencingIT {
  private static final RefreshPolicy POLICY =
      FleetWorker.shortPolicy()
          .leaseTime(Duration.ofSeconds(1))
          .endpointTimeout(Duration.ofMillis(750))
          .waitTimeout(Duration.ofSeconds(5))
          .build();

  /**
   * Once {@linkplain #armed armed}, holds the next content write (version + 1) until the {@link
   * #gate} opens, and records its outcome.
   */
  private static final class PausingStore extends SimpleForwardingTokenStore {
    final AtomicBoolean armed = new AtomicBoolean();
    final CompletableFuture<Void> reached = new CompletableFuture<>();
    final CompletableFuture<Void> gate = new CompletableFuture<>();
    final CompletableFuture<WriteOutcome> outcome = new CompletableFuture<>();

    PausingStore(TokenStore next) {
      super(next);
    }

    @Override
    public CompletionStage<WriteOutcome> compareAndSet(
        TokenKey key, long expectedVersion, TokenRecord record) {
      if (record.version() != expectedVersion + 1 || !armed.compareAndSet(true, false)) {
        return super.compareAndSet(key, expectedVersion, record);
      }
      reached.complete(null);
      // The pause: no thread is blocked, the write simply is not sent until the test says so.
      CompletableFuture<WriteOutcome> written =
          gate.thenCompose(
              open -> super.compareAndSet(key, expectedVersion, record).toCompletableFuture());
      written.whenComplete((result, error) -> outcome.complete(result));
      return written;
    }
  }

  @Test
  void holderPausedPastItsLease_writeIsFenced_andItAdoptsTheNewerHoldersToken() throws Exception {
    try (FakeAuthorizationServer server =
            FakeAuthorizationServer.builder().rotationMode(RotationMode.NO_ROTATION).start();
        RedisTestServer redis = RedisTestServer.start()) {
      PausingStore[] pausing = new PausingStore[1];
      RedisClient plain = FailFastClients.create(redis.uri());
      try (FleetWorker a =
              FleetWorker.start(
                  "worker-a",
                  redis.uri(),
                  server,
                  POLICY,
                  store -> pausing[0] = new PausingStore(store));
          FleetWorker b = FleetWorker.start("worker-b", redis.uri(), server, POLICY);
          RedisTokenStore observer = RedisTokenStore.builder(plain).build();
          StatefulRedisConnection<String, String> admin = plain.connect()) {
        PausingStore stalled = pausing[0];
        TokenGrant grant = server.issueTokens("read");
        // Inside the expiry skew already: the first call refreshes.
        a.seed(FleetWorker.tokens(grant, FleetWorker.CLOCK.instant().plusMillis(100)));
        long seeded = stored(observer).version();
        stalled.armed.set(true);

        CompletableFuture<AccessToken> callerOfA = a.coordinator.tokenAsync();
        stalled.reached.get(5, TimeUnit.SECONDS); // A has its answer and is "paused"
        assertThat(server.stats().refreshEvents()).isEqualTo(1);
        long fenceOfA = stored(observer).fence(); // A's refresh mark carries its fence
        // A's lease runs out on the server, by its TTL.
        String lock = RedisKeys.defaults().lock(KEY);
        await().atMost(Duration.ofSeconds(3)).until(() -> admin.sync().exists(lock) == 0);

        AccessToken ofB = b.coordinator.token();
        TokenRecord afterB = stored(observer);
        assertThat(afterB.version()).isEqualTo(seeded + 1);
        assertThat(afterB.fence()).isGreaterThan(fenceOfA);
        assertThat(afterB.writer()).isEqualTo("worker-b");

        stalled.gate.complete(null);

        assertThat(stalled.outcome.get(5, TimeUnit.SECONDS).result())
            .isEqualTo(WriteOutcome.Result.FENCE_REJECTED);
        assertThat(callerOfA.get(5, TimeUnit.SECONDS)).isEqualTo(ofB);
        assertThat(a.coordinator.token()).isEqualTo(ofB);
        await().atMost(Duration.ofSeconds(2)).until(() -> !a.events.fencedWrites.isEmpty());
        assertThat(a.events.fencedWrites).containsExactly(fenceOfA);
        assertThat(a.coordinator.stats().fencedWritesRejected()).isEqualTo(1);
        assertThat(b.coordinator.stats().fencedWritesRejected()).isZero();
        TokenRecord afterRelease = stored(observer);
        assertThat(afterRelease.version()).isEqualTo(afterB.version());
        assertThat(afterRelease.fence()).isEqualTo(afterB.fence());
        assertThat(afterRelease.tokens()).isEqualTo(afterB.tokens());
        assertThat(server.stats().tokenRequests()).isEqualTo(2);
        System.out.printf(
            "fencing: A fence %d rejected after B fence %d wrote version %d%n",
            fenceOfA, afterB.fence(), afterB.version());
      } finally {
        plain.shutdown();
      }
    }
  }

  private static TokenRecord stored(RedisTokenStore store) {
    return store.read(KEY).toCompletableFuture().join().orElseThrow();
  }
}

package dev.tokenherd.coordinator.redis;

import static dev.tokenherd.coordinator.redis.FleetWorker.KEY;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.tokenherd.coordinator.ReauthenticationReason;
import dev.tokenherd.coordinator.ReauthenticationRequiredException;
import dev.tokenherd.coordinator.RefreshPolicy;
import dev.tokenherd.coordinator.spi.TokenRecord;
import dev.tokenherd.coordinator.spi.TokenStatus;
import dev.tokenherd.testkit.FakeAuthorizationServer;
import dev.tokenherd.testkit.RotationMode;
import dev.tokenherd.testkit.ServerStats;
import io.lettuce.core.RedisClient;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import org.junit.jupiter.api.Test;

/**
 * I6 across a fleet on Redis: 8 workers with callers on 1 s tokens; the server revokes the token
 * family; the next refresh meets {@code invalid_grant} with no newer record. The one worker that
 * learns it marks the credential, and every worker reports re-authentication required within 1 s of
 * that write; no worker calls the token endpoint again; a new login seeded through one worker
 * brings every worker back.
 */
final class FleetRevocationIT {
  private static final int WORKERS = 8;
  private static final Duration LIFETIME = Duration.ofSeconds(1);
  private static final RefreshPolicy POLICY =
      FleetWorker.shortPolicy()
          .leaseTime(Duration.ofSeconds(2))
          .endpointTimeout(Duration.ofSeconds(1))
          .waitTimeout(Duration.ofSeconds(2))
          .build();

  @Test
  void familyRevoked_everyWorkerStopsAndReportsOnce_thenANewSeedServesEverywhere()
      throws Exception {
    List<FleetWorker> workers = List.of();
    try (FakeAuthorizationServer server =
            FakeAuthorizationServer.builder()
                .rotationMode(RotationMode.ROTATE_REVOKE_FAMILY_ON_REUSE)
                .accessTokenTtl(LIFETIME)
                .start();
        RedisTestServer redis = RedisTestServer.start()) {
      RedisClient plain = FailFastClients.create(redis.uri());
      try (RedisTokenStore observer = RedisTokenStore.builder(plain).build()) {
        workers = FleetWorker.startAll(WORKERS, redis.uri(), server, POLICY);
        workers.get(0).seed(FleetWorker.tokens(server.issueTokens("read")));
        FleetCallers callers;
        try (FleetCallers running = new FleetCallers(server, workers, 2)) {
          callers = running;
          await().atMost(Duration.ofSeconds(10)).until(() -> server.stats().refreshEvents() >= 2);
          assertThat(callers.errors).isEmpty();

          // Revoke just after a refresh landed, so that no request is in flight.
          long refreshes = server.stats().refreshEvents();
          await()
              .atMost(Duration.ofSeconds(3))
              .pollInterval(Duration.ofMillis(1))
              .until(() -> server.stats().refreshEvents() > refreshes);
          String refreshToken = Objects.requireNonNull(stored(observer).tokens()).refreshToken();
          callers.stopLedgerCheck();
          assertThat(server.revokeFamilyOf(Objects.requireNonNull(refreshToken))).isTrue();
          long requestsAtRevocation = server.stats().tokenRequests();
          assertThat(requestsAtRevocation).isEqualTo(server.stats().refreshEvents());

          for (FleetWorker worker : workers) {
            await().atMost(Duration.ofSeconds(5)).until(() -> worker.events.reauthAt() != null);
          }
          TokenRecord marked = stored(observer);
          assertThat(marked.status()).isEqualTo(TokenStatus.REAUTH_REQUIRED);
          assertThat(marked.reauthReason()).isEqualTo(ReauthenticationReason.REVOKED);
          Instant latest = marked.writtenAt();
          for (FleetWorker worker : workers) {
            Instant seen = Objects.requireNonNull(worker.events.reauthAt());
            latest = seen.isAfter(latest) ? seen : latest;
            assertThat(worker.events.reauthentications)
                .singleElement()
                .satisfies(e -> assertThat(e.reason()).isEqualTo(ReauthenticationReason.REVOKED));
            assertThatThrownBy(worker.coordinator::accessToken)
                .isInstanceOfSatisfying(
                    ReauthenticationRequiredException.class,
                    e -> assertThat(e.reason()).isEqualTo(ReauthenticationReason.REVOKED));
          }
          Duration spread = Duration.between(marked.writtenAt(), latest);
          assertThat(spread).isLessThan(Duration.ofSeconds(1));

          // Two more token lifetimes with callers asking all the time: no worker asks the server.
          await()
              .during(LIFETIME.multipliedBy(2))
              .atMost(LIFETIME.multipliedBy(3))
              .until(() -> server.stats().tokenRequests() == requestsAtRevocation + 1);
          assertThat(callers.errors)
              .isNotEmpty()
              .allSatisfy(e -> assertThat(e).isInstanceOf(ReauthenticationRequiredException.class));

          workers.get(3).seed(FleetWorker.tokens(server.issueTokens("read")));
          for (FleetWorker worker : workers) {
            await()
                .atMost(Duration.ofSeconds(3))
                .ignoreExceptions()
                .until(() -> server.isAccessTokenValid(worker.coordinator.accessToken()));
          }
          long afterSeed = server.stats().refreshEvents();
          await()
              .atMost(Duration.ofSeconds(5))
              .until(() -> server.stats().refreshEvents() >= afterSeed + 2);
          System.out.printf(
              "revocation: %d workers reported re-authentication %d ms after the REAUTH write"
                  + " (%s); %d served%n",
              WORKERS, spread.toMillis(), marked.writtenAt(), callers.served.sum());
        }
        assertThat(callers.expiredServes).isEmpty();
        ServerStats stats = server.stats();
        assertThat(stats.reuseDetections()).isZero();
        assertThat(stats.invalidGrants()).isEqualTo(1);
        assertThat(stats.familiesRevoked()).isEqualTo(1);
        await()
            .atMost(Duration.ofSeconds(2))
            .until(() -> server.stats().tokenRequests() == server.stats().refreshEvents() + 1);
        for (FleetWorker worker : workers) {
          assertThat(worker.events.reauthentications).hasSize(1);
        }
      } finally {
        FleetWorker.closeAll(workers);
        plain.shutdown();
      }
    }
  }

  private static TokenRecord stored(RedisTokenStore store) {
    return store.read(KEY).toCompletableFuture().join().orElseThrow();
  }
}

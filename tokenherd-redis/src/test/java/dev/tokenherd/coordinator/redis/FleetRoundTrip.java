package dev.tokenherd.coordinator.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.tokenherd.coordinator.AccessToken;
import dev.tokenherd.coordinator.RefreshPolicy;
import dev.tokenherd.testkit.FakeAuthorizationServer;
import dev.tokenherd.testkit.RotationMode;
import dev.tokenherd.testkit.TokenGrant;
import java.time.Duration;
import java.util.List;
import java.util.function.Supplier;

/**
 * One round trip of a fleet on whatever deployment a {@link RedisBackend.Builder} describes (one
 * server, a Sentinel group, a cluster; ACL users, TLS): two workers, a seed, a refresh through the
 * lock, every write waiting for a replica, both workers serving the new token.
 */
final class FleetRoundTrip {
  private static final RefreshPolicy POLICY =
      FleetWorker.shortPolicy()
          .leaseTime(Duration.ofSeconds(3))
          .endpointTimeout(Duration.ofSeconds(1))
          .waitTimeout(Duration.ofSeconds(5))
          .build();

  private FleetRoundTrip() {}

  /**
   * Starts two workers on backends from {@code backend} (which should wait for a replica): the
   * first seeds an expiring token (the store's script, {@code WAIT}, the notice), the second
   * refreshes it (the lock, the refresh mark, the rotation), both serve the new token; asserts one
   * token request, no write left unconfirmed by a replica or unannounced. Closes the workers before
   * it returns (closing unsubscribes the feeds: a test that reads what the servers saw sees that
   * too).
   */
  static void servesEndToEnd(Supplier<RedisBackend.Builder> backend) {
    servesEndToEnd(backend, () -> {});
  }

  /**
   * {@link #servesEndToEnd(Supplier)}, running {@code whileServing} once the new token is served,
   * before the workers close: with their connections open.
   */
  static void servesEndToEnd(Supplier<RedisBackend.Builder> backend, Runnable whileServing) {
    try (FakeAuthorizationServer server =
            FakeAuthorizationServer.builder()
                .rotationMode(RotationMode.ROTATE_REVOKE_FAMILY_ON_REUSE)
                .start();
        FleetWorker first = FleetWorker.start("first", backend.get(), server, POLICY);
        FleetWorker second = FleetWorker.start("second", backend.get(), server, POLICY)) {
      TokenGrant grant = server.issueTokens("read");
      first.seed(FleetWorker.tokens(grant, FleetWorker.CLOCK.instant().plusMillis(100)));

      AccessToken refreshed = second.coordinator.token();

      assertThat(refreshed.value()).isNotEqualTo(grant.accessToken());
      assertThat(server.isAccessTokenValid(refreshed.value())).isTrue();
      await()
          .atMost(Duration.ofSeconds(10))
          .until(() -> first.coordinator.token().equals(refreshed));
      assertThat(server.stats().tokenRequests()).isEqualTo(1);
      for (FleetWorker worker : List.of(first, second)) {
        assertThat(worker.events.underReplicated).as(worker + " under-replicated writes").isEmpty();
        assertThat(worker.events.unannounced).as(worker + " unannounced writes").isEmpty();
      }
      whileServing.run();
    }
  }
}

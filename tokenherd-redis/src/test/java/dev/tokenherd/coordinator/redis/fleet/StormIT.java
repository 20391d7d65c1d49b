package dev.tokenherd.coordinator.redis.fleet;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tokenherd.TokenHerd;
import dev.tokenherd.coordinator.AccessToken;
import dev.tokenherd.coordinator.RefreshPolicy;
import dev.tokenherd.coordinator.TokenCoordinator;
import dev.tokenherd.coordinator.TokenKey;
import dev.tokenherd.coordinator.oauth2.OAuth2TokenEndpoint;
import dev.tokenherd.coordinator.redis.RedisBackend;
import dev.tokenherd.coordinator.testing.FakeServers;
import dev.tokenherd.testkit.FakeAuthorizationServer;
import dev.tokenherd.testkit.RedisServerProcess;
import dev.tokenherd.testkit.RotationMode;
import dev.tokenherd.testkit.ServerStats;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Issue 18, finding 3: many credentials of one worker expiring together against one Redis and one
 * rotating authorization server whose capacity is limited, so that its latency grows with the load
 * the fleet puts on it. Before storm control, every credential's refresh was sent at once; the
 * requests queued at the server past the fixed endpoint timeout, the timeouts were ambiguous
 * failures, the server still processed the abandoned requests (a rotation each), and each retry
 * presented the rotated-away refresh token: reuse detected, the family revoked. Judged by the
 * server's own counters: one token request per refresh, no reuse, no family revoked, every caller
 * served a token the server holds valid.
 *
 * <p>Nothing here depends on the machine's speed in the passing direction: the server's queue is
 * what makes it slow, the herd's cap keeps that queue short, and the timeouts follow the latency.
 */
final class StormIT {
  /** Credentials of the one worker, all expired when the storm starts. */
  private static final int CREDENTIALS = 1_000;

  /** Token requests the server processes at once, each for {@link #LATENCY}: 200 a second. */
  private static final int SERVER_CAPACITY = 10;

  private static final Duration LATENCY = Duration.ofMillis(50);

  /**
   * The configured endpoint timeout: five times what the server needs while it is not queueing, and
   * less than half of the ~5 s the whole storm takes it to drain.
   */
  private static final Duration ENDPOINT_TIMEOUT = Duration.ofSeconds(2);

  private final Clock clock = Clock.systemUTC();
  private final RedisServerProcess redis = RedisServerProcess.builder().start();
  private final List<AutoCloseable> resources = new ArrayList<>();
  private final FakeAuthorizationServer server =
      FakeAuthorizationServer.builder()
          .rotationMode(RotationMode.ROTATE_REVOKE_FAMILY_ON_REUSE)
          .accessTokenTtl(Duration.ofHours(1))
          .latency(LATENCY)
          .capacity(SERVER_CAPACITY)
          .requestLogLimit(0)
          .start();

  @AfterEach
  void tearDown() throws Exception {
    resources.add(0, redis);
    resources.add(1, server);
    FleetSettings.closeInReverse(resources);
  }

  /** The fleet tests' backoffs; a lease that covers the time a refresh may spend queued. */
  private static RefreshPolicy policy() {
    return FleetSettings.policy().toBuilder()
        .endpointTimeout(ENDPOINT_TIMEOUT)
        .leaseTime(Duration.ofSeconds(20))
        .waitTimeout(Duration.ofSeconds(40))
        .build();
  }

  @Test
  void thousandCredentialsExpiringTogether_oneRequestPerRefresh_noFamilyRevoked() {
    RedisBackend backend =
        RedisBackend.builder().uri(redis.uri().toString()).namespace("storm-it").build();
    resources.add(backend);
    TokenHerd herd =
        backend.configure(TokenHerd.builder()).refreshPolicy(policy()).workerId("worker").build();
    resources.add(herd);
    // One client of the authorization server for every credential, as a service has.
    OAuth2TokenEndpoint endpoint =
        FleetSettings.endpoint(
            server.tokenEndpoint(),
            server.clientId(),
            FakeAuthorizationServer.DEFAULT_CLIENT_SECRET);
    Instant now = clock.instant();
    List<TokenCoordinator> credentials = new ArrayList<>();
    List<CompletableFuture<AccessToken>> seeded = new ArrayList<>();
    for (int i = 0; i < CREDENTIALS; i++) {
      TokenCoordinator coordinator = herd.coordinator(TokenKey.of("tenant-" + i), endpoint);
      credentials.add(coordinator);
      // Logged in a minute ago, expired a second ago: every credential needs a refresh now.
      seeded.add(
          coordinator.seed(
              FakeServers.tokenSet(
                  server.issueTokens("read"), now.minusSeconds(60), now.minusSeconds(1))));
    }
    seeded.forEach(CompletableFuture::join);
    server.reset();

    long started = System.nanoTime();
    List<CompletableFuture<AccessToken>> calls =
        credentials.stream().map(TokenCoordinator::tokenAsync).toList();
    Map<String, Integer> failures = new TreeMap<>();
    int served = 0;
    int invalid = 0;
    for (CompletableFuture<AccessToken> call : calls) {
      try {
        AccessToken token = call.join();
        served++;
        if (!server.isAccessTokenValid(token.value())) {
          invalid++;
        }
      } catch (CompletionException e) {
        failures.merge(e.getCause().getClass().getSimpleName(), 1, Integer::sum);
      }
    }
    long tookMillis = (System.nanoTime() - started) / 1_000_000;
    ServerStats stats = server.awaitAnswered(Duration.ofSeconds(30));
    System.out.printf(
        "StormIT: %d credentials in %d ms: %d token POSTs, %d refreshes, %d reuse detections, %d"
            + " families revoked, %d served, failures %s%n",
        CREDENTIALS,
        tookMillis,
        stats.tokenRequests(),
        stats.refreshEvents(),
        stats.reuseDetections(),
        stats.familiesRevoked(),
        served,
        failures);

    assertThat(stats.reuseDetections()).as("refresh tokens presented twice").isZero();
    assertThat(stats.familiesRevoked()).as("token families revoked").isZero();
    assertThat(stats.tokenRequests()).as("token POSTs").isEqualTo(stats.refreshEvents());
    assertThat(stats.refreshEvents()).as("refreshes").isEqualTo(CREDENTIALS);
    assertThat(failures).as("callers that got no token").isEmpty();
    assertThat(invalid).as("tokens the server does not hold valid").isZero();
  }
}

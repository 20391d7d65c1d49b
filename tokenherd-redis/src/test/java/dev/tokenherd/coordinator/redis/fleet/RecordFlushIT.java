package dev.tokenherd.coordinator.redis.fleet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.tokenherd.coordinator.AccessToken;
import dev.tokenherd.coordinator.TokenCoordinator;
import dev.tokenherd.coordinator.TokenSet;
import dev.tokenherd.coordinator.testing.FakeServers;
import dev.tokenherd.testkit.Closer;
import dev.tokenherd.testkit.FakeAuthorizationServer;
import dev.tokenherd.testkit.Fault;
import dev.tokenherd.testkit.RedisServerProcess;
import dev.tokenherd.testkit.RotationMode;
import dev.tokenherd.testkit.ServerStats;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * {@code FLUSHALL}: the record, the lock and Redisson's fence counter gone at once, in steady state
 * and while a refresh is in flight, then an operator's new login seeded. The record comes back as
 * another generation, which every worker adopts although its versions start again from 1. Judged by
 * the rotating server's own ledger: one request per refresh, no refresh token presented twice, no
 * token served that the server did not hold valid, and callers see only typed errors.
 */
final class RecordFlushIT {
  private static final int WORKERS = 3;
  private static final int CALLERS_PER_WORKER = 3;
  private static final String NAMESPACE = "flush-it";

  private final Clock clock = Clock.systemUTC();
  private final RedisServerProcess redis = RedisServerProcess.builder().start();
  private final Closer resources = new Closer();
  private FakeAuthorizationServer server;

  /** The rotating server, its access tokens living {@code ttl}. */
  private FakeAuthorizationServer start(Duration ttl) {
    server =
        FakeAuthorizationServer.builder()
            .rotationMode(RotationMode.ROTATE_REVOKE_FAMILY_ON_REUSE)
            .accessTokenTtl(ttl)
            .latency(FleetSettings.SERVER_LATENCY)
            .start();
    return server;
  }

  @AfterEach
  void tearDown() throws Exception {
    resources.close();
    if (server != null) {
      server.close();
    }
    redis.close();
  }

  private TokenSet newLogin() {
    return FakeServers.tokenSet(server.issueTokens("read"), clock.instant());
  }

  private void awaitRefreshes(long atLeast) {
    await()
        .atMost(Duration.ofSeconds(60))
        .pollInterval(Duration.ofMillis(20))
        .until(
            () -> server.stats().refreshEvents() >= atLeast || server.stats().invalidGrants() > 0);
  }

  private static void print(String what, ServerStats stats) {
    System.out.printf(
        "RecordFlushIT %s: %d token requests, %d refresh events, %d reuse detections, %d"
            + " invalid_grant, %d families revoked%n",
        what,
        stats.tokenRequests(),
        stats.refreshEvents(),
        stats.reuseDetections(),
        stats.invalidGrants(),
        stats.familiesRevoked());
  }

  @Test
  void flushallUnderLoad_thenANewLogin_everyWorkerMovesToItAndNothingIsPresentedTwice()
      throws Exception {
    start(FleetSettings.TOKEN_TTL);
    List<TokenCoordinator> workers =
        FleetSettings.workers(redis.uri(), NAMESPACE, server, WORKERS, resources);
    workers.get(0).seed(newLogin()).join();
    List<CallerLoad> loads = FleetSettings.loads(workers, CALLERS_PER_WORKER, clock, server);
    AccessToken reseeded;
    try {
      awaitRefreshes(3);
      assertThat(redis.command("FLUSHALL")).isEqualTo("+OK");
      // A refresh in flight may write its rotation back (version 1); the login lands on top of
      // it, or first and the rotation is then dropped. Either way the login is what is stored.
      reseeded = workers.get(1).seed(newLogin()).join();
      long refreshed = server.stats().refreshEvents();
      awaitRefreshes(refreshed + 3);
    } finally {
      loads.forEach(CallerLoad::close);
    }
    ServerStats stats = FakeServers.awaitEveryRequestARefresh(server);
    print("under load", stats);
    assertThat(stats.reuseDetections()).isZero();
    assertThat(stats.invalidGrants()).isZero();
    assertThat(stats.familiesRevoked()).isZero();
    for (CallerLoad load : loads) {
      assertThat(load.expiredServed()).as("tokens the server did not hold valid").isZero();
      // Between the flush and the login a worker whose token ran out finds no credential.
      assertThat(load.errors().keySet()).isSubsetOf(Set.of("CredentialNotFoundException"));
    }
    for (TokenCoordinator worker : workers) {
      // every worker serves the login's family now, whatever version it cached before
      AccessToken token = worker.token();
      assertThat(server.isAccessTokenValid(token.value())).isTrue();
      assertThat(token.version()).isLessThan(reseeded.version() + 20);
    }
  }

  @Test
  void flushallWhileTheHolderSends_itsRotationIsWrittenBack_thenALoginIsAdoptedByAll()
      throws Exception {
    // Tokens that outlive the test: every refresh here is one the test asked for.
    start(Duration.ofMinutes(10));
    List<TokenCoordinator> workers =
        FleetSettings.workers(redis.uri(), NAMESPACE, server, 2, resources);
    TokenCoordinator holder = workers.get(0);
    TokenCoordinator other = workers.get(1);
    holder
        .seed(
            newLogin().toBuilder()
                .issuedAt(clock.instant().minusSeconds(60))
                .expiresAt(clock.instant().minusSeconds(1))
                .build())
        .join();
    // The server rotates at once and answers a second later: the request is in flight.
    server.enqueue(Fault.delayAfterProcessing(Duration.ofSeconds(1)));
    CompletableFuture<AccessToken> sending = holder.tokenAsync();
    await().atMost(Duration.ofSeconds(30)).until(() -> server.stats().tokenRequests() == 1);

    assertThat(redis.command("FLUSHALL")).isEqualTo("+OK");

    AccessToken writtenBack = sending.get();
    assertThat(writtenBack.version()).isEqualTo(1);
    AccessToken adopted = other.tokenAsync().get();
    assertThat(adopted.value()).isEqualTo(writtenBack.value());
    assertThat(server.isAccessTokenValid(adopted.value())).isTrue();

    // An operator's new login: the other worker adopts it at once, through the change feed.
    AccessToken login = holder.seed(newLogin()).join();
    await()
        .atMost(Duration.ofSeconds(30))
        .untilAsserted(() -> assertThat(other.accessToken()).isEqualTo(login.value()));
    ServerStats stats = server.stats();
    print("mid-refresh", stats);
    assertThat(stats.tokenRequests()).isEqualTo(1);
    assertThat(stats.refreshEvents()).isEqualTo(1);
    assertThat(stats.reuseDetections()).isZero();
    assertThat(stats.invalidGrants()).isZero();
  }
}

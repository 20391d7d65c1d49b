package dev.tokenherd.coordinator.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.tokenherd.TokenHerd;
import dev.tokenherd.coordinator.AccessToken;
import dev.tokenherd.coordinator.RefreshPolicy;
import dev.tokenherd.coordinator.TokenCoordinator;
import dev.tokenherd.coordinator.TokenKey;
import dev.tokenherd.coordinator.memory.InMemoryChangeFeed;
import dev.tokenherd.coordinator.memory.InMemoryRefreshLock;
import dev.tokenherd.coordinator.memory.InMemoryTokenStore;
import dev.tokenherd.coordinator.testing.FakeServers;
import dev.tokenherd.testkit.FakeAuthorizationServer;
import dev.tokenherd.testkit.RotationMode;
import dev.tokenherd.testkit.ServerStats;
import dev.tokenherd.testkit.TokenGrant;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A fleet in one JVM, on real time and real HTTP: 8 workers (each its own herd, token endpoint and
 * HttpClient) x 32 caller threads against a fake authorization server that rotates refresh tokens
 * and revokes the family on reuse, with 1 s access tokens and ~125 ms latency, across 20 expiries.
 *
 * <p>The second test removes the shared store, lock and feed and shows that the same checks then
 * fail: each worker refreshes on its own, presents a rotated refresh token, and the server detects
 * reuse and revokes the family.
 */
final class InJvmFleetTest {
  private static final TokenKey KEY = TokenKey.of("fleet-api");
  private static final int WORKERS = 8;
  private static final int CALLERS_PER_WORKER = 32;
  private static final int EXPIRIES = 20;
  private static final Clock CLOCK = Clock.systemUTC();

  // The fake server counts milliseconds from when it answers: its 1 s tokens need no whole-second
  // precision (with it they could not be served at all).
  private static final RefreshPolicy POLICY =
      Loopback.shortBackoffs()
          .expiryPrecision(Duration.ZERO)
          .endpointTimeout(Duration.ofSeconds(2))
          .leaseTime(Duration.ofSeconds(4))
          .waitTimeout(Duration.ofSeconds(10))
          .build();

  private final FakeAuthorizationServer server =
      FakeAuthorizationServer.builder()
          .rotationMode(RotationMode.ROTATE_REVOKE_FAMILY_ON_REUSE)
          .accessTokenTtl(Duration.ofSeconds(1))
          .latency(Duration.ofMillis(125))
          .start();
  private final List<TokenHerd> herds = new ArrayList<>();
  private final ExecutorService callers =
      Executors.newFixedThreadPool(WORKERS * CALLERS_PER_WORKER);

  @AfterEach
  void tearDown() throws InterruptedException {
    callers.shutdownNow();
    callers.awaitTermination(10, TimeUnit.SECONDS);
    herds.forEach(TokenHerd::close);
    server.close();
  }

  @Test
  void sharedRoles_8WorkersX32Callers_sendOneRequestPerRefreshAndServeOnlyValidTokens() {
    InMemoryChangeFeed feed = new InMemoryChangeFeed();
    InMemoryTokenStore store = new InMemoryTokenStore(feed);
    InMemoryRefreshLock lock = new InMemoryRefreshLock(CLOCK);
    List<TokenCoordinator> workers = new ArrayList<>();
    for (int i = 0; i < WORKERS; i++) {
      workers.add(
          herd(TokenHerd.builder().tokenStore(store).refreshLock(lock).changeFeed(feed), i)
              .coordinator(KEY, Loopback.endpoint(server)));
    }
    workers.get(0).seed(seedTokens()).join();

    Run run = new Run(workers, CALLERS_PER_WORKER);
    run.until(() -> server.stats().refreshEvents() >= EXPIRIES, Duration.ofSeconds(45));
    herds.forEach(TokenHerd::close);

    ServerStats stats = FakeServers.awaitEveryRequestARefresh(server);
    assertThat(stats.refreshEvents()).isGreaterThanOrEqualTo(EXPIRIES);
    assertThat(stats.reuseDetections()).isZero();
    assertThat(stats.familiesRevoked()).isZero();
    assertThat(stats.invalidGrants()).isZero();
    assertThat(run.errors).isEmpty();
    assertThat(run.expiredServes).isEmpty();
    assertThat(run.served.sum()).isGreaterThan(WORKERS * CALLERS_PER_WORKER * (long) EXPIRIES);
    assertThat(workers.stream().mapToLong(w -> w.stats().tokenRequests()).sum())
        .isEqualTo(stats.tokenRequests());
  }

  @Test
  void withoutSharedRoles_eachWorkerRefreshesAlone_andTheServerDetectsReuse() {
    List<TokenCoordinator> workers = new ArrayList<>();
    for (int i = 0; i < WORKERS; i++) {
      workers.add(herd(TokenHerd.builder(), i).coordinator(KEY, Loopback.endpoint(server)));
    }
    TokenGrant grant = server.issueTokens("read");
    Instant now = CLOCK.instant();
    workers.forEach(w -> w.seed(FakeServers.tokenSet(grant, now, grant.expiresAt())).join());

    Run run = new Run(workers, 4);
    run.until(() -> server.stats().reuseDetections() > 0, Duration.ofSeconds(15));

    ServerStats stats = server.stats();
    assertThat(stats.reuseDetections()).isPositive();
    assertThat(stats.familiesRevoked()).isEqualTo(1);
    assertThat(stats.tokenRequests()).isGreaterThan(stats.refreshEvents());
  }

  private TokenHerd herd(TokenHerd.Builder builder, int worker) {
    TokenHerd herd =
        builder.clock(CLOCK).refreshPolicy(POLICY).workerId("worker-" + worker).build();
    herds.add(herd);
    return herd;
  }

  private dev.tokenherd.coordinator.TokenSet seedTokens() {
    TokenGrant grant = server.issueTokens("read");
    return FakeServers.tokenSet(grant, CLOCK.instant(), grant.expiresAt());
  }

  /** Caller threads hammering their workers until told to stop, checking every token served. */
  private final class Run {
    final LongAdder served = new LongAdder();
    final Queue<Throwable> errors = new ConcurrentLinkedQueue<>();
    final Queue<String> expiredServes = new ConcurrentLinkedQueue<>();
    private volatile boolean stopped;

    Run(List<TokenCoordinator> workers, int callersPerWorker) {
      for (TokenCoordinator worker : workers) {
        for (int i = 0; i < callersPerWorker; i++) {
          callers.execute(() -> call(worker));
        }
      }
    }

    private void call(TokenCoordinator worker) {
      while (!stopped) {
        Instant asked = CLOCK.instant();
        try {
          AccessToken token = worker.token();
          served.increment();
          // I4: the token must have been valid, by the server's own ledger, when it was asked for;
          // the engine also stops serving it a skew before the expiry it computed.
          if (!server.isAccessTokenValid(token.value(), asked)
              || !token.expiresAt().isAfter(asked)) {
            expiredServes.add(token + " asked at " + asked);
          }
        } catch (RuntimeException e) {
          if (!stopped) {
            errors.add(e);
          }
        }
        LockSupport.parkNanos(
            TimeUnit.MILLISECONDS.toNanos(ThreadLocalRandom.current().nextInt(1, 6)));
      }
    }

    void until(BooleanSupplier done, Duration timeout) {
      try {
        await().atMost(timeout).pollInterval(Duration.ofMillis(50)).until(done::getAsBoolean);
      } finally {
        stopped = true;
      }
    }
  }
}

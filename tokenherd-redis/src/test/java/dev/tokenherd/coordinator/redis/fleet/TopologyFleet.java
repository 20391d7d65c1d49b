package dev.tokenherd.coordinator.redis.fleet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.tokenherd.coordinator.TokenCoordinator;
import dev.tokenherd.coordinator.redis.RedisBackend;
import dev.tokenherd.coordinator.testing.FakeServers;
import dev.tokenherd.testkit.Closer;
import dev.tokenherd.testkit.FakeAuthorizationServer;
import dev.tokenherd.testkit.ServerStats;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.function.UnaryOperator;

/**
 * A fleet on one Redis topology for the Cluster and Sentinel suites: a rotating server (reuse
 * detection revokes the family), {@value #WORKERS} independent workers aimed at the topology as a
 * user configures them, {@value #CALLERS} callers each, and the ledger checks. Judged by the
 * server's records, never by the library's own counters (except to see that a refresh was held back
 * for want of replicas).
 */
final class TopologyFleet implements AutoCloseable {
  static final int WORKERS = 3;
  static final int CALLERS = 8;

  /** The typed, retryable errors a caller may get while a topology has no master to write to. */
  static final List<String> OUTAGE_ERRORS =
      List.of("StoreUnavailableException", "RefreshTimeoutException", "TransientRefreshException");

  final FakeAuthorizationServer server;
  final List<TokenCoordinator> workers;
  final List<CallerLoad> loads;
  private final String suite;
  private final Closer resources = new Closer();

  /**
   * Starts the server (tokens of {@code ttl}), the workers on {@code redis} in {@code namespace},
   * seeds the credential and starts the callers.
   */
  TopologyFleet(
      String suite, Duration ttl, String namespace, UnaryOperator<RedisBackend.Builder> redis) {
    this.suite = suite;
    Clock clock = Clock.systemUTC();
    this.server = resources.add(FleetSettings.rotatingServer(ttl).start());
    this.workers =
        FleetSettings.workers(redis, namespace, server, WORKERS, FleetSettings.policy(), resources);
    workers.get(0).seed(FakeServers.tokenSet(server.issueTokens("read"), clock.instant())).join();
    this.loads = FleetSettings.loads(workers, CALLERS, clock, server);
    loads.forEach(resources::add);
  }

  /** The refresh events the server recorded so far. */
  long refreshes() {
    return server.stats().refreshEvents();
  }

  /** Waits until the server recorded at least {@code atLeast} refresh events. */
  void awaitRefreshes(long atLeast) {
    await()
        .atMost(Duration.ofMinutes(2))
        .pollInterval(Duration.ofMillis(50))
        .until(() -> refreshes() >= atLeast);
  }

  /** Waits until the callers were served {@code more} tokens (or got typed errors). */
  void awaitCalls(long more) {
    long from = calls();
    await().atMost(Duration.ofMinutes(1)).until(() -> calls() >= from + more);
  }

  /** Writes confirmed by fewer replicas than asked, over all workers. */
  long underReplicated() {
    return workers.stream().mapToLong(w -> w.stats().underReplicatedWrites()).sum();
  }

  private long calls() {
    return loads.stream().mapToLong(CallerLoad::calls).sum();
  }

  /** Stops the callers, prints what the server recorded and returns it. */
  ServerStats stop(String what) {
    loads.forEach(CallerLoad::close);
    ServerStats stats = server.stats();
    System.out.printf(
        "%s %s: %d calls, errors %s, %d token requests, %d refresh events, %d reuse detections,"
            + " %d invalid_grant, %d families revoked%n",
        suite,
        what,
        calls(),
        loads.stream().map(CallerLoad::errors).toList(),
        stats.tokenRequests(),
        stats.refreshEvents(),
        stats.reuseDetections(),
        stats.invalidGrants(),
        stats.familiesRevoked());
    return stats;
  }

  /**
   * Checks, by the server's ledger, that every request was a refresh and no refresh token was
   * presented twice, and that no caller got a token the server held expired or any error but a
   * typed, retryable one during an outage.
   */
  void assertNothingPresentedTwice(ServerStats stopped) {
    ServerStats stats = FakeServers.awaitEveryRequestARefresh(server);
    assertThat(stats.tokenRequests()).isEqualTo(stopped.tokenRequests());
    assertThat(stats.reuseDetections()).as("refresh tokens presented twice").isZero();
    assertThat(stats.invalidGrants()).isZero();
    assertThat(stats.familiesRevoked()).isZero();
    for (CallerLoad load : loads) {
      assertThat(load.expiredServed()).as("tokens the server held expired").isZero();
      assertThat(load.calls()).isPositive();
      assertThat(load.errors().keySet()).isSubsetOf(OUTAGE_ERRORS);
    }
  }

  @Override
  public void close() throws Exception {
    resources.close();
  }
}

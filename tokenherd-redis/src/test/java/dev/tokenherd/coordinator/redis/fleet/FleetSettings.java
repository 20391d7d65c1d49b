package dev.tokenherd.coordinator.redis.fleet;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tokenherd.TokenHerd;
import dev.tokenherd.coordinator.Backoff;
import dev.tokenherd.coordinator.RefreshPolicy;
import dev.tokenherd.coordinator.TokenCoordinator;
import dev.tokenherd.coordinator.TokenKey;
import dev.tokenherd.coordinator.oauth2.OAuth2TokenEndpoint;
import dev.tokenherd.coordinator.redis.RedisBackend;
import dev.tokenherd.coordinator.testing.FakeServers;
import dev.tokenherd.testkit.Closer;
import dev.tokenherd.testkit.FakeAuthorizationServer;
import dev.tokenherd.testkit.RotationMode;
import dev.tokenherd.testkit.ServerStats;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;

/** What the fleet tests share: one credential, short tokens, short backoffs. */
final class FleetSettings {
  /** The shared credential. */
  static final TokenKey KEY = TokenKey.of("fleet-api");

  /** Lifetime of the fake server's access tokens: an expiry a second. */
  static final Duration TOKEN_TTL = Duration.ofSeconds(1);

  /** The fake server's latency, long enough for every worker to pile onto an expiry. */
  static final Duration SERVER_LATENCY = Duration.ofMillis(100);

  /** How many consecutive expiries a fleet test runs through. */
  static final int EXPIRIES = 20;

  private FleetSettings() {}

  /** The rotating server (family revoked on reuse) with {@link #SERVER_LATENCY}, tokens of ttl. */
  static FakeAuthorizationServer.Builder rotatingServer(Duration ttl) {
    return FakeAuthorizationServer.builder()
        .rotationMode(RotationMode.ROTATE_REVOKE_FAMILY_ON_REUSE)
        .accessTokenTtl(ttl)
        .latency(SERVER_LATENCY);
  }

  /**
   * Short retries and polls, a lease well above the endpoint timeout, and an expiry precision of
   * zero: the fake server counts lifetimes to the millisecond from when it answers (unless told
   * otherwise), and its 1 s tokens could not be served at all with the default whole second.
   */
  static RefreshPolicy policy() {
    return RefreshPolicy.builder()
        .expiryPrecision(Duration.ZERO)
        .retryBackoff(new Backoff(Duration.ofMillis(20), Duration.ofMillis(200), 2.0, 0.5))
        .pollBackoff(new Backoff(Duration.ofMillis(5), Duration.ofMillis(50), 2.0, 0.2))
        .endpointTimeout(Duration.ofSeconds(2))
        .leaseTime(Duration.ofSeconds(4))
        .waitTimeout(Duration.ofSeconds(10))
        .build();
  }

  /** A worker's own token endpoint client (its own HttpClient). */
  static OAuth2TokenEndpoint endpoint(URI tokenUri, String clientId, String clientSecret) {
    return OAuth2TokenEndpoint.builder()
        .tokenUri(tokenUri)
        .clientId(clientId)
        .clientSecret(clientSecret)
        .build();
  }

  /**
   * Waits until every token request the server received became a refresh event (a refresh still in
   * flight when the callers stopped is counted on receipt and processed after the server's
   * latency), checks the fleet's promise on the server's own counters, prints them and returns
   * them.
   */
  static ServerStats assertOneRequestPerRefresh(
      FakeAuthorizationServer server, String fleet, long calls) {
    ServerStats stats = FakeServers.awaitEveryRequestARefresh(server);
    System.out.printf(
        "%s: %d calls, %d refresh events, %d token requests, %d reuse detections%n",
        fleet, calls, stats.refreshEvents(), stats.tokenRequests(), stats.reuseDetections());
    assertThat(stats.refreshEvents()).isGreaterThanOrEqualTo(EXPIRIES);
    assertThat(stats.reuseDetections()).isZero();
    assertThat(stats.familiesRevoked()).isZero();
    assertThat(stats.invalidGrants()).isZero();
    return stats;
  }

  /**
   * Checks, by the server's own records, that every caller was served and never a token the server
   * held expired, no call failed, and no refresh token was presented twice.
   */
  static void assertOnlyValidTokensServed(List<CallerLoad> loads, ServerStats stats) {
    for (CallerLoad load : loads) {
      assertThat(load.calls()).isPositive();
      assertThat(load.expiredServed()).as("tokens the server held expired").isZero();
      assertThat(load.errors()).isEmpty();
    }
    assertThat(stats.reuseDetections()).isZero();
    assertThat(stats.invalidGrants()).isZero();
    assertThat(stats.familiesRevoked()).isZero();
  }

  /**
   * Starts {@code count} independent workers on {@code redis}: each its own Redis clients and herd,
   * all on {@link #KEY} against {@code server}; what must be closed is added to {@code resources}.
   */
  static List<TokenCoordinator> workers(
      URI redis, String namespace, FakeAuthorizationServer server, int count, Closer resources) {
    return workers(redis, namespace, server, count, policy(), resources);
  }

  /** Starts {@code count} independent workers as above, with {@code policy}. */
  static List<TokenCoordinator> workers(
      URI redis,
      String namespace,
      FakeAuthorizationServer server,
      int count,
      RefreshPolicy policy,
      Closer resources) {
    return workers(b -> b.uri(redis.toString()), namespace, server, count, policy, resources);
  }

  /**
   * Starts {@code count} independent workers as above, each with a backend that {@code redis} aims
   * at its Redis deployment (a URI, a Sentinel group, a cluster) and configures.
   */
  static List<TokenCoordinator> workers(
      UnaryOperator<RedisBackend.Builder> redis,
      String namespace,
      FakeAuthorizationServer server,
      int count,
      RefreshPolicy policy,
      Closer resources) {
    List<TokenCoordinator> workers = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      RedisBackend backend = redis.apply(RedisBackend.builder().namespace(namespace)).build();
      resources.add(backend);
      TokenHerd herd =
          backend
              .configure(TokenHerd.builder())
              .refreshPolicy(policy)
              .workerId("worker-" + i)
              .build();
      resources.add(herd);
      workers.add(
          herd.coordinator(
              KEY,
              endpoint(
                  server.tokenEndpoint(),
                  server.clientId(),
                  FakeAuthorizationServer.DEFAULT_CLIENT_SECRET)));
    }
    return workers;
  }

  /** Closes {@code resources}, the last added first. */
  static void closeInReverse(List<AutoCloseable> resources) throws Exception {
    for (int i = resources.size() - 1; i >= 0; i--) {
      resources.get(i).close();
    }
  }

  /**
   * Starts {@code callers} caller threads on each worker; served tokens are checked by the server.
   */
  static List<CallerLoad> loads(
      List<TokenCoordinator> workers, int callers, Clock clock, FakeAuthorizationServer server) {
    List<CallerLoad> loads = new ArrayList<>();
    for (int i = 0; i < workers.size(); i++) {
      loads.add(
          new CallerLoad(
              "worker-" + i,
              workers.get(i),
              callers,
              clock,
              (token, asked) -> server.isAccessTokenValid(token.value(), asked)));
    }
    return loads;
  }
}

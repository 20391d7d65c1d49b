package dev.tokenherd.coordinator.redis;

import dev.tokenherd.TokenHerd;
import dev.tokenherd.coordinator.AccessToken;
import dev.tokenherd.coordinator.Backoff;
import dev.tokenherd.coordinator.RefreshPolicy;
import dev.tokenherd.coordinator.TokenCoordinator;
import dev.tokenherd.coordinator.TokenKey;
import dev.tokenherd.coordinator.TokenSet;
import dev.tokenherd.coordinator.oauth2.OAuth2TokenEndpoint;
import dev.tokenherd.coordinator.spi.TokenStore;
import dev.tokenherd.coordinator.testing.FakeServers;
import dev.tokenherd.testkit.FakeAuthorizationServer;
import dev.tokenherd.testkit.TokenGrant;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import java.util.stream.Collectors;

/**
 * One worker of a test fleet, built the way a user builds one: its own {@link RedisBackend} from
 * the server's URI (so its own Lettuce and Redisson clients), its own {@link TokenHerd}, its own
 * {@link OAuth2TokenEndpoint} (own HttpClient) and a {@link TimedListener}.
 */
final class FleetWorker implements AutoCloseable {
  static final TokenKey KEY = TokenKey.of("fleet-api");
  static final Clock CLOCK = Clock.systemUTC();

  final String id;
  final RedisBackend backend;
  final TokenHerd herd;
  final TokenCoordinator coordinator;
  final TimedListener events = new TimedListener();

  private FleetWorker(
      String id,
      RedisBackend.Builder redis,
      FakeAuthorizationServer server,
      RefreshPolicy policy,
      UnaryOperator<TokenStore> store) {
    this.id = id;
    this.backend = redis.commandTimeout(Duration.ofSeconds(1)).build();
    TokenHerd.Builder builder = backend.configure(TokenHerd.builder());
    this.herd =
        builder
            .tokenStore(store.apply(backend.tokenStore()))
            .clock(CLOCK)
            .refreshPolicy(policy)
            .listener(events)
            .workerId(id)
            .build();
    this.coordinator = herd.coordinator(KEY, endpoint(server));
  }

  /** Starts a worker on the default namespace with the store the backend made. */
  static FleetWorker start(
      String id, URI redis, FakeAuthorizationServer server, RefreshPolicy policy) {
    return start(id, redis, RedisKeys.DEFAULT_NAMESPACE, server, policy);
  }

  /**
   * Starts a worker on the backend {@code backend} builds (a Sentinel group, a cluster, TLS), with
   * a 1 s command timeout.
   */
  static FleetWorker start(
      String id,
      RedisBackend.Builder backend,
      FakeAuthorizationServer server,
      RefreshPolicy policy) {
    return new FleetWorker(id, backend, server, policy, UnaryOperator.identity());
  }

  /** Starts a worker whose store is {@code store} applied to the backend's store. */
  static FleetWorker start(
      String id,
      URI redis,
      FakeAuthorizationServer server,
      RefreshPolicy policy,
      UnaryOperator<TokenStore> store) {
    return new FleetWorker(id, uri(redis, RedisKeys.DEFAULT_NAMESPACE), server, policy, store);
  }

  /** Starts a worker under {@code namespace}. */
  static FleetWorker start(
      String id,
      URI redis,
      String namespace,
      FakeAuthorizationServer server,
      RefreshPolicy policy) {
    return new FleetWorker(id, uri(redis, namespace), server, policy, UnaryOperator.identity());
  }

  private static RedisBackend.Builder uri(URI redis, String namespace) {
    return RedisBackend.builder().uri(redis.toString()).namespace(namespace);
  }

  /**
   * Starts {@code count} workers in parallel (each Redisson client takes a while to connect), named
   * {@code worker-0}...
   */
  static List<FleetWorker> startAll(
      int count, URI redis, FakeAuthorizationServer server, RefreshPolicy policy) {
    List<CompletableFuture<FleetWorker>> starting = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      String id = "worker-" + i;
      starting.add(CompletableFuture.supplyAsync(() -> start(id, redis, server, policy)));
    }
    return starting.stream().map(CompletableFuture::join).collect(Collectors.toList());
  }

  /** The token endpoint of one worker: client_secret_basic over loopback HTTP. */
  static OAuth2TokenEndpoint endpoint(FakeAuthorizationServer server) {
    return FakeServers.endpointBuilder(server).allowInsecureHttp(true).build();
  }

  /**
   * A policy for real-time fleet tests: a 200 ms expiry skew, retries 20-200 ms apart, store
   * re-reads 5-50 ms apart while another worker refreshes; lease and timeouts are the caller's. No
   * whole-second expiry precision: the fake server counts milliseconds, and its 1 s tokens would
   * otherwise be served for half a second only.
   */
  static RefreshPolicy.Builder shortPolicy() {
    return RefreshPolicy.builder()
        .expiryPrecision(Duration.ZERO)
        .expirySkew(Duration.ofMillis(200))
        .retryBackoff(new Backoff(Duration.ofMillis(20), Duration.ofMillis(200), 2.0, 0.5))
        .pollBackoff(new Backoff(Duration.ofMillis(5), Duration.ofMillis(50), 2.0, 0.2));
  }

  /** The token set a login that produced {@code grant} would seed now. */
  static TokenSet tokens(TokenGrant grant) {
    return tokens(grant, grant.expiresAt());
  }

  /** The token set of {@code grant}, issued an hour ago and expiring at {@code expiresAt}. */
  static TokenSet tokens(TokenGrant grant, Instant expiresAt) {
    Instant now = CLOCK.instant();
    return FakeServers.tokenSet(
        grant,
        expiresAt.isAfter(now) ? now.minus(Duration.ofHours(1)) : expiresAt.minusSeconds(1),
        expiresAt);
  }

  /** Seeds {@code tokens} through this worker and returns the token it then serves. */
  AccessToken seed(TokenSet tokens) {
    try {
      return coordinator.seed(tokens).get(5, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new IllegalStateException("seeding through " + id + " failed", e);
    }
  }

  /** Returns this worker's change feed, whose subscription state tests await. */
  RedisChangeFeed feed() {
    return (RedisChangeFeed) backend.changeFeed();
  }

  /** Stops the herd, then the backend (and with it the clients it created). */
  @Override
  public void close() {
    try {
      herd.close();
    } finally {
      backend.close();
    }
  }

  /** Closes every worker, in parallel. */
  static void closeAll(List<FleetWorker> workers) {
    workers.stream()
        .map(w -> CompletableFuture.runAsync(w::close))
        .collect(Collectors.toList())
        .forEach(CompletableFuture::join);
  }

  @Override
  public String toString() {
    return "FleetWorker[" + id + "]";
  }
}

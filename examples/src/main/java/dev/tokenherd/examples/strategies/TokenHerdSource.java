package dev.tokenherd.examples.strategies;

import dev.tokenherd.TokenHerd;
import dev.tokenherd.coordinator.Backoff;
import dev.tokenherd.coordinator.RefreshListener;
import dev.tokenherd.coordinator.RefreshPolicy;
import dev.tokenherd.coordinator.Renewal;
import dev.tokenherd.coordinator.TokenCoordinator;
import dev.tokenherd.coordinator.TokenKey;
import dev.tokenherd.coordinator.redis.RedisBackend;
import dev.tokenherd.coordinator.spi.TokenEndpoint;
import java.time.Duration;

/**
 * Tokenherd: a {@link RedisBackend} (store, fenced lock, change feed) and one {@link TokenHerd} per
 * pod; callers call {@link TokenCoordinator#accessToken()}.
 */
public final class TokenHerdSource implements TokenSource {
  /**
   * The demo's policy: the defaults, with store polls and retries short enough for 1-3 s tokens,
   * and no whole-second expiry precision: the demo's fake server counts milliseconds from when it
   * answers (a real server usually counts whole seconds: keep the default 1 s there).
   */
  public static final RefreshPolicy POLICY =
      RefreshPolicy.builder()
          .expiryPrecision(Duration.ZERO)
          .waitTimeout(Duration.ofSeconds(10))
          .leaseTime(Duration.ofSeconds(10))
          .endpointTimeout(Duration.ofSeconds(5))
          .retryBackoff(new Backoff(Duration.ofMillis(50), Duration.ofMillis(500), 2.0, 0.5))
          .pollBackoff(new Backoff(Duration.ofMillis(5), Duration.ofMillis(100), 2.0, 0.2))
          .build();

  /**
   * The demo's policy with a lease of {@code lease} (the chaos runs use a short one, so that a dead
   * holder's lease ends well within a token's lifetime, as an hour-long token's does) and an
   * endpoint timeout of half of it.
   *
   * @param lease the lease
   * @return the policy
   */
  public static RefreshPolicy policyWithLease(Duration lease) {
    Duration half = lease.dividedBy(2);
    return POLICY.toBuilder()
        .leaseTime(lease)
        .endpointTimeout(
            half.compareTo(POLICY.endpointTimeout()) < 0 ? half : POLICY.endpointTimeout())
        .build();
  }

  private final RedisBackend backend;
  private final TokenHerd herd;
  private final TokenCoordinator coordinator;

  /**
   * Creates the pod's herd.
   *
   * @param redisUri the shared Redis
   * @param namespace the Redis namespace of the demo's keys
   * @param key the credential
   * @param endpoint the token endpoint client
   * @param workerId this pod's identity, recorded with its writes
   */
  public TokenHerdSource(
      String redisUri, String namespace, TokenKey key, TokenEndpoint endpoint, String workerId) {
    this(redisUri, namespace, key, endpoint, workerId, POLICY, RefreshListener.NONE);
  }

  /**
   * Creates the pod's herd with its own policy and listener; the fleet benchmark uses this to run
   * Tokenherd with refresh-ahead as good as off and to time the holder's refreshes.
   *
   * @param redisUri the shared Redis
   * @param namespace the Redis namespace of the demo's keys
   * @param key the credential
   * @param endpoint the token endpoint client
   * @param workerId this pod's identity, recorded with its writes
   * @param policy when to refresh, how long to wait
   * @param listener receives this pod's refresh events, on the herd's executor
   */
  public TokenHerdSource(
      String redisUri,
      String namespace,
      TokenKey key,
      TokenEndpoint endpoint,
      String workerId,
      RefreshPolicy policy,
      RefreshListener listener) {
    this(
        RedisBackend.builder().uri(redisUri).namespace(namespace),
        key,
        endpoint,
        workerId,
        policy,
        listener);
  }

  /**
   * Creates the pod's herd on a backend the caller has aimed (a Redis Cluster's seed nodes, say);
   * the fleet benchmark uses this to run the same pods against a standalone Redis and a cluster.
   *
   * @param redis the backend's builder, with its Redis and namespace set; built here, and closed
   *     with this source
   * @param key the credential
   * @param endpoint the token endpoint client
   * @param workerId this pod's identity, recorded with its writes
   * @param policy when to refresh, how long to wait
   * @param listener receives this pod's refresh events, on the herd's executor
   */
  public TokenHerdSource(
      RedisBackend.Builder redis,
      TokenKey key,
      TokenEndpoint endpoint,
      String workerId,
      RefreshPolicy policy,
      RefreshListener listener) {
    this(redis, key, endpoint, Renewal.refreshToken(), workerId, policy, listener);
  }

  /**
   * Creates the pod's herd with its own renewal; the demo's run against a user's own authorization
   * server uses this to request the scopes the user named on every refresh.
   *
   * @param redis the backend's builder, with its Redis and namespace set; built here, and closed
   *     with this source
   * @param key the credential
   * @param endpoint the token endpoint client
   * @param renewal the grant and the scopes of each refresh
   * @param workerId this pod's identity, recorded with its writes
   * @param policy when to refresh, how long to wait
   * @param listener receives this pod's refresh events, on the herd's executor
   */
  public TokenHerdSource(
      RedisBackend.Builder redis,
      TokenKey key,
      TokenEndpoint endpoint,
      Renewal renewal,
      String workerId,
      RefreshPolicy policy,
      RefreshListener listener) {
    this.backend = redis.build();
    this.herd =
        backend
            .configure(TokenHerd.builder())
            .refreshPolicy(policy)
            .listener(listener)
            .workerId(workerId)
            .build();
    this.coordinator = herd.coordinator(key, endpoint, renewal);
  }

  /** Returns the pod's coordinator. */
  public TokenCoordinator coordinator() {
    return coordinator;
  }

  @Override
  public String accessToken() {
    return coordinator.accessToken();
  }

  @Override
  public void close() {
    herd.close();
    backend.close();
  }
}

package dev.tokenherd.benchmarks;

import static java.util.Objects.requireNonNull;

import dev.tokenherd.TokenHerd;
import dev.tokenherd.coordinator.TokenKey;
import dev.tokenherd.coordinator.oauth2.OAuth2TokenEndpoint;
import dev.tokenherd.coordinator.redis.RedisBackend;
import dev.tokenherd.examples.strategies.SharedToken;
import dev.tokenherd.testkit.TokenGrant;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import java.net.URI;
import java.time.Duration;
import java.time.Instant;

/**
 * What one cell's fleet works against: the shared Redis (one server or a cluster), a fresh fake
 * authorization server and a fresh key namespace. Tokenherd keeps its record under {@code
 * namespace:{K}:…}; the peers keep theirs in the plain hash {@link #peerHash()}, as in the fleet
 * demo.
 *
 * @param redis the Redis
 * @param tokenUri the fake server's token endpoint
 * @param clientId the client identifier
 * @param clientSecret the client secret
 * @param namespace the key namespace of this cell
 */
record FleetTarget(
    FleetRedis redis, URI tokenUri, String clientId, String clientSecret, String namespace) {
  /** The one credential the fleet shares. */
  static final TokenKey KEY = TokenKey.of("bench-api");

  FleetTarget {
    requireNonNull(redis, "redis");
    requireNonNull(tokenUri, "tokenUri");
    requireNonNull(clientId, "clientId");
    requireNonNull(clientSecret, "clientSecret");
    requireNonNull(namespace, "namespace");
  }

  /** Returns this target with the pod's clients connecting to {@code redis} instead. */
  FleetTarget withRedis(FleetRedis other) {
    return new FleetTarget(other, tokenUri, clientId, clientSecret, namespace);
  }

  /** A backend builder aimed at this target's Redis and namespace. */
  RedisBackend.Builder backend() {
    return redis.connect(RedisBackend.builder()).namespace(namespace);
  }

  /**
   * The peers' Redis, {@code redis://host:port}.
   *
   * @throws IllegalStateException on a cluster, which the peers do not support
   */
  String peerRedisUri() {
    if (redis.topology() != FleetTopology.STANDALONE) {
      throw new IllegalStateException("the peers run on a standalone Redis only");
    }
    return redis.uri();
  }

  /** The peers' hash. */
  String peerHash() {
    return namespace + ":peer:{" + KEY.name() + "}";
  }

  /** A new token endpoint client with its own HttpClient, as each pod has. */
  OAuth2TokenEndpoint endpoint() {
    return OAuth2TokenEndpoint.builder()
        .tokenUri(tokenUri)
        .clientId(clientId)
        .clientSecret(clientSecret)
        .allowInsecureHttp(true) // the fake server listens on loopback, over plain http
        .build();
  }

  /** Stores {@code grant} where {@code strategy} reads it, as a user's login would. */
  void seed(FleetStrategy strategy, TokenGrant grant, Instant now) {
    if (strategy.isTokenHerd()) {
      try (RedisBackend backend = backend().build();
          TokenHerd herd = backend.configure(TokenHerd.builder()).workerId("seed").build()) {
        herd.coordinator(KEY, endpoint())
            .seed(dev.tokenherd.examples.Grants.tokenSet(grant, now))
            .join();
      }
      return;
    }
    SharedToken token =
        new SharedToken(
            grant.accessToken(),
            requireNonNull(grant.refreshToken(), "refreshToken"),
            grant.expiresAt());
    RedisClient client = RedisClient.create(peerRedisUri());
    try (StatefulRedisConnection<String, String> connection = client.connect()) {
      connection.sync().hset(peerHash(), token.toHash());
    } finally {
      client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
    }
  }
}

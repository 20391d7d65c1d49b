package dev.tokenherd.examples;

import static java.util.Objects.requireNonNull;

import dev.tokenherd.TokenHerd;
import dev.tokenherd.coordinator.TokenCoordinator;
import dev.tokenherd.coordinator.TokenKey;
import dev.tokenherd.coordinator.oauth2.OAuth2TokenEndpoint;
import dev.tokenherd.coordinator.redis.RedisBackend;
import dev.tokenherd.coordinator.redis.RedisKeys;
import dev.tokenherd.examples.strategies.SharedToken;
import dev.tokenherd.testkit.TokenGrant;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;

/**
 * What a fleet works against: the shared Redis, the token endpoint and the client's credentials,
 * and the namespace of the demo's keys. Tokenherd keeps its record under {@code namespace:{K}:…};
 * the peers keep theirs in the plain hash {@link #peerHash()}.
 *
 * @param redisUri the Redis, {@code redis://host:port}
 * @param tokenUri the token endpoint
 * @param clientId the client identifier
 * @param clientSecret the client secret
 * @param namespace the key namespace, {@code [A-Za-z0-9._-]{1,64}}
 */
record Target(
    String redisUri, URI tokenUri, String clientId, String clientSecret, String namespace) {
  /** The one credential the fleet shares. */
  static final TokenKey KEY = TokenKey.of("demo-api");

  /** The default namespace, used by the worker and fake-auth-server modes. */
  static final String DEFAULT_NAMESPACE = "fleet-demo";

  Target {
    requireNonNull(redisUri, "redisUri");
    requireNonNull(tokenUri, "tokenUri");
    requireNonNull(clientId, "clientId");
    requireNonNull(clientSecret, "clientSecret");
    RedisKeys.of(namespace); // validates
  }

  /** Names everything but the secrets (the client's, a Redis password), which no log may show. */
  @Override
  public String toString() {
    return "Target[redisUri="
        + redisUri.replaceFirst("//[^/@]*@", "//(redacted)@")
        + ", tokenUri="
        + tokenUri
        + ", clientId="
        + clientId
        + ", clientSecret=(redacted), namespace="
        + namespace
        + "]";
  }

  /** The peers' hash: {@code namespace:peer:{demo-api}}. */
  String peerHash() {
    return namespace + ":peer:{" + KEY.name() + "}";
  }

  /** What {@link #totalsHash()} adds to the namespace. */
  static final String TOTALS_SUFFIX = ":totals";

  /** Where worker processes add up their counters for the {@code totals} mode. */
  String totalsHash() {
    return namespace + TOTALS_SUFFIX;
  }

  /** A new token endpoint client with its own HttpClient, as each pod has. */
  OAuth2TokenEndpoint endpoint() {
    return OAuth2TokenEndpoint.builder()
        .tokenUri(tokenUri)
        .clientId(clientId)
        .clientSecret(clientSecret)
        // the compose fleet reaches the fake server by its service name, over plain http
        .allowInsecureHttp(true)
        .build();
  }

  /**
   * Stores the credential for every strategy, as a user's login would: {@code forHerd} as
   * Tokenherd's record (replacing whatever is stored), {@code forPeers} in the peers' hash. Two
   * grants, two token families, so the strategies never share a refresh token.
   */
  void seed(TokenGrant forHerd, TokenGrant forPeers) {
    seedHerd(forHerd);
    seedPeers(forPeers);
  }

  /**
   * Stores the credential for {@code strategy} alone, as a user's login would: a run of one
   * strategy needs no other token family (whose expiry would count as one of the run's).
   */
  void seed(Strategy strategy, TokenGrant grant) {
    if (strategy == Strategy.TOKENHERD) {
      seedHerd(grant);
    } else {
      seedPeers(grant);
    }
  }

  private void seedHerd(TokenGrant grant) {
    Instant now = Clock.systemUTC().instant();
    try (RedisBackend backend = RedisBackend.builder().uri(redisUri).namespace(namespace).build();
        TokenHerd herd = backend.configure(TokenHerd.builder()).workerId("seed").build()) {
      TokenCoordinator coordinator = herd.coordinator(KEY, endpoint());
      coordinator.seed(Grants.tokenSet(grant, now)).join();
    }
  }

  private void seedPeers(TokenGrant grant) {
    withRedis(
        redis ->
            redis
                .sync()
                .hset(
                    peerHash(),
                    new SharedToken(
                            grant.accessToken(),
                            requireNonNull(grant.refreshToken(), "refreshToken"),
                            grant.expiresAt())
                        .toHash()));
  }

  /** Returns whether a credential was seeded for {@code strategy}. */
  boolean isSeeded(Strategy strategy) {
    String key = strategy == Strategy.TOKENHERD ? RedisKeys.of(namespace).record(KEY) : peerHash();
    long[] exists = new long[1];
    withRedis(redis -> exists[0] = redis.sync().exists(key));
    return exists[0] > 0;
  }

  /** Reads the fleet totals the workers added up. */
  Map<String, String> totals() {
    java.util.concurrent.atomic.AtomicReference<Map<String, String>> totals =
        new java.util.concurrent.atomic.AtomicReference<>(Map.of());
    withRedis(redis -> totals.set(redis.sync().hgetall(totalsHash())));
    return requireNonNull(totals.get());
  }

  private void withRedis(java.util.function.Consumer<StatefulRedisConnection<String, String>> use) {
    RedisClient client = RedisClient.create(redisUri);
    try (StatefulRedisConnection<String, String> connection = client.connect()) {
      use.accept(connection);
    } finally {
      client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
    }
  }
}

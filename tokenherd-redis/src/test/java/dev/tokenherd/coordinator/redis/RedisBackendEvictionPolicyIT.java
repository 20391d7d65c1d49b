package dev.tokenherd.coordinator.redis;

import static dev.tokenherd.coordinator.redis.FleetWorker.KEY;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.tokenherd.TokenHerd;
import dev.tokenherd.coordinator.AccessToken;
import dev.tokenherd.coordinator.RefreshPolicy;
import dev.tokenherd.coordinator.TokenCoordinator;
import dev.tokenherd.testkit.Closer;
import dev.tokenherd.testkit.FakeAuthorizationServer;
import dev.tokenherd.testkit.RedisBinary;
import dev.tokenherd.testkit.RedisServerProcess;
import dev.tokenherd.testkit.RotationMode;
import dev.tokenherd.testkit.TokenGrant;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.api.StatefulRedisConnection;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.redisson.api.RedissonClient;

/**
 * {@link RedisBackend.Builder#build()} against real servers with each {@code maxmemory-policy}: it
 * refuses every policy that can evict Tokenherd's keys (the lock's TTL is its lease; {@code
 * allkeys-*} takes anything), accepts {@code noeviction} and an explicitly accepted policy (with
 * one warning), and starts with one warning where {@code CONFIG GET} is denied.
 */
final class RedisBackendEvictionPolicyIT {
  private static final String PASSWORD = "pw-Ev1ct-secret";

  /** Every policy Redis 7 knows besides {@code noeviction}. */
  private static final List<String> EVICTING =
      List.of(
          "volatile-lru",
          "volatile-lfu",
          "volatile-random",
          "volatile-ttl",
          "allkeys-lru",
          "allkeys-lfu",
          "allkeys-random");

  private static final RefreshPolicy POLICY =
      FleetWorker.shortPolicy()
          .leaseTime(Duration.ofSeconds(2))
          .endpointTimeout(Duration.ofSeconds(1))
          .waitTimeout(Duration.ofSeconds(3))
          .build();

  private final FakeAuthorizationServer server =
      FakeAuthorizationServer.builder()
          .rotationMode(RotationMode.ROTATE_REVOKE_FAMILY_ON_REUSE)
          .start();
  private final Closer resources = new Closer();

  @AfterEach
  void tearDown() throws Exception {
    resources.close();
    server.close();
  }

  @Test
  void everyEvictingPolicy_isRefused_namingTheSettingTheValueTheServerAndTheFix() throws Exception {
    RedisServerProcess redis =
        resources.add(
            RedisServerProcess.builder()
                .password(PASSWORD)
                .arguments("--maxmemory-policy", "volatile-ttl", "--maxmemory", "100mb")
                .start());
    String address = "127.0.0.1:" + redis.port();
    RedisClient admin = adminClient(redis);
    try (StatefulRedisConnection<String, String> connection = admin.connect()) {
      int alone = clients(connection);
      for (String policy : EVICTING) {
        assertThat(redis.command("CONFIG", "SET", "maxmemory-policy", policy)).isEqualTo("+OK");

        assertThatThrownBy(() -> RedisBackend.builder().uri(redis.uri().toString()).build())
            .as(policy)
            .isInstanceOfSatisfying(
                RedisConfigurationException.class,
                e -> {
                  assertThat(e.setting()).isEqualTo("maxmemory-policy");
                  assertThat(e.value()).isEqualTo(policy);
                  assertThat(e.server()).isEqualTo(address);
                })
            .hasMessageStartingWith("Redis at " + address + " runs maxmemory-policy " + policy)
            .hasMessageContaining(
                policy.startsWith("volatile-") ? "refresh lock's key" : "the stored record")
            .hasMessageContaining("CONFIG SET maxmemory-policy noeviction")
            .hasMessageContaining("acceptMaxmemoryPolicy(\"" + policy + "\")")
            .hasMessageNotContaining("maxmemory is 0")
            .satisfies(e -> assertThat(chain(e)).doesNotContain(PASSWORD));
      }
      // Nothing of the refused backends stays connected.
      await().atMost(Duration.ofSeconds(10)).until(() -> clients(connection) == alone);
    } finally {
      admin.shutdown();
    }
  }

  @Test
  void evictingPolicy_withMaxmemoryZero_isRefusedAnyway() {
    RedisServerProcess redis =
        resources.add(
            RedisServerProcess.builder().arguments("--maxmemory-policy", "allkeys-lru").start());

    assertThatThrownBy(() -> RedisBackend.builder().uri(redis.uri().toString()).build())
        .isInstanceOf(RedisConfigurationException.class)
        .hasMessageContaining("maxmemory-policy allkeys-lru")
        .hasMessageContaining("maxmemory is 0, so it evicts nothing yet");
  }

  @Test
  void noeviction_withAMemoryLimit_startsAndServesWithoutAWarning() {
    RedisServerProcess redis =
        resources.add(
            RedisServerProcess.builder()
                .arguments("--maxmemory-policy", "noeviction", "--maxmemory", "100mb")
                .start());
    try (CapturedLog log = CapturedLog.start()) {
      try (RedisBackend backend = RedisBackend.builder().uri(redis.uri().toString()).build()) {
        servesEndToEnd(backend);
      }
      assertThat(log.backendWarnings()).isEmpty();
    }
  }

  @Test
  void acceptedPolicy_startsServesAndWarnsOnceNamingIt() {
    RedisServerProcess redis =
        resources.add(
            RedisServerProcess.builder()
                .arguments("--maxmemory-policy", "volatile-ttl", "--maxmemory", "100mb")
                .start());
    try (CapturedLog log = CapturedLog.start()) {
      try (RedisBackend backend =
          RedisBackend.builder()
              .uri(redis.uri().toString())
              .acceptMaxmemoryPolicy("Volatile-TTL")
              .build()) {
        servesEndToEnd(backend);
      }
      assertThat(log.backendWarnings())
          .singleElement()
          .asString()
          .contains("Redis at 127.0.0.1:" + redis.port())
          .contains("maxmemory-policy volatile-ttl")
          .contains("acceptMaxmemoryPolicy(\"volatile-ttl\")")
          .contains("refresh lock's key");
    }
  }

  @Test
  void acceptedPolicy_doesNotAcceptAnother() {
    RedisServerProcess redis =
        resources.add(
            RedisServerProcess.builder()
                .arguments("--maxmemory-policy", "allkeys-lru", "--maxmemory", "100mb")
                .start());

    assertThatThrownBy(
            () ->
                RedisBackend.builder()
                    .uri(redis.uri().toString())
                    .acceptMaxmemoryPolicy("volatile-lru")
                    .build())
        .isInstanceOf(RedisConfigurationException.class)
        .hasMessageContaining("maxmemory-policy allkeys-lru")
        .hasMessageContaining("it now accepts \"volatile-lru\" only");
  }

  @Test
  void acceptMaxmemoryPolicy_rejectsWhatIsNoPolicyName() {
    for (String bad :
        List.of("", " ", "volatile lru", "allkeys_lru", "-lru", "lru-", "noeviction;")) {
      assertThatThrownBy(() -> RedisBackend.builder().acceptMaxmemoryPolicy(bad), bad)
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("not a maxmemory-policy name");
    }
  }

  @Test
  void aclUserWithoutConfigGet_startsServesAndWarnsOnce() throws Exception {
    // An evicting policy the ACL user cannot see: the warning is all the check can do.
    RedisServerProcess redis =
        resources.add(
            RedisServerProcess.builder()
                .arguments("--maxmemory-policy", "volatile-ttl", "--maxmemory", "100mb")
                .start());
    List<String> setUser =
        new ArrayList<>(List.of("ACL", "SETUSER", "tokenherd", "on", ">" + PASSWORD));
    setUser.addAll(List.of(RedisBackendIT.ACL_RULES));
    if (RedisBinary.resolve().atLeast(7, 2)) {
      setUser.add("+client|setinfo");
    }
    assertThat(redis.command(setUser.toArray(new String[0]))).isEqualTo("+OK");
    String uri = "redis://tokenherd:" + PASSWORD + "@127.0.0.1:" + redis.port();

    try (CapturedLog log = CapturedLog.start()) {
      try (RedisBackend backend = RedisBackend.builder().uri(uri).build()) {
        servesEndToEnd(backend);
      }
      assertThat(log.backendWarnings())
          .singleElement()
          .asString()
          .contains("could not check maxmemory-policy of Redis at 127.0.0.1:" + redis.port())
          .contains("NOPERM")
          .contains("verify by hand that it is noeviction")
          .doesNotContain(PASSWORD);
    }
  }

  @Test
  void configCommandDisabled_startsAndWarnsOnce() {
    // What managed services do: CONFIG renamed away, so the server answers "unknown command".
    RedisServerProcess redis =
        resources.add(
            RedisServerProcess.builder().arguments("--rename-command", "CONFIG", "").start());

    try (CapturedLog log = CapturedLog.start()) {
      try (RedisBackend backend = RedisBackend.builder().uri(redis.uri().toString()).build()) {
        servesEndToEnd(backend);
      }
      assertThat(log.backendWarnings())
          .singleElement()
          .asString()
          .contains("could not check maxmemory-policy of Redis at 127.0.0.1:" + redis.port())
          .contains("unknown command");
    }
  }

  @Test
  void givenClients_configCommandDisabled_startAndWarnOnceForBoth() throws Exception {
    RedisServerProcess redis =
        resources.add(
            RedisServerProcess.builder().arguments("--rename-command", "CONFIG", "").start());
    RedisTestClients clients = resources.add(new RedisTestClients(redis.uri()));

    try (CapturedLog log = CapturedLog.start()) {
      try (RedisBackend backend =
          RedisBackend.builder()
              .redisClient(clients.lettuce())
              .redissonClient(clients.redisson())
              .build()) {
        servesEndToEnd(backend);
      }
      assertThat(log.backendWarnings())
          .singleElement()
          .asString()
          .contains("could not check maxmemory-policy of the server of the given RedisClient (ERR")
          .contains("and of Redis at 127.0.0.1:" + redis.port() + " (ERR unknown command");
    }
  }

  @Test
  void givenClients_theLocksServerIsCheckedToo() throws Exception {
    RedisServerProcess store = resources.add(RedisServerProcess.builder().start());
    RedisServerProcess lock =
        resources.add(
            RedisServerProcess.builder()
                .arguments("--maxmemory-policy", "volatile-lru", "--maxmemory", "100mb")
                .start());
    RedisTestClients storeClients = resources.add(new RedisTestClients(store.uri()));
    RedisTestClients lockClients = resources.add(new RedisTestClients(lock.uri()));

    assertThatThrownBy(
            () ->
                RedisBackend.builder()
                    .redisClient(storeClients.lettuce())
                    .redissonClient(lockClients.redisson())
                    .build())
        .isInstanceOfSatisfying(
            RedisConfigurationException.class,
            e -> assertThat(e.server()).isEqualTo("127.0.0.1:" + lock.port()))
        .hasMessageStartingWith("Redis at 127.0.0.1:" + lock.port() + " runs maxmemory-policy");

    // The store's server, reached through the caller's Lettuce client, whose address it hides.
    assertThatThrownBy(
            () ->
                RedisBackend.builder()
                    .redisClient(lockClients.lettuce())
                    .redissonClient(storeClients.redisson())
                    .build())
        .isInstanceOfSatisfying(
            RedisConfigurationException.class,
            e -> assertThat(e.server()).isEqualTo("the server of the given RedisClient"))
        .hasMessageStartingWith("the server of the given RedisClient runs maxmemory-policy");
  }

  @Test
  void locksServerNotAnswering_failsTheBuildLikeAnUnreachableRedis() throws Exception {
    RedisServerProcess store = resources.add(RedisServerProcess.builder().start());
    RedisServerProcess lock = resources.add(RedisServerProcess.builder().start());
    RedisTestClients storeClients = resources.add(new RedisTestClients(store.uri()));
    RedisTestClients lockClients = resources.add(new RedisTestClients(lock.uri()));
    RedisClient lettuce = storeClients.lettuce();
    RedissonClient redisson = lockClients.redisson();

    lock.pause();
    try {
      assertThatThrownBy(
              () -> RedisBackend.builder().redisClient(lettuce).redissonClient(redisson).build())
          .isInstanceOf(io.lettuce.core.RedisConnectionException.class)
          .hasMessageStartingWith(
              "Redis at 127.0.0.1:" + lock.port() + " did not answer CONFIG GET maxmemory*");
    } finally {
      lock.resume();
    }
  }

  /** The first worker seeds an expiring token; a second herd on the backend refreshes it. */
  private void servesEndToEnd(RedisBackend backend) {
    try (TokenHerd herd = backend.configure(TokenHerd.builder()).refreshPolicy(POLICY).build()) {
      TokenCoordinator coordinator = herd.coordinator(KEY, FleetWorker.endpoint(server));
      TokenGrant grant = server.issueTokens("read");
      // Inside the expiry skew: the next call refreshes through the lock and the store's script.
      coordinator
          .seed(FleetWorker.tokens(grant, FleetWorker.CLOCK.instant().plusMillis(100)))
          .join();

      AccessToken refreshed = coordinator.token();

      assertThat(refreshed.value()).isNotEqualTo(grant.accessToken());
      assertThat(server.isAccessTokenValid(refreshed.value())).isTrue();
      assertThat(server.stats().refreshEvents()).isEqualTo(1);
    }
  }

  private static RedisClient adminClient(RedisServerProcess redis) {
    return RedisClient.create(
        RedisURI.builder()
            .withHost("127.0.0.1")
            .withPort(redis.port())
            .withPassword(PASSWORD.toCharArray())
            .build());
  }

  private static int clients(StatefulRedisConnection<String, String> connection) {
    return (int) connection.sync().clientList().lines().filter(l -> !l.isBlank()).count();
  }

  private static String chain(Throwable e) {
    StringBuilder text = new StringBuilder();
    for (Throwable t = e; t != null; t = t.getCause()) {
      text.append(t).append(" <- ");
      for (Throwable s : t.getSuppressed()) {
        text.append("[suppressed ").append(chain(s)).append("] ");
      }
    }
    return text.toString();
  }
}

package dev.tokenherd.coordinator.redis;

import static dev.tokenherd.coordinator.redis.FleetWorker.KEY;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.tokenherd.TokenHerd;
import dev.tokenherd.coordinator.AccessToken;
import dev.tokenherd.coordinator.CredentialNotFoundException;
import dev.tokenherd.coordinator.RefreshPolicy;
import dev.tokenherd.testkit.Closer;
import dev.tokenherd.testkit.FakeAuthorizationServer;
import dev.tokenherd.testkit.RedisBinary;
import dev.tokenherd.testkit.RedisServerProcess;
import dev.tokenherd.testkit.RotationMode;
import dev.tokenherd.testkit.TokenGrant;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.redisson.api.RedissonClient;

/**
 * {@link RedisBackend} as users build it: from a URI (plain, with a password, with an ACL user) or
 * on their own clients; what {@code close()} closes; how bad input fails; namespaces.
 */
final class RedisBackendIT {
  private static final String PASSWORD = "pw-Zq81-secret";

  /**
   * The narrowest ACL found to work for everything the backend sends (see docs/redis.md): the
   * store's script and its inner commands, WAIT, PUBLISH/SUBSCRIBE on the change channels, and
   * Redisson's fenced lock, its counter and its unlock channel.
   */
  static final String[] ACL_RULES = {
    "resetkeys",
    "~tokenherd:*",
    "~redisson_lock_token:*",
    "resetchannels",
    "&tokenherd:*",
    "~redisson_lock__channel:*",
    "&redisson_lock__channel:*",
    "-@all",
    "+evalsha",
    "+eval",
    "+hgetall",
    "+hmget",
    "+hset",
    "+hdel",
    "+exists",
    "+time",
    "+publish",
    "+subscribe",
    "+unsubscribe",
    "+wait",
    "+ping",
    "+script|load",
    "+hexists",
    "+incr",
    "+hincrby",
    "+pexpire",
    "+pttl",
    "+del",
    "+get",
    "+set",
  };

  /**
   * Nothing here waits for a lease to run out, so the timeouts are generous: a loaded machine must
   * not turn a slow answer into a failed test (a 1 s endpoint timeout once did, under four builds).
   */
  private static final RefreshPolicy POLICY =
      FleetWorker.shortPolicy()
          .leaseTime(Duration.ofSeconds(20))
          .endpointTimeout(Duration.ofSeconds(10))
          .waitTimeout(Duration.ofSeconds(30))
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

  /**
   * Two workers on {@code redis}: the second refreshes the seeded, expiring token, both serve it.
   */
  private void servesEndToEnd(URI redis) {
    FleetWorker first = resources.add(FleetWorker.start("first", redis, server, POLICY));
    FleetWorker second = resources.add(FleetWorker.start("second", redis, server, POLICY));
    TokenGrant grant = server.issueTokens("read");
    // Inside the expiry skew: the first call anywhere refreshes through the lock.
    first.seed(FleetWorker.tokens(grant, FleetWorker.CLOCK.instant().plusMillis(100)));

    AccessToken refreshed = second.coordinator.token();

    assertThat(refreshed.value()).isNotEqualTo(grant.accessToken());
    assertThat(server.isAccessTokenValid(refreshed.value())).isTrue();
    await().atMost(Duration.ofSeconds(5)).until(() -> first.coordinator.token().equals(refreshed));
    assertThat(server.stats().tokenRequests()).isEqualTo(1);
    assertThat(server.stats().refreshEvents()).isEqualTo(1);
  }

  @Test
  void uri_servesASeededTokenEndToEnd() {
    RedisTestServer redis = resources.add(RedisTestServer.start());
    servesEndToEnd(redis.uri());
  }

  @Test
  void requirePass_passwordInUri_servesAndWrongPasswordFailsClearly() {
    RedisServerProcess redis =
        resources.add(RedisServerProcess.builder().password(PASSWORD).start());
    assertThat(redis.uri().toString()).contains(":" + PASSWORD + "@");
    servesEndToEnd(redis.uri());

    String wrong = "redis://:wrong-" + PASSWORD + "@127.0.0.1:" + redis.port();
    assertThatThrownBy(() -> RedisBackend.builder().uri(wrong).build())
        .isInstanceOf(io.lettuce.core.RedisConnectionException.class)
        .hasMessageContaining("127.0.0.1:" + redis.port())
        .hasMessageContaining("WRONGPASS")
        .satisfies(e -> assertThat(chain(e)).doesNotContain(PASSWORD));
  }

  @Test
  void aclUser_withTheRecommendedRules_servesWithNoDeniedCommand() throws Exception {
    RedisServerProcess redis = resources.add(RedisServerProcess.builder().start());
    List<String> setUser =
        new ArrayList<>(List.of("ACL", "SETUSER", "tokenherd", "on", ">" + PASSWORD));
    setUser.addAll(List.of(ACL_RULES));
    if (RedisBinary.resolve().atLeast(7, 2)) {
      // Lettuce names itself with CLIENT SETINFO on Redis 7.2+ (7.0 knows no such subcommand).
      setUser.add("+client|setinfo");
    }
    assertThat(redis.command(setUser.toArray(new String[0]))).isEqualTo("+OK");
    URI uri = URI.create("redis://tokenherd:" + PASSWORD + "@127.0.0.1:" + redis.port());

    servesEndToEnd(uri);
    // A seed through a backend that waits for a replica: WAIT, then PUBLISH outside the script.
    try (RedisBackend waiting =
            RedisBackend.builder()
                .uri(uri.toString())
                .waitForReplicas(1, Duration.ofMillis(50))
                .build();
        TokenHerd herd = waiting.configure(TokenHerd.builder()).refreshPolicy(POLICY).build()) {
      herd.coordinator(KEY, FleetWorker.endpoint(server))
          .seed(FleetWorker.tokens(server.issueTokens("read")))
          .join();
    }

    // Redisson probes for a cluster once per connection with EVAL on keys test1 and test2 and
    // takes the NOPERM as "not a cluster"; each build() asks CONFIG GET maxmemory* and, refused,
    // warns that the eviction policy is unchecked (RedisBackendEvictionPolicyIT). Every other
    // denial would be ours.
    assertThat(deniedCommands(redis))
        .allSatisfy(
            denied -> assertThat(denied.get("object")).isIn("test1", "test2", "config|get"));
  }

  @Test
  void waitForReplicas_whereWaitIsRefused_failsTheStartNamingTheRule() throws Exception {
    RedisServerProcess redis = resources.add(RedisServerProcess.builder().start());
    List<String> setUser =
        new ArrayList<>(List.of("ACL", "SETUSER", "tokenherd", "on", ">" + PASSWORD));
    setUser.addAll(List.of(ACL_RULES));
    setUser.add("-wait");
    if (RedisBinary.resolve().atLeast(7, 2)) {
      setUser.add("+client|setinfo");
    }
    assertThat(redis.command(setUser.toArray(new String[0]))).isEqualTo("+OK");
    String uri = "redis://tokenherd:" + PASSWORD + "@127.0.0.1:" + redis.port();

    // Refused, every refresh mark would count as confirmed by no replica: no refresh, ever.
    assertThatThrownBy(
            () -> RedisBackend.builder().uri(uri).waitForReplicas(1, Duration.ofMillis(50)).build())
        .isInstanceOf(RedisConfigurationException.class)
        .hasMessageContaining("refused WAIT")
        .hasMessageContaining("+wait")
        .satisfies(e -> assertThat(chain(e)).doesNotContain(PASSWORD));
    // Without waitForReplicas the same user starts.
    RedisBackend.builder().uri(uri).build().close();
  }

  @Test
  void close_builtFromUri_shutsDownItsOwnClients() {
    RedisTestServer redis = resources.add(RedisTestServer.start());
    RedisClient admin = RedisClient.create(redis.uri().toString());
    try (StatefulRedisConnection<String, String> connection = admin.connect()) {
      int alone = clients(connection);
      RedisBackend backend = RedisBackend.builder().uri(redis.uri().toString()).build();
      // The store's, the feed's (pub/sub and publisher) and Redisson's idle one.
      assertThat(clients(connection)).isGreaterThan(alone);

      backend.close();

      await().atMost(Duration.ofSeconds(5)).until(() -> clients(connection) == alone);
    } finally {
      admin.shutdown();
    }
  }

  @Test
  void close_onTheCallersClients_leavesThemUsable() throws Exception {
    RedisTestServer redis = resources.add(RedisTestServer.start());
    RedisTestClients clients = resources.add(new RedisTestClients(redis.uri()));
    RedisClient lettuce = clients.lettuce();
    RedissonClient redisson = clients.redisson();
    try (RedisBackend backend =
            RedisBackend.builder().redisClient(lettuce).redissonClient(redisson).build();
        TokenHerd herd = backend.configure(TokenHerd.builder()).refreshPolicy(POLICY).build()) {
      herd.coordinator(KEY, FleetWorker.endpoint(server))
          .seed(FleetWorker.tokens(server.issueTokens("read")))
          .join();
    }

    try (StatefulRedisConnection<String, String> connection = lettuce.connect()) {
      assertThat(connection.sync().ping()).isEqualTo("PONG");
    }
    redisson.getBucket("after-close").set("still usable");
    assertThat(redisson.getBucket("after-close").get()).isEqualTo("still usable");
    assertThat(redisson.isShutdown()).isFalse();
  }

  @Test
  void uri_badOnes_failWithoutRevealingThePassword() {
    for (String bad :
        List.of(
            "http://user:" + PASSWORD + "@127.0.0.1:6379",
            "redis://:" + PASSWORD + "@",
            "redis://:" + PASSWORD + "@:6379/0",
            "redis:///0",
            "127.0.0.1:6379",
            "redis://:" + PASSWORD + " x@127.0.0.1:6379",
            "redis://user:" + PASSWORD + "@127.0.0.1:notaport",
            "redis://user:" + PASSWORD + "@127.0.0.1:6379/notadb")) {
      assertThatThrownBy(() -> RedisBackend.builder().uri(bad), bad)
          .isInstanceOf(IllegalArgumentException.class)
          .satisfies(e -> assertThat(chain(e)).doesNotContain(PASSWORD));
    }
  }

  @Test
  void build_withoutUriOrBothClients_isAnIllegalState() throws Exception {
    assertThatThrownBy(() -> RedisBackend.builder().build())
        .isInstanceOf(IllegalStateException.class);
    RedisTestServer redis = resources.add(RedisTestServer.start());
    RedisTestClients clients = resources.add(new RedisTestClients(redis.uri()));
    assertThatThrownBy(() -> RedisBackend.builder().redisClient(clients.lettuce()).build())
        .isInstanceOf(IllegalStateException.class);
    assertThatThrownBy(() -> RedisBackend.builder().redissonClient(clients.redisson()).build())
        .isInstanceOf(IllegalStateException.class);
  }

  private static int clients(StatefulRedisConnection<String, String> connection) {
    return (int) connection.sync().clientList().lines().filter(l -> !l.isBlank()).count();
  }

  @Test
  void namespaces_onOneRedis_doNotSeeEachOthersCredential() {
    RedisTestServer redis = resources.add(RedisTestServer.start());
    FleetWorker billing =
        resources.add(FleetWorker.start("a", redis.uri(), "tenant-a", server, POLICY));
    FleetWorker other =
        resources.add(FleetWorker.start("b", redis.uri(), "tenant-b", server, POLICY));
    billing.seed(FleetWorker.tokens(server.issueTokens("read")));

    assertThatThrownBy(other.coordinator::accessToken)
        .isInstanceOf(CredentialNotFoundException.class);
    assertThat(billing.coordinator.accessToken()).isNotBlank();
  }

  /** Returns the server's {@code ACL LOG}: every command, key or channel it denied. */
  private static List<Map<String, Object>> deniedCommands(RedisServerProcess redis) {
    RedisClient admin = RedisClient.create("redis://127.0.0.1:" + redis.port());
    try (StatefulRedisConnection<String, String> connection = admin.connect()) {
      return connection.sync().aclLog();
    } finally {
      admin.shutdown();
    }
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

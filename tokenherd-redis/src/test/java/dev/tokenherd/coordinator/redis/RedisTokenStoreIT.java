package dev.tokenherd.coordinator.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.tokenherd.coordinator.TokenKey;
import dev.tokenherd.coordinator.TokenSet;
import dev.tokenherd.coordinator.UnreadableRecordException;
import dev.tokenherd.coordinator.UnreadableRecordException.Problem;
import dev.tokenherd.coordinator.spi.ChangeFeed;
import dev.tokenherd.coordinator.spi.RefreshMark;
import dev.tokenherd.coordinator.spi.TokenRecord;
import dev.tokenherd.coordinator.spi.TokenStore;
import dev.tokenherd.coordinator.spi.WriteOutcome;
import dev.tokenherd.coordinator.testing.TokenStoreContract;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import io.lettuce.core.codec.StringCodec;
import io.lettuce.core.pubsub.RedisPubSubAdapter;
import io.lettuce.core.pubsub.StatefulRedisPubSubConnection;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.assertj.core.api.AbstractThrowableAssert;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/**
 * {@link RedisTokenStore} against a real Redis: the shared contract, plain and encrypted, and more.
 */
final class RedisTokenStoreIT {
  private static final Instant T0 = Instant.parse("2030-01-01T00:00:00Z");
  private static final AtomicInteger KEYS = new AtomicInteger();
  private static final RedisKeys LAYOUT = RedisKeys.defaults();
  private static final KeyRing RING = ring("k1", 1);

  private static @Nullable RedisTestServer server;
  private static @Nullable RedisClient client;
  private static @Nullable StatefulRedisConnection<String, String> shared;

  private final TokenKey key = TokenKey.of("it-" + KEYS.incrementAndGet());

  @BeforeAll
  static void startRedis() {
    server = RedisTestServer.start();
    client = FailFastClients.create(server.uri());
    shared = client.connect(StringCodec.UTF8);
  }

  @AfterAll
  static void stopRedis() {
    if (shared != null) {
      shared.close();
    }
    if (client != null) {
      client.shutdown();
    }
    if (server != null) {
      server.close();
    }
  }

  private static RedisClient client() {
    return java.util.Objects.requireNonNull(client);
  }

  private static StatefulRedisConnection<String, String> shared() {
    return java.util.Objects.requireNonNull(shared);
  }

  private static RedisCommands<String, String> redis() {
    return shared().sync();
  }

  static KeyRing ring(String id, int fill) {
    byte[] key = new byte[KeyRing.KEY_LENGTH];
    Arrays.fill(key, (byte) fill);
    return KeyRing.builder().key(id, key).primary(id).build();
  }

  private static RedisTokenStore plainStore() {
    return RedisTokenStore.builder(shared()).build();
  }

  private static RedisTokenStore encryptedStore(KeyRing ring) {
    return RedisTokenStore.builder(shared()).keyRing(ring).build();
  }

  private static TokenSet tokens(String access) {
    return new TokenSet(
        access, "Bearer", "refresh-of-" + access, Set.of("a"), T0, T0.plusSeconds(3600));
  }

  private static TokenRecord record(long version, long fence, String access) {
    return TokenRecord.seeded(tokens(access), version, fence, "writer", T0);
  }

  private static TokenRecord marked(long fence, Duration window) {
    return TokenRecord.builder()
        .version(1)
        .fence(fence)
        .tokens(tokens("a1"))
        .refreshing(new RefreshMark(fence, "h", T0, "sha256:x", "mark-" + fence, window))
        .writer("h")
        .writtenAt(T0)
        .build();
  }

  private static WriteOutcome cas(TokenStore store, TokenKey key, long expected, TokenRecord next) {
    return store.compareAndSet(key, expected, next).toCompletableFuture().join();
  }

  private static Optional<TokenRecord> read(TokenStore store, TokenKey key) {
    return store.read(key).toCompletableFuture().join();
  }

  private static AbstractThrowableAssert<?, ? extends Throwable> assertUnreadable(
      Runnable call, Problem problem) {
    return assertThatThrownBy(call::run)
        .isInstanceOf(CompletionException.class)
        .cause()
        .isInstanceOfSatisfying(
            UnreadableRecordException.class, e -> assertThat(e.problem()).isEqualTo(problem));
  }

  private String hash() {
    return LAYOUT.record(key);
  }

  // ---------------------------------------------------------------------------------------------
  // The shared contract.

  @Nested
  final class PlainContract extends TokenStoreContract {
    private final RedisTokenStore store = plainStore();

    @Override
    protected TokenStore store() {
      return store;
    }

    @Override
    protected @Nullable ChangeFeed feed() {
      return null; // announcements are checked below with a raw subscription
    }
  }

  @Nested
  final class EncryptedContract extends TokenStoreContract {
    private final RedisTokenStore store = encryptedStore(RING);

    @Override
    protected TokenStore store() {
      return store;
    }

    @Override
    protected @Nullable ChangeFeed feed() {
      return null;
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Announcements.

  @Test
  void compareAndSet_publishesVersionsAndRefreshAnnouncements_neverATokenOrMark() {
    RedisTokenStore store = plainStore();
    List<String> messages = new CopyOnWriteArrayList<>();
    try (StatefulRedisPubSubConnection<String, String> pubsub = client().connectPubSub()) {
      pubsub.addListener(
          new RedisPubSubAdapter<>() {
            @Override
            public void message(String channel, String message) {
              messages.add(channel + " " + message);
            }
          });
      pubsub.sync().subscribe(LAYOUT.changed(key)); // returns once Redis confirmed

      cas(store, key, 0, record(1, 1, "a1"));
      cas(store, key, 1, marked(2, Duration.ofSeconds(4))); // a holder's live mark
      cas(store, key, 1, record(1, 2, "a1")); // metadata only, no mark any more
      cas(store, key, 1, record(2, 2, "a2"));
      cas(store, key, 1, record(2, 3, "late")); // rejected: no announcement

      String channel = LAYOUT.changed(key);
      await().atMost(Duration.ofSeconds(5)).until(() -> messages.size() >= 4);
      // Versions as decimals; refresh announcements as version:window (ms):mark id, no token.
      assertThat(messages)
          .containsExactly(
              channel + " 1", channel + " 1:4000:mark-2", channel + " 1:0:", channel + " 2");
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Rejections.

  @Test
  void compareAndSet_lowerFenceAndMovedVersion_isFencedOffAsInTheReferenceStore() {
    RedisTokenStore store = plainStore();
    cas(store, key, 0, record(1, 5, "a1"));
    cas(store, key, 1, record(2, 6, "a2"));
    Map<String, String> before = redis().hgetall(hash());

    WriteOutcome outcome = cas(store, key, 1, record(2, 4, "paused-holder"));

    assertThat(outcome.result()).isEqualTo(WriteOutcome.Result.FENCE_REJECTED);
    assertThat(outcome.current()).isEqualTo(record(2, 6, "a2"));
    assertThat(redis().hgetall(hash())).isEqualTo(before);
  }

  @Test
  void compareAndSet_noRecordButExpectingOne_isVersionMovedWithNothingCurrent() {
    WriteOutcome outcome = cas(plainStore(), key, 3, record(4, 1, "a"));

    assertThat(outcome.result()).isEqualTo(WriteOutcome.Result.VERSION_MOVED);
    assertThat(outcome.current()).isNull();
    assertThat(redis().exists(hash())).isZero();
  }

  @Test
  void compareAndSet_fencesBeyondDoublePrecision_areComparedExactly() {
    RedisTokenStore store = plainStore();
    long big = (1L << 53) + 1; // a Lua number would round it to 2^53
    cas(store, key, 0, record(1, big, "a1"));

    assertThat(cas(store, key, 1, record(2, big - 1, "a2")).result())
        .isEqualTo(WriteOutcome.Result.FENCE_REJECTED);
    assertThat(cas(store, key, 1, record(2, big, "a2")).applied()).isTrue();
  }

  @Test
  void compareAndSet_metadataWrite_removesFieldsThatAreNowAbsent() {
    RedisTokenStore store = plainStore();
    TokenRecord marked =
        TokenRecord.builder()
            .version(1)
            .fence(1)
            .tokens(tokens("a1"))
            .refreshing(new RefreshMark(1, "h", T0, "sha256:x"))
            .writer("h")
            .writtenAt(T0)
            .build();
    cas(store, key, 0, marked);
    assertThat(redis().hexists(hash(), "mark")).isTrue();

    cas(store, key, 1, record(2, 1, "a2"));

    assertThat(redis().hexists(hash(), "mark")).isFalse();
    assertThat(read(store, key)).contains(record(2, 1, "a2"));
  }

  @Test
  void newerSchemaWrittenByHand_readIsRefusedAndWriteLeavesItUntouched() {
    RedisTokenStore store = plainStore();
    redis()
        .hset(
            hash(),
            Map.of(
                "schema", "99",
                "version", "1",
                "fence", "1",
                "layout", "something only schema 99 knows"));
    Map<String, String> before = redis().hgetall(hash());

    assertUnreadable(() -> read(store, key), Problem.SCHEMA_TOO_NEW)
        .hasMessageContaining("schema 99");
    WriteOutcome outcome = cas(store, key, 1, record(2, 2, "old-worker"));

    assertThat(outcome.result()).isEqualTo(WriteOutcome.Result.SCHEMA_NEWER);
    assertThat(redis().hgetall(hash())).isEqualTo(before);
  }

  @Test
  void corruptMetadata_readAndWriteFailTypedAndLeaveItInPlace() {
    RedisTokenStore store = plainStore();
    cas(store, key, 0, record(1, 1, "a1"));
    redis().hset(hash(), "version", "one");
    Map<String, String> before = redis().hgetall(hash());

    assertUnreadable(() -> read(store, key), Problem.CORRUPT).hasMessageContaining("'version'");
    assertUnreadable(() -> cas(store, key, 1, record(2, 1, "a2")), Problem.CORRUPT);

    redis().hdel(hash(), "schema");
    assertUnreadable(() -> cas(store, key, 1, record(2, 1, "a2")), Problem.CORRUPT);
    before.remove("schema");
    assertThat(redis().hgetall(hash())).isEqualTo(before);
  }

  @Test
  void corruptSecret_isTypedCorruptWithoutTheSecretAndLeftInPlace() {
    RedisTokenStore store = plainStore();
    cas(store, key, 0, record(1, 1, "a1"));
    String damaged = "{\"access_token\":\"AT-damaged-secret\",";
    redis().hset(hash(), "secret", damaged);

    assertUnreadable(() -> read(store, key), Problem.CORRUPT)
        .hasMessageContaining("'secret'")
        .hasMessageNotContaining("AT-damaged-secret");
    // A write that lost a race must report what is stored: here it cannot, so it fails typed.
    assertUnreadable(() -> cas(store, key, 0, record(1, 2, "a2")), Problem.CORRUPT);
    assertThat(redis().hget(hash(), "secret")).isEqualTo(damaged);
  }

  // ---------------------------------------------------------------------------------------------
  // Encryption.

  @Test
  void encryptedStore_secretFieldRevealsNoToken() {
    cas(encryptedStore(RING), key, 0, record(1, 1, "AT-find-me"));

    Map<String, String> raw = redis().hgetall(hash());
    assertThat(raw.get("secret")).startsWith("v1:k1:");
    assertThat(raw.toString()).doesNotContain("AT-find-me").doesNotContain("refresh-of-");
    assertThat(raw).containsEntry("version", "1").containsEntry("status", "ACTIVE");
  }

  @Test
  void encryptedRecord_withoutTheKey_isUndecryptable() {
    cas(encryptedStore(RING), key, 0, record(1, 1, "a1"));

    assertUnreadable(() -> read(plainStore(), key), Problem.UNDECRYPTABLE)
        .hasMessageContaining("no key ring");
    assertUnreadable(() -> read(encryptedStore(ring("k2", 2)), key), Problem.UNDECRYPTABLE)
        .hasMessageContaining("'k1'");
    assertUnreadable(() -> read(encryptedStore(ring("k1", 9)), key), Problem.UNDECRYPTABLE)
        .hasMessageContaining("integrity");
    assertThat(read(encryptedStore(RING), key)).contains(record(1, 1, "a1"));
  }

  @Test
  void keyRotation_oldRecordsStayReadableAndNewWritesUseTheNewKey() {
    cas(encryptedStore(RING), key, 0, record(1, 1, "a1"));
    byte[] newKey = new byte[KeyRing.KEY_LENGTH];
    Arrays.fill(newKey, (byte) 2);
    byte[] oldKey = new byte[KeyRing.KEY_LENGTH];
    Arrays.fill(oldKey, (byte) 1);
    KeyRing rotated = KeyRing.builder().key("k1", oldKey).key("k2", newKey).primary("k2").build();
    RedisTokenStore store = encryptedStore(rotated);

    assertThat(read(store, key)).contains(record(1, 1, "a1"));
    cas(store, key, 1, record(2, 1, "a2"));

    assertThat(redis().hget(hash(), "secret")).startsWith("v1:k2:");
    assertThat(read(store, key)).contains(record(2, 1, "a2"));
  }

  @Test
  void encryptedHashCopiedToAnotherCredential_isUndecryptable() {
    RedisTokenStore store = encryptedStore(RING);
    cas(store, key, 0, record(1, 1, "a1"));
    TokenKey victim = TokenKey.of(key.name() + "-copy");
    TokenKey restored = TokenKey.of(key.name() + "-restored");

    redis().hset(LAYOUT.record(victim), redis().hgetall(hash()));
    redis().restore(LAYOUT.record(restored), 0, redis().dump(hash()));

    assertUnreadable(() -> read(store, victim), Problem.UNDECRYPTABLE);
    assertUnreadable(() -> read(store, restored), Problem.UNDECRYPTABLE);
  }

  @Test
  void plaintextRecord_withAKeyRing_isReadAndEncryptedByTheNextWrite() {
    cas(plainStore(), key, 0, record(1, 1, "a1"));
    RedisTokenStore store = encryptedStore(RING);

    assertThat(read(store, key)).contains(record(1, 1, "a1"));
    cas(store, key, 1, record(2, 1, "a2"));

    assertThat(redis().hget(hash(), "secret")).startsWith("v1:k1:");
  }

  // ---------------------------------------------------------------------------------------------
  // Script cache and connections.

  @Test
  void compareAndSet_afterScriptFlush_reloadsTheScript() {
    RedisTokenStore store = plainStore();
    cas(store, key, 0, record(1, 1, "a1"));
    assertThat(redis().scriptFlush()).isEqualTo("OK");

    assertThat(cas(store, key, 1, record(2, 1, "a2")).applied()).isTrue();
    assertThat(read(store, key)).contains(record(2, 1, "a2"));
    String sha = redis().digest(scriptSource());
    assertThat(redis().scriptExists(sha)).containsExactly(true);
  }

  private static String scriptSource() {
    try (var in = RedisTokenStore.class.getResourceAsStream("internal/compare-and-set.lua")) {
      return new String(
          java.util.Objects.requireNonNull(in).readAllBytes(), StandardCharsets.UTF_8);
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  @Test
  void close_ownConnectionsClosedButNeverTheClient() {
    RedisTokenStore store = RedisTokenStore.builder(client()).keys(RedisKeys.of("own")).build();
    cas(store, key, 0, record(1, 1, "a1"));
    assertThat(redis().exists(RedisKeys.of("own").record(key))).isOne();

    store.close();
    store.close(); // idempotent

    assertThat(store.read(key).toCompletableFuture()).isCompletedExceptionally();
    try (StatefulRedisConnection<String, String> other = client().connect()) {
      assertThat(other.sync().ping()).isEqualTo("PONG");
    }
  }

  @Test
  void close_givenConnection_staysOpen() {
    RedisTokenStore store = RedisTokenStore.builder(shared()).build();

    store.close();

    assertThat(shared().isOpen()).isTrue();
    assertThat(read(plainStore(), key)).isEmpty();
  }

  @Test
  void toString_showsConfigurationButNoKeyMaterial() {
    RedisTokenStore store = encryptedStore(RING);

    assertThat(store.toString())
        .contains("namespace=tokenherd", "KeyRing[primary=k1", "waitForReplicas=0")
        .doesNotContain("AQEB");
    assertThat(store.keys()).isEqualTo(LAYOUT);
  }

  @Test
  void build_redisUnreachable_failsAtOnce() throws Exception {
    int closedPort;
    try (java.net.ServerSocket socket = new java.net.ServerSocket(0)) {
      closedPort = socket.getLocalPort();
    }
    RedisClient nowhere =
        FailFastClients.create(java.net.URI.create("redis://127.0.0.1:" + closedPort));
    try {
      assertThatThrownBy(() -> RedisTokenStore.builder(nowhere).build())
          .isInstanceOf(io.lettuce.core.RedisConnectionException.class);
    } finally {
      nowhere.shutdown();
    }
  }

  @Test
  void builder_invalidReplicaSettings_areRefused() {
    RedisTokenStore.Builder builder = RedisTokenStore.builder(shared());

    assertThatThrownBy(() -> builder.waitForReplicas(-1, Duration.ofSeconds(1)))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> builder.waitForReplicas(1, Duration.ZERO))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> builder.waitForReplicas(1, Duration.ofNanos(10)))
        .isInstanceOf(IllegalArgumentException.class);
    assertThat(builder.waitForReplicas(0, Duration.ZERO).build()).isNotNull();
  }
}

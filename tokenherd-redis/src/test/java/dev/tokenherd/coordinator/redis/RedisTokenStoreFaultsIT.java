package dev.tokenherd.coordinator.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.tokenherd.coordinator.AmbiguousStoreWriteException;
import dev.tokenherd.coordinator.StoreUnavailableException;
import dev.tokenherd.coordinator.TokenKey;
import dev.tokenherd.coordinator.TokenSet;
import dev.tokenherd.coordinator.spi.TokenRecord;
import dev.tokenherd.coordinator.spi.WriteOutcome;
import dev.tokenherd.coordinator.spi.WriteOutcome.Durability;
import dev.tokenherd.testkit.RedisServerProcess;
import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.TimeoutOptions;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.protocol.CommandType;
import io.lettuce.core.protocol.RedisCommand;
import io.lettuce.core.pubsub.RedisPubSubAdapter;
import io.lettuce.core.pubsub.StatefulRedisPubSubConnection;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * {@link RedisTokenStore} against real {@code redis-server} processes that the tests stop, pause
 * and pair with replicas: replica confirmation ({@code WAIT}), failing fast while Redis is down,
 * and writes whose answer does not come within the command timeout (decided by a re-read).
 */
final class RedisTokenStoreFaultsIT {
  private static final Instant T0 = Instant.parse("2030-01-01T00:00:00Z");
  private static final TokenKey KEY = TokenKey.of("faults");
  private static final RedisKeys LAYOUT = RedisKeys.defaults();

  private static TokenRecord record(long version, long fence) {
    TokenSet tokens =
        new TokenSet("a" + version, "Bearer", "r" + version, Set.of(), T0, T0.plusSeconds(60));
    return TokenRecord.seeded(tokens, version, fence, "writer", T0);
  }

  private static WriteOutcome cas(RedisTokenStore store, long expected, TokenRecord next) {
    return store.compareAndSet(KEY, expected, next).toCompletableFuture().join();
  }

  /** A primary that syncs a new replica at once (Redis 7 otherwise waits 5 s for more). */
  private static RedisServerProcess primary() {
    return RedisServerProcess.builder()
        .appendOnly(false)
        .arguments("--repl-diskless-sync-delay", "0")
        .start();
  }

  private static RedisServerProcess replicaOf(RedisServerProcess primary) {
    return RedisServerProcess.builder()
        .appendOnly(false)
        .arguments("--replicaof", "127.0.0.1", Integer.toString(primary.port()))
        .start();
  }

  private static void awaitReplicaOnline(RedisClient primaryClient) {
    try (StatefulRedisConnection<String, String> admin = primaryClient.connect()) {
      await()
          .atMost(Duration.ofSeconds(20))
          .until(() -> admin.sync().info("replication").contains("state=online"));
    }
  }

  @Test
  void waitForReplicas_replicaOnline_reportsItsAcknowledgementThenPublishes() throws Exception {
    try (RedisServerProcess primary = primary();
        RedisServerProcess replica = replicaOf(primary)) {
      RedisClient client = FailFastClients.create(primary.uri());
      try (RedisTokenStore store =
              RedisTokenStore.builder(client).waitForReplicas(1, Duration.ofSeconds(2)).build();
          StatefulRedisPubSubConnection<String, String> pubsub = client.connectPubSub()) {
        awaitReplicaOnline(client);
        List<String> messages = new CopyOnWriteArrayList<>();
        pubsub.addListener(
            new RedisPubSubAdapter<>() {
              @Override
              public void message(String channel, String message) {
                messages.add(message);
              }
            });
        pubsub.sync().subscribe(LAYOUT.changed(KEY));

        WriteOutcome first = cas(store, 0, record(1, 1));
        WriteOutcome metadataOnly = cas(store, 1, record(1, 2));

        assertThat(first.applied()).isTrue();
        assertThat(first.durability().requested()).isEqualTo(1);
        assertThat(first.durability().acknowledged()).isGreaterThanOrEqualTo(1);
        assertThat(first.durability().isShort()).isFalse();
        assertThat(metadataOnly.durability().acknowledged()).isGreaterThanOrEqualTo(1);
        await().atMost(Duration.ofSeconds(5)).until(() -> messages.size() >= 2);
        // The version after WAIT; the metadata write only says that no refresh is under way (a
        // hint, published in its script) and gives no version notice.
        assertThat(messages).containsExactly("1", "1:0:");
        assertThat(store.toString()).contains("waitForReplicas=1");
      } finally {
        client.shutdown();
      }
      // The replica holds the write that WAIT confirmed.
      assertThat(replica.command("HGET", LAYOUT.record(KEY), "fence")).isEqualTo("$1");
    }
  }

  @Test
  void waitForReplicas_replicaPaused_reportsAShortWriteWithinTheTimeout() {
    try (RedisServerProcess primary = primary();
        RedisServerProcess replica = replicaOf(primary)) {
      RedisClient client = FailFastClients.create(primary.uri());
      try (RedisTokenStore store =
          RedisTokenStore.builder(client).waitForReplicas(1, Duration.ofSeconds(1)).build()) {
        // A healthy WAIT returns at the replica's acknowledgement, so a timeout of a second costs
        // nothing here and leaves room for a loaded machine (300 ms was seen to be too short).
        awaitReplicaOnline(client);
        assertThat(cas(store, 0, record(1, 1)).durability().acknowledged()).isOne();

        replica.pause();
        long started = System.nanoTime();
        WriteOutcome outcome;
        try {
          outcome = cas(store, 1, record(2, 1));
        } finally {
          replica.resume();
        }
        Duration took = Duration.ofNanos(System.nanoTime() - started);

        assertThat(outcome.applied()).isTrue();
        assertThat(outcome.durability()).isEqualTo(new Durability(1, 0));
        assertThat(outcome.durability().isShort()).isTrue();
        assertThat(took)
            .isGreaterThanOrEqualTo(Duration.ofMillis(950))
            .isLessThan(Duration.ofSeconds(5));
        assertThat(store.read(KEY).toCompletableFuture().join().map(TokenRecord::version))
            .contains(2L);
      } finally {
        client.shutdown();
      }
    }
  }

  @Test
  void waitForReplicas_noReplicaAtAll_reportsNoAcknowledgement() {
    try (RedisServerProcess alone = RedisServerProcess.builder().appendOnly(false).start()) {
      RedisClient client = FailFastClients.create(alone.uri());
      try (StatefulRedisConnection<String, String> connection = client.connect();
          RedisTokenStore store =
              RedisTokenStore.builder(connection)
                  .waitForReplicas(2, Duration.ofMillis(100))
                  .build()) {
        WriteOutcome outcome = cas(store, 0, record(1, 1));

        assertThat(outcome.durability()).isEqualTo(new Durability(2, 0));
        // Rejections wait for nobody. (Another record: the same one again would be a retry of
        // the applied write, reported as applied.)
        assertThat(cas(store, 0, record(1, 2)).durability()).isEqualTo(Durability.NOT_REQUESTED);
      } finally {
        client.shutdown();
      }
    }
  }

  /** How long a script may take in the timeout tests: far below the pauses below. */
  private static final Duration SCRIPT_TIMEOUT = Duration.ofMillis(300);

  /**
   * A fail-fast client whose scripts ({@code EVALSHA}, {@code EVAL}) time out after {@link
   * #SCRIPT_TIMEOUT} and every other command after {@code others}: the write times out while the
   * server is paused, and the re-read behind it waits for the pause to end (or not).
   */
  private static RedisClient scriptTimeoutClient(RedisServerProcess redis, Duration others) {
    RedisClient client = RedisClient.create(RedisURI.create(redis.uri()));
    TimeoutOptions.TimeoutSource timeouts =
        new TimeoutOptions.TimeoutSource() {
          @Override
          public long getTimeout(RedisCommand<?, ?, ?> command) {
            boolean script =
                command.getType() == CommandType.EVALSHA || command.getType() == CommandType.EVAL;
            return (script ? SCRIPT_TIMEOUT : others).toMillis();
          }

          @Override
          public TimeUnit getTimeUnit() {
            return TimeUnit.MILLISECONDS;
          }
        };
    client.setOptions(
        ClientOptions.builder()
            .disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS)
            .timeoutOptions(
                TimeoutOptions.builder().timeoutCommands().timeoutSource(timeouts).build())
            .build());
    return client;
  }

  /** Pauses every client's writes and scripts (not reads) for {@code millis}. */
  private static void pauseWrites(RedisServerProcess redis, long millis) throws Exception {
    assertThat(redis.command("CLIENT", "PAUSE", Long.toString(millis), "WRITE")).isEqualTo("+OK");
  }

  private static long hgetallCalls(RedisClient admin) {
    try (StatefulRedisConnection<String, String> connection = admin.connect()) {
      String stats = connection.sync().info("commandstats");
      java.util.regex.Matcher calls =
          java.util.regex.Pattern.compile("cmdstat_hgetall:calls=(\\d+)").matcher(stats);
      return calls.find() ? Long.parseLong(calls.group(1)) : 0;
    }
  }

  @Test
  void compareAndSet_timedOutButApplied_isReportedAppliedByTheReRead() throws Exception {
    try (RedisServerProcess redis = RedisServerProcess.builder().appendOnly(false).start()) {
      RedisClient client = scriptTimeoutClient(redis, Duration.ofSeconds(10));
      RedisClient admin = FailFastClients.create(redis.uri());
      try (RedisTokenStore store = RedisTokenStore.builder(client).build()) {
        cas(store, 0, record(1, 1));
        long readsBefore = hgetallCalls(admin);
        pauseWrites(redis, 1500);

        long started = System.nanoTime();
        WriteOutcome outcome = cas(store, 1, record(2, 1));
        Duration took = Duration.ofNanos(System.nanoTime() - started);

        // The script's answer came too late; the record read after it shows it applied.
        assertThat(outcome.applied()).isTrue();
        assertThat(outcome.current()).isEqualTo(record(2, 1));
        assertThat(hgetallCalls(admin) - readsBefore).isOne(); // the re-read
        assertThat(took).isGreaterThan(SCRIPT_TIMEOUT);
        assertThat(store.read(KEY).toCompletableFuture().join()).contains(record(2, 1));
      } finally {
        client.shutdown();
        admin.shutdown();
      }
    }
  }

  @Test
  void compareAndSet_timedOutAndRejected_reportsTheRejectionTheReReadShows() throws Exception {
    try (RedisServerProcess redis = RedisServerProcess.builder().appendOnly(false).start()) {
      RedisClient client = scriptTimeoutClient(redis, Duration.ofSeconds(10));
      try (RedisTokenStore store = RedisTokenStore.builder(client).build()) {
        cas(store, 0, record(1, 5));
        pauseWrites(redis, 1500);

        WriteOutcome stale = cas(store, 1, record(2, 4)); // a lower fence

        assertThat(stale.result()).isEqualTo(WriteOutcome.Result.FENCE_REJECTED);
        assertThat(stale.current()).isEqualTo(record(1, 5));
        assertThat(store.read(KEY).toCompletableFuture().join()).contains(record(1, 5));
      } finally {
        client.shutdown();
      }
    }
  }

  @Test
  void compareAndSet_timedOutAndNotRun_failsRetryably_andTheRetryApplies() throws Exception {
    try (RedisServerProcess redis = RedisServerProcess.builder().appendOnly(false).start()) {
      RedisClient client = scriptTimeoutClient(redis, Duration.ofSeconds(10));
      try (RedisTokenStore store = RedisTokenStore.builder(client).build()) {
        cas(store, 0, record(1, 1));
        // The script cache is empty: the late EVALSHA gets NOSCRIPT, and the EVAL that would
        // follow is never sent because the caller was already told of the timeout.
        assertThat(redis.command("SCRIPT", "FLUSH")).isEqualTo("+OK");
        pauseWrites(redis, 1500);

        assertThatThrownBy(() -> cas(store, 1, record(2, 1)))
            .isInstanceOf(CompletionException.class)
            .cause()
            .isExactlyInstanceOf(StoreUnavailableException.class)
            .hasMessageContaining("not applied")
            .hasMessageContaining("retrying it is safe");
        assertThat(store.read(KEY).toCompletableFuture().join()).contains(record(1, 1));

        assertThat(cas(store, 1, record(2, 1)).applied()).isTrue();
      } finally {
        client.shutdown();
      }
    }
  }

  @Test
  void compareAndSet_timedOutAndReReadTimedOut_isAmbiguous_andARetryFindsItApplied()
      throws Exception {
    try (RedisServerProcess redis = RedisServerProcess.builder().appendOnly(false).start()) {
      // Everything times out quickly: the re-read, queued behind the paused script, too.
      RedisClient client = scriptTimeoutClient(redis, SCRIPT_TIMEOUT);
      RedisClient admin = FailFastClients.create(redis.uri());
      try (RedisTokenStore store = RedisTokenStore.builder(client).build();
          RedisTokenStore observer = RedisTokenStore.builder(admin).build()) {
        cas(store, 0, record(1, 1));
        pauseWrites(redis, 3000);

        assertThatThrownBy(() -> cas(store, 1, record(2, 1)))
            .isInstanceOf(CompletionException.class)
            .cause()
            .isInstanceOf(AmbiguousStoreWriteException.class)
            .hasMessageContaining("may or may not have been applied");

        // When the pause ends, the script runs after all: the write was applied.
        await()
            .atMost(Duration.ofSeconds(10))
            .until(
                () ->
                    observer
                        .read(KEY)
                        .toCompletableFuture()
                        .join()
                        .equals(Optional.of(record(2, 1))));
        // Retrying the same write, as the engine does, learns it.
        WriteOutcome retried = cas(store, 1, record(2, 1));
        assertThat(retried.applied()).isTrue();
        assertThat(retried.current()).isEqualTo(record(2, 1));
      } finally {
        client.shutdown();
        admin.shutdown();
      }
    }
  }

  @Test
  void redisDown_callsFailPromptlyAndRecoverWhenItReturns() throws Exception {
    try (RedisServerProcess redis = RedisServerProcess.builder().appendOnly(true).start()) {
      RedisClient client = FailFastClients.create(redis.uri());
      try (RedisTokenStore store = RedisTokenStore.builder(client).build()) {
        cas(store, 0, record(1, 1));

        redis.kill();
        long started = System.nanoTime();
        assertThatThrownBy(() -> store.read(KEY).toCompletableFuture().get(10, TimeUnit.SECONDS))
            .isInstanceOf(ExecutionException.class);
        assertThatThrownBy(
                () ->
                    store
                        .compareAndSet(KEY, 1, record(2, 1))
                        .toCompletableFuture()
                        .get(10, TimeUnit.SECONDS))
            .isInstanceOf(ExecutionException.class);
        assertThat(Duration.ofNanos(System.nanoTime() - started))
            .isLessThan(FailFastClients.COMMAND_TIMEOUT.multipliedBy(2));

        // Back with its AOF but an empty script cache: the write reloads the script.
        redis.startAgain();
        await()
            .atMost(Duration.ofSeconds(30))
            .ignoreExceptions()
            .until(() -> store.read(KEY).toCompletableFuture().join().isPresent());
        assertThat(store.read(KEY).toCompletableFuture().join().map(TokenRecord::version))
            .isEqualTo(Optional.of(1L));
        assertThat(cas(store, 1, record(2, 1)).applied()).isTrue();
      } finally {
        client.shutdown();
      }
    }
  }
}

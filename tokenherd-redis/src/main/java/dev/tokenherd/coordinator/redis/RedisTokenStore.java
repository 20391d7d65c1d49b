package dev.tokenherd.coordinator.redis;

import static java.util.Objects.requireNonNull;

import com.google.errorprone.annotations.CanIgnoreReturnValue;
import dev.tokenherd.coordinator.TokenKey;
import dev.tokenherd.coordinator.UnreadableRecordException;
import dev.tokenherd.coordinator.redis.internal.LuaScript;
import dev.tokenherd.coordinator.redis.internal.RecordCodec;
import dev.tokenherd.coordinator.redis.internal.SecretCipher;
import dev.tokenherd.coordinator.spi.TokenRecord;
import dev.tokenherd.coordinator.spi.TokenStore;
import dev.tokenherd.coordinator.spi.WriteOutcome;
import dev.tokenherd.coordinator.spi.WriteOutcome.Durability;
import dev.tokenherd.coordinator.spi.WriteOutcome.Result;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.async.RedisAsyncCommands;
import io.lettuce.core.codec.StringCodec;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A {@link TokenStore} in Redis, on Lettuce's asynchronous API: one hash per credential at {@link
 * RedisKeys#record}, written only by one Lua script that compares schema, fence and version and
 * publishes the new version on {@link RedisKeys#changed} in the same atomic step.
 *
 * <pre>{@code
 * RedisClient client = RedisClient.create("redis://redis:6379");
 * client.setOptions(ClientOptions.builder()
 *     .disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS)
 *     .timeoutOptions(TimeoutOptions.enabled(Duration.ofSeconds(2)))
 *     .build());
 * try (RedisTokenStore store = RedisTokenStore.builder(client).keyRing(ring).build()) { ... }
 * }</pre>
 *
 * <p><b>Record layout.</b> Schema, version, fence, status, expiry (epoch millis), writer, write
 * time, re-authentication reason, OAuth error code and the refresh mark are clear fields, so that
 * the script can judge a write without any key. The token set (access and refresh token, type,
 * scopes, issue and expiry instants) is the one field {@code secret}: JSON, or with a {@link
 * KeyRing} {@code v1:<keyId>:<base64url(nonce || ciphertext || tag)>} under AES-256-GCM with {@link
 * RedisKeys#associatedData} as associated data, so that a secret copied to another credential's
 * hash does not decrypt. A plaintext record stays readable when a key ring is configured, and the
 * next write encrypts it: that is how a fleet moves to encrypted records.
 *
 * <p><b>Reads</b> fail with {@link UnreadableRecordException} when the record is malformed ({@code
 * CORRUPT}), of a newer schema ({@code SCHEMA_TOO_NEW}) or cannot be decrypted ({@code
 * UNDECRYPTABLE}); the record is left in place, and a write against a record whose schema, version
 * or fence cannot be read fails the same way instead of replacing it.
 *
 * <p><b>Replicas.</b> With {@link Builder#waitForReplicas} the script does not publish; after it
 * applied a write the store sends {@code WAIT} on the same connection, then publishes, and reports
 * the {@link Durability} it got. {@code WAIT} holds its connection for up to the timeout, so a
 * store built from a client then writes on a second connection of its own and reads never queue
 * behind a {@code WAIT}.
 *
 * <p><b>Fail fast.</b> This store never blocks a thread, but a command sent to a disconnected
 * client waits, by Lettuce's defaults, until the connection is back. The client must therefore be
 * configured with {@code ClientOptions.DisconnectedBehavior.REJECT_COMMANDS} and a command timeout
 * ({@code TimeoutOptions}) longer than the {@code WAIT} timeout; the store does not change the
 * client's options.
 *
 * <p><b>Ownership.</b> A store built with {@link #builder(RedisClient)} opens its connections from
 * the client and closes them in {@link #close()}; it never closes the client. A store built with
 * {@link #builder(StatefulRedisConnection)} uses that connection for everything and never closes
 * it. Either way the store is thread-safe; its futures complete on Lettuce's I/O threads.
 */
public final class RedisTokenStore implements TokenStore, AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(RedisTokenStore.class);
  private static final LuaScript COMPARE_AND_SET = LuaScript.load("compare-and-set.lua");

  private final RedisKeys keys;
  private final RecordCodec codec;
  private final int replicas;
  private final Duration replicaTimeout;
  private final StatefulRedisConnection<String, String> reads;
  private final StatefulRedisConnection<String, String> writes;
  private final List<StatefulRedisConnection<String, String>> owned;
  private final @Nullable KeyRing keyRing;
  private final AtomicBoolean closed = new AtomicBoolean();

  private RedisTokenStore(
      Builder builder,
      StatefulRedisConnection<String, String> reads,
      StatefulRedisConnection<String, String> writes,
      List<StatefulRedisConnection<String, String>> owned) {
    this.keys = builder.keys;
    this.keyRing = builder.keyRing;
    KeyRing ring = builder.keyRing;
    this.codec =
        new RecordCodec(
            ring == null
                ? null
                : new SecretCipher(ring.primaryId(), ring.copyOfKeys(), new SecureRandom()));
    this.replicas = builder.replicas;
    this.replicaTimeout = builder.replicaTimeout;
    this.reads = reads;
    this.writes = writes;
    this.owned = List.copyOf(owned);
  }

  /**
   * Returns a builder for a store that opens its own connections from {@code client} and closes
   * them (never the client) in {@link #close()}.
   *
   * @param client a client configured to fail fast (see the class documentation)
   * @return the builder
   */
  public static Builder builder(RedisClient client) {
    return new Builder(requireNonNull(client, "client"), null);
  }

  /**
   * Returns a builder for a store that uses {@code connection} for everything and never closes it:
   * the caller owns it and must keep it open while the store is used. With {@link
   * Builder#waitForReplicas} every {@code WAIT} holds this connection for up to its timeout, so
   * commands others send on it queue behind.
   *
   * @param connection an open connection with a string codec, whose client fails fast
   * @return the builder
   */
  public static Builder builder(StatefulRedisConnection<String, String> connection) {
    return new Builder(null, requireNonNull(connection, "connection"));
  }

  /**
   * Returns the key layout.
   *
   * @return the names of the keys and channels this store uses
   */
  public RedisKeys keys() {
    return keys;
  }

  /** Returns the connection reads go through; {@link RedisBackend} checks the server on it. */
  StatefulRedisConnection<String, String> readConnection() {
    return reads;
  }

  @Override
  public CompletionStage<Optional<TokenRecord>> read(TokenKey key) {
    requireNonNull(key, "key");
    return dispatch(() -> reads.async().hgetall(keys.record(key)))
        .thenApply(
            fields ->
                fields == null || fields.isEmpty()
                    ? Optional.empty()
                    : Optional.of(codec.decode(key, fields, keys.associatedData(key))));
  }

  @Override
  public CompletionStage<WriteOutcome> compareAndSet(
      TokenKey key, long expectedVersion, TokenRecord next) {
    requireNonNull(key, "key");
    requireNonNull(next, "next");
    if (next.version() != expectedVersion && next.version() != expectedVersion + 1) {
      throw new IllegalArgumentException(
          "next version " + next.version() + " must be " + expectedVersion + " or one more");
    }
    boolean contentChange = next.version() == expectedVersion + 1;
    // Without WAIT the script publishes, atomically with the write; with WAIT the publication
    // waits until the replicas had their chance, because WAIT cannot run inside a script.
    boolean publishInScript = contentChange && replicas == 0;
    String[] args = scriptArguments(key, expectedVersion, next, publishInScript);
    RedisAsyncCommands<String, String> commands = writes.async();
    return dispatch(() -> COMPARE_AND_SET.run(commands, new String[] {keys.record(key)}, args))
        .thenCompose(
            reply -> {
              String result = String.valueOf(reply.get(0));
              if (result.equals("APPLIED")) {
                return replicas == 0
                    ? CompletableFuture.completedFuture(new WriteOutcome(Result.APPLIED, next))
                    : awaitReplicas(commands, key, next, contentChange);
              }
              return CompletableFuture.completedFuture(rejected(key, result, reply));
            });
  }

  private String[] scriptArguments(
      TokenKey key, long expectedVersion, TokenRecord next, boolean publish) {
    Map<String, String> fields = codec.encode(next, keys.associatedData(key));
    List<String> args = new ArrayList<>();
    args.add(Long.toString(expectedVersion));
    args.add(Integer.toString(next.schemaVersion()));
    args.add(Long.toString(next.version()));
    args.add(Long.toString(next.fence()));
    args.add(publish ? keys.changed(key) : "");
    args.add(Integer.toString(fields.size()));
    fields.forEach(
        (field, value) -> {
          args.add(field);
          args.add(value);
        });
    for (String field : RecordCodec.FIELDS) {
      if (!fields.containsKey(field)) {
        args.add(field); // absent now: removed, so no stale value outlives the write
      }
    }
    return args.toArray(new String[0]);
  }

  private CompletionStage<WriteOutcome> awaitReplicas(
      RedisAsyncCommands<String, String> commands,
      TokenKey key,
      TokenRecord next,
      boolean contentChange) {
    return dispatch(() -> commands.waitForReplication(replicas, replicaTimeout.toMillis()))
        .handle(
            (acknowledged, error) -> {
              if (error != null) {
                // The write is applied; only the confirmation failed. Reporting it as
                // unconfirmed (not failing the write) keeps the caller from retrying a write
                // that took effect.
                log.warn(
                    "credential '{}': WAIT for {} replicas failed after version {} was written",
                    key,
                    replicas,
                    next.version(),
                    error);
                return 0;
              }
              return acknowledged == null ? 0 : (int) Math.min(acknowledged, Integer.MAX_VALUE);
            })
        .thenCompose(
            acknowledged -> {
              WriteOutcome outcome =
                  new WriteOutcome(Result.APPLIED, next, new Durability(replicas, acknowledged));
              if (!contentChange) {
                return CompletableFuture.completedFuture(outcome);
              }
              return dispatch(
                      () -> commands.publish(keys.changed(key), Long.toString(next.version())))
                  .handle(
                      (receivers, error) -> {
                        if (error != null) {
                          // Best effort, like every announcement: waiters also poll the store.
                          log.warn(
                              "credential '{}': announcing version {} failed",
                              key,
                              next.version(),
                              error);
                        }
                        return outcome;
                      });
            });
  }

  private WriteOutcome rejected(TokenKey key, String result, List<Object> reply) {
    Map<String, String> fields = new LinkedHashMap<>();
    for (int i = 1; i + 1 < reply.size(); i += 2) {
      fields.put(String.valueOf(reply.get(i)), String.valueOf(reply.get(i + 1)));
    }
    String associatedData = keys.associatedData(key);
    return switch (result) {
      case "SCHEMA_NEWER" ->
          new WriteOutcome(Result.SCHEMA_NEWER, codec.decodeLeniently(key, fields, associatedData));
      case "FENCE_REJECTED", "VERSION_MOVED" ->
          new WriteOutcome(
              Result.valueOf(result),
              fields.isEmpty() ? null : codec.decode(key, fields, associatedData));
      case "CORRUPT" ->
          throw new UnreadableRecordException(
              key,
              UnreadableRecordException.Problem.CORRUPT,
              "schema, version or fence is missing or not a number; the write was refused",
              null);
      default ->
          throw new IllegalStateException("unexpected reply from the write script: " + result);
    };
  }

  /** Turns a command that throws while being sent into a failed stage: callers see one path. */
  private static <T> CompletionStage<T> dispatch(Supplier<? extends CompletionStage<T>> command) {
    try {
      return command.get();
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
  }

  /** Closes the connections this store opened; a connection it was given stays open. */
  @Override
  public void close() {
    if (closed.compareAndSet(false, true)) {
      for (StatefulRedisConnection<String, String> connection : owned) {
        connection.close();
      }
    }
  }

  @Override
  public String toString() {
    return "RedisTokenStore[namespace="
        + keys.namespace()
        + ", encryption="
        + (keyRing == null ? "off" : keyRing)
        + ", waitForReplicas="
        + replicas
        + "]";
  }

  /** Builds a {@link RedisTokenStore}. Not thread-safe. */
  public static final class Builder {
    private final @Nullable RedisClient client;
    private final @Nullable StatefulRedisConnection<String, String> connection;
    private RedisKeys keys = RedisKeys.defaults();
    private @Nullable KeyRing keyRing;
    private int replicas;
    private Duration replicaTimeout = Duration.ZERO;

    private Builder(
        @Nullable RedisClient client,
        @Nullable StatefulRedisConnection<String, String> connection) {
      this.client = client;
      this.connection = connection;
    }

    /**
     * Sets the key layout (default {@link RedisKeys#defaults()}).
     *
     * @param keys the namespace shared by the fleet
     * @return this builder
     */
    @CanIgnoreReturnValue
    public Builder keys(RedisKeys keys) {
      this.keys = requireNonNull(keys, "keys");
      return this;
    }

    /**
     * Encrypts the secret field of every record written (default: stored as plain JSON).
     *
     * @param keyRing the keys; records sealed with any of them can be read
     * @return this builder
     */
    @CanIgnoreReturnValue
    public Builder keyRing(KeyRing keyRing) {
      this.keyRing = requireNonNull(keyRing, "keyRing");
      return this;
    }

    /**
     * Makes every applied write wait for {@code replicas} replicas ({@code WAIT}) for up to {@code
     * timeout}, and report how many confirmed as the outcome's {@link Durability}. Default: 0, no
     * {@code WAIT}. The client's command timeout must be longer than {@code timeout}.
     *
     * @param replicas how many replicas must confirm; 0 turns waiting off
     * @param timeout how long to wait; at least 1 ms when {@code replicas} is positive
     * @return this builder
     * @throws IllegalArgumentException if {@code replicas} is negative or the timeout is under 1 ms
     *     for a positive count
     */
    @CanIgnoreReturnValue
    public Builder waitForReplicas(int replicas, Duration timeout) {
      checkReplicaWait(replicas, timeout);
      this.replicas = replicas;
      this.replicaTimeout = timeout;
      return this;
    }

    /** Checks a {@link #waitForReplicas} setting; shared with {@link RedisBackend.Builder}. */
    static void checkReplicaWait(int replicas, Duration timeout) {
      requireNonNull(timeout, "timeout");
      if (replicas < 0) {
        throw new IllegalArgumentException("replicas must not be negative: " + replicas);
      }
      if (replicas > 0 && (timeout.isNegative() || timeout.toMillis() < 1)) {
        // WAIT's own "0" means "forever": a store must never wait forever.
        throw new IllegalArgumentException(
            "timeout must be at least 1 ms when waiting for replicas: " + timeout);
      }
    }

    /**
     * Builds the store. From a client this opens its connections now (blocking until connected):
     * one, or two when waiting for replicas.
     *
     * @return the store
     * @throws io.lettuce.core.RedisConnectionException if a connection cannot be opened; none is
     *     left open
     */
    public RedisTokenStore build() {
      StatefulRedisConnection<String, String> given = connection;
      if (given != null) {
        return new RedisTokenStore(this, given, given, List.of());
      }
      RedisClient from = requireNonNull(client);
      StatefulRedisConnection<String, String> reads = from.connect(StringCodec.UTF8);
      if (replicas == 0) {
        return new RedisTokenStore(this, reads, reads, List.of(reads));
      }
      StatefulRedisConnection<String, String> writes;
      try {
        writes = from.connect(StringCodec.UTF8);
      } catch (RuntimeException e) {
        reads.close();
        throw e;
      }
      return new RedisTokenStore(this, reads, writes, List.of(reads, writes));
    }
  }
}

package dev.tokenherd.coordinator.redis;

import static dev.tokenherd.coordinator.redis.internal.Dispatch.dispatch;
import static java.util.Objects.requireNonNull;

import com.google.errorprone.annotations.CanIgnoreReturnValue;
import dev.tokenherd.coordinator.AmbiguousStoreWriteException;
import dev.tokenherd.coordinator.StoreMisconfiguredException;
import dev.tokenherd.coordinator.StoreUnavailableException;
import dev.tokenherd.coordinator.TokenKey;
import dev.tokenherd.coordinator.UnreadableRecordException;
import dev.tokenherd.coordinator.redis.internal.CompareAndSetScript;
import dev.tokenherd.coordinator.redis.internal.RecordCodec;
import dev.tokenherd.coordinator.redis.internal.SecretCipher;
import dev.tokenherd.coordinator.spi.FleetTime;
import dev.tokenherd.coordinator.spi.TokenRecord;
import dev.tokenherd.coordinator.spi.TokenStore;
import dev.tokenherd.coordinator.spi.WriteOutcome;
import dev.tokenherd.coordinator.spi.WriteOutcome.Durability;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulConnection;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.cluster.RedisClusterClient;
import io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands;
import io.lettuce.core.codec.StringCodec;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;

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
 * <p><b>Errors typed by cause.</b> A record key holding another type of value ({@code WRONGTYPE})
 * and a command, key or channel the Redis user may not use ({@code NOPERM}, or an ACL refusal
 * inside the script) fail with {@link StoreMisconfiguredException}, which names the key or command
 * and the ACL rule that allows it; the foreign value is never overwritten. A write whose answer
 * does not come within the client's command timeout is decided by re-reading the record on the same
 * connection (Redis answers a connection's commands in order, so the read sees the write's effect
 * if it ever has one): exactly the record written is reported as applied, a moved version, a higher
 * fence or a newer schema as that rejection, an unchanged record as a retryable {@link
 * StoreUnavailableException}; if the re-read fails too, the write fails with {@link
 * AmbiguousStoreWriteException}. Retrying a write is always safe: a write that finds exactly its
 * record stored reports it as applied. A {@code PUBLISH} that fails after an applied write (an ACL
 * without {@code +publish}) leaves the write applied and is reported as the outcome's {@link
 * WriteOutcome#announcementFailure()}, naming the channel and the rule. Connection failures are
 * reported as Lettuce's own exceptions.
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
public final class RedisTokenStore implements TokenStore, FleetTime, AutoCloseable {
  private final RedisKeys keys;
  private final RecordCodec codec;
  private final int replicas;
  private final StoreConnections connections;
  private final @Nullable KeyRing keyRing;
  private final WriteJudge judge;
  private final AtomicBoolean closed = new AtomicBoolean();

  private RedisTokenStore(Builder builder, StoreConnections connections) {
    this.keys = builder.keys;
    this.keyRing = builder.keyRing;
    KeyRing ring = builder.keyRing;
    this.codec =
        new RecordCodec(
            ring == null
                ? null
                : new SecretCipher(ring.primaryId(), ring.copyOfKeys(), new SecureRandom()));
    this.replicas = builder.replicas;
    this.connections = connections;
    this.judge =
        new WriteJudge(
            keys,
            codec,
            connections,
            new ReplicaWait(keys, connections, replicas, builder.replicaTimeout));
  }

  /**
   * Returns a builder for a store that opens its own connections from {@code client} and closes
   * them (never the client) in {@link #close()}.
   *
   * @param client a client configured to fail fast (see the class documentation)
   * @return the builder
   */
  public static Builder builder(RedisClient client) {
    return new Builder(requireNonNull(client, "client"), null, null);
  }

  /**
   * Returns a builder for a store on a Redis Cluster that opens its own connections from {@code
   * client} and closes them (never the client) in {@link #close()}. Each command goes to the master
   * of its credential's slot (every key of a credential shares one hash tag); new versions are
   * published on shard channels ({@code SPUBLISH}, Redis 7), and with {@link
   * Builder#waitForReplicas} each write waits for the replicas of the master that applied it.
   *
   * @param client a cluster client configured to fail fast (see the class documentation)
   * @return the builder
   */
  public static Builder builder(RedisClusterClient client) {
    return new Builder(null, requireNonNull(client, "client"), null);
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
    return new Builder(null, null, requireNonNull(connection, "connection"));
  }

  /**
   * Returns the key layout.
   *
   * @return the names of the keys and channels this store uses
   */
  public RedisKeys keys() {
    return keys;
  }

  /**
   * Checks that the server allows what {@link Builder#waitForReplicas} needs; see {@link
   * ReplicaWait#checkAllowed}.
   */
  void checkReplicaWaitAllowed(String server) {
    judge.replicaWait().checkAllowed(server);
  }

  /**
   * Returns the connection reads go through on a single server, where {@link RedisBackend} checks
   * the server; {@code null} on a cluster.
   */
  @Nullable StatefulRedisConnection<String, String> readConnection() {
    return connections.single();
  }

  @Override
  public CompletionStage<Optional<TokenRecord>> read(TokenKey key) {
    requireNonNull(key, "key");
    return dispatch(() -> connections.reads().hgetall(keys.record(key)))
        .handle(
            (fields, error) -> {
              if (error != null) {
                throw StoreErrors.failure(keys, key, error);
              }
              return fields == null || fields.isEmpty()
                  ? Optional.<TokenRecord>empty()
                  : Optional.of(codec.decode(key, fields, keys.associatedData(key)));
            });
  }

  /**
   * Reads the server's clock ({@code TIME}): the clock the write script stamps refresh marks with,
   * and the one a herd built by {@link RedisBackend#configure} converts every expiry to.
   *
   * @return a stage that completes with the server's time, to the microsecond
   */
  @Override
  public CompletionStage<Instant> now() {
    return dispatch(() -> connections.reads().time())
        .thenApply(
            time -> {
              if (time == null || time.size() != 2) {
                throw new IllegalStateException("TIME answered " + time);
              }
              long seconds = Long.parseLong(time.get(0));
              long micros = Long.parseLong(time.get(1));
              return Instant.ofEpochSecond(seconds, micros * 1_000);
            });
  }

  @Override
  public CompletionStage<WriteOutcome> compareAndSet(
      TokenKey key, long expectedVersion, TokenRecord next) {
    TokenStore.checkCompareAndSet(key, expectedVersion, next);
    boolean contentChange = next.version() == expectedVersion + 1;
    // Without WAIT the script publishes, atomically with the write; with WAIT the publication
    // waits until the replicas had their chance, because WAIT cannot run inside a script.
    boolean publishInScript = contentChange && replicas == 0;
    String channel = keys.changed(key);
    Map<String, String> fields = codec.encode(next, keys.associatedData(key));
    RedisClusterAsyncCommands<String, String> commands = connections.writes();
    return dispatch(
            () ->
                CompareAndSetScript.run(
                    commands,
                    keys.record(key),
                    expectedVersion,
                    next,
                    fields,
                    /* publishOn= */ publishInScript ? channel : null,
                    /* announceOn= */ next.version() == expectedVersion ? channel : null,
                    connections.sharded(),
                    /* reportNode= */ connections.sharded() && replicas > 0))
        // What the reply, or a re-read after a timeout, says happened; then WAIT if configured.
        .handle(
            (reply, error) ->
                judge.outcome(key, expectedVersion, next, contentChange, reply, error))
        .thenCompose(stage -> stage);
  }

  /** Closes the connections this store opened; a connection it was given stays open. */
  @Override
  public void close() {
    if (closed.compareAndSet(false, true)) {
      connections.close();
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
    private final @Nullable RedisClusterClient clusterClient;
    private final @Nullable StatefulRedisConnection<String, String> connection;
    private RedisKeys keys = RedisKeys.defaults();
    private @Nullable KeyRing keyRing;
    private int replicas;
    private Duration replicaTimeout = Duration.ZERO;

    private Builder(
        @Nullable RedisClient client,
        @Nullable RedisClusterClient clusterClient,
        @Nullable StatefulRedisConnection<String, String> connection) {
      this.client = client;
      this.clusterClient = clusterClient;
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
        return new RedisTokenStore(this, StoreConnections.single(given, given, List.of()));
      }
      RedisClusterClient cluster = clusterClient;
      return new RedisTokenStore(
          this,
          cluster != null
              ? open(() -> cluster.connect(StringCodec.UTF8), StoreConnections::cluster)
              : open(
                  () -> requireNonNull(client).connect(StringCodec.UTF8),
                  StoreConnections::single));
    }

    /** Opens one connection, or two when writes wait for replicas; none is left open on failure. */
    private <C extends StatefulConnection<String, String>> StoreConnections open(
        Supplier<C> connect, Connections<C> connections) {
      C reads = connect.get();
      if (replicas == 0) {
        return connections.of(reads, reads, List.of(reads));
      }
      C writes;
      try {
        writes = connect.get();
      } catch (RuntimeException e) {
        reads.close();
        throw e;
      }
      return connections.of(reads, writes, List.of(reads, writes));
    }

    /** How a store's connections of one kind become its {@link StoreConnections}. */
    private interface Connections<C> {
      StoreConnections of(C reads, C writes, List<C> owned);
    }
  }
}

package dev.tokenherd.coordinator.redis;

import static dev.tokenherd.coordinator.redis.internal.Dispatch.dispatch;
import static java.util.Objects.requireNonNull;

import dev.tokenherd.coordinator.TokenKey;
import dev.tokenherd.coordinator.redis.internal.ChangeMessage;
import dev.tokenherd.coordinator.spi.ChangeFeed;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisConnectionStateListener;
import io.lettuce.core.api.StatefulConnection;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.cluster.RedisClusterClient;
import io.lettuce.core.cluster.api.StatefulRedisClusterConnection;
import io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands;
import io.lettuce.core.cluster.pubsub.StatefulRedisClusterPubSubConnection;
import io.lettuce.core.codec.StringCodec;
import io.lettuce.core.pubsub.RedisPubSubListener;
import io.lettuce.core.pubsub.StatefulRedisPubSubConnection;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.Disposable;

/**
 * A {@link ChangeFeed} on Redis pub/sub through Lettuce: one pub/sub connection per feed (one feed
 * per worker) serves all of that worker's credentials, plus one ordinary connection for {@code
 * PUBLISH}. A message on {@link RedisKeys#changed} carries only the new version, as a decimal
 * number, or a {@linkplain ChangeFeed#announceRefreshing refresh announcement}: {@code
 * <version>:<window in milliseconds>:<mark id>}, which workers of versions before announcements
 * ignore as malformed.
 *
 * <p><b>Subscriptions are reference-counted.</b> The first listener of a credential sends {@code
 * SUBSCRIBE}, later ones share it; closing the last one sends {@code UNSUBSCRIBE}.
 *
 * <p><b>Gaps.</b> Pub/sub forgets messages published while a subscriber is not subscribed. A new
 * channel's listeners get {@link Listener#onGap} once Redis confirms the subscription. When the
 * pub/sub connection drops, every subscribed credential is marked; once its channel is subscribed
 * again (Lettuce resubscribes after reconnecting, and this feed re-sends {@code SUBSCRIBE} for any
 * channel that is still missing), each of its listeners gets {@link Listener#onGap}, so a re-read
 * of the store from then on sees every version it may have missed. A {@code SUBSCRIBE} that fails
 * (for example rejected while disconnected) is retried, and its listeners get {@code onGap} once it
 * succeeds.
 *
 * <p><b>Threads.</b> Listeners run on Lettuce's event-loop thread of the pub/sub connection. They
 * must not block (no store reads, no joins): hand work to an executor. A listener that throws is
 * logged and does not affect other listeners or the connection.
 *
 * <p><b>On a Redis Cluster</b> ({@link #create(RedisClusterClient, RedisKeys)}) the channels are
 * shard channels ({@code SSUBSCRIBE} / {@code SPUBLISH}, Redis 7): a notice stays on the shard that
 * holds its credential instead of being broadcast to every node, and each subscription is made on
 * the master of its slot. When that master fails or the slot moves, the subscription is made again
 * on the new owner and its listeners get {@link Listener#onGap}.
 *
 * <p>The client must keep {@code autoReconnect} on (the default). Its {@code DisconnectedBehavior}
 * may be {@code REJECT_COMMANDS}: subscriptions made while disconnected are retried. The client is
 * shared and never shut down here; {@link #close()} closes only this feed's connections.
 */
public final class RedisChangeFeed implements ChangeFeed, AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(RedisChangeFeed.class);

  private final RedisKeys keys;
  private final StatefulRedisPubSubConnection<String, String> pubSub;
  private final StatefulConnection<String, String> publisher;
  private final RedisClusterAsyncCommands<String, String> publishing;
  private final boolean sharded;
  private final FeedSubscriptions subscriptions;
  private final List<Disposable> connected = new ArrayList<>();

  private RedisChangeFeed(
      RedisKeys keys,
      StatefulRedisPubSubConnection<String, String> pubSub,
      StatefulConnection<String, String> publisher,
      RedisClusterAsyncCommands<String, String> publishing,
      boolean sharded) {
    this.keys = keys;
    this.pubSub = pubSub;
    this.publisher = publisher;
    this.publishing = publishing;
    this.sharded = sharded;
    this.subscriptions = new FeedSubscriptions(keys, pubSub, sharded);
  }

  /**
   * Opens a feed: connects its pub/sub connection and its publishing connection.
   *
   * @param client the Lettuce client; shared, never shut down by the feed
   * @param keys the key layout
   * @return the feed; close it when the worker stops
   * @throws io.lettuce.core.RedisConnectionException if Redis cannot be reached now
   */
  public static RedisChangeFeed create(RedisClient client, RedisKeys keys) {
    requireNonNull(client, "client");
    requireNonNull(keys, "keys");
    StatefulRedisPubSubConnection<String, String> pubSub = client.connectPubSub(StringCodec.UTF8);
    StatefulRedisConnection<String, String> publisher;
    try {
      publisher = client.connect(StringCodec.UTF8);
    } catch (RuntimeException e) {
      pubSub.close();
      throw e;
    }
    return listening(new RedisChangeFeed(keys, pubSub, publisher, publisher.async(), false));
  }

  /**
   * Opens a feed on a Redis Cluster, on shard channels (Redis 7): connects its pub/sub connection
   * and its publishing connection.
   *
   * @param client the Lettuce cluster client, with topology refresh on; shared, never shut down by
   *     the feed
   * @param keys the key layout
   * @return the feed; close it when the worker stops
   * @throws io.lettuce.core.RedisConnectionException if the cluster cannot be reached now
   */
  public static RedisChangeFeed create(RedisClusterClient client, RedisKeys keys) {
    requireNonNull(client, "client");
    requireNonNull(keys, "keys");
    StatefulRedisClusterPubSubConnection<String, String> pubSub =
        client.connectPubSub(StringCodec.UTF8);
    StatefulRedisClusterConnection<String, String> publisher;
    try {
      publisher = client.connect(StringCodec.UTF8);
    } catch (RuntimeException e) {
      pubSub.close();
      throw e;
    }
    RedisChangeFeed feed = new RedisChangeFeed(keys, pubSub, publisher, publisher.async(), true);
    // Each node connection the shard subscriptions go out on reports its own disconnection to the
    // feed (the cluster connection's listeners hear only its default node).
    Set<Object> watched = ConcurrentHashMap.newKeySet();
    feed.connected.add(
        MasterConnections.keep(
            pubSub.getResources(),
            pubSub::getPartitions,
            (host, port) ->
                pubSub
                    .getConnectionAsync(host, port)
                    .thenApply(
                        node -> {
                          if (watched.add(node)) {
                            node.addListener((RedisConnectionStateListener) feed.subscriptions);
                          }
                          return node;
                        })));
    feed.connected.add(
        MasterConnections.keep(
            publisher.getResources(), publisher::getPartitions, publisher::getConnectionAsync));
    return listening(feed);
  }

  private static RedisChangeFeed listening(RedisChangeFeed feed) {
    feed.pubSub.addListener((RedisPubSubListener<String, String>) feed.subscriptions);
    feed.pubSub.addListener((RedisConnectionStateListener) feed.subscriptions);
    return feed;
  }

  @Override
  public CompletionStage<Void> announceRefreshing(
      TokenKey key, long version, String markId, Duration window) {
    requireNonNull(key, "key");
    requireNonNull(markId, "markId");
    requireNonNull(window, "window");
    if (version < 0 || window.isNegative()) {
      throw new IllegalArgumentException(
          "version and window must not be negative, got " + version + " and " + window);
    }
    return send(key, ChangeMessage.refreshing(version, window, markId));
  }

  @Override
  public CompletionStage<Void> publish(TokenKey key, long version) {
    requireNonNull(key, "key");
    if (version < 0) {
      throw new IllegalArgumentException("version must not be negative, got " + version);
    }
    return send(key, ChangeMessage.changed(version));
  }

  /** Publishes {@code body} on the channel of {@code key}, or fails if this feed is closed. */
  private CompletionStage<Void> send(TokenKey key, String body) {
    if (subscriptions.isClosed()) {
      return CompletableFuture.failedFuture(new IllegalStateException("change feed is closed"));
    }
    String channel = keys.changed(key);
    return dispatch(
            () -> sharded ? publishing.spublish(channel, body) : publishing.publish(channel, body))
        .thenApply(receivers -> null);
  }

  /**
   * {@inheritDoc}
   *
   * <p>Returns at once; the {@code SUBSCRIBE} completes in the background. A message published
   * before Redis confirms it is missed, so when a new channel is confirmed its listeners get {@link
   * Listener#onGap} once; a listener that joins a channel already live gets no such call.
   *
   * @throws IllegalStateException if the feed is closed
   */
  @Override
  public Subscription subscribe(TokenKey key, Listener listener) {
    requireNonNull(key, "key");
    requireNonNull(listener, "listener");
    return subscriptions.add(key, listener);
  }

  /** Returns whether Redis confirmed the subscription of every channel this feed wants. */
  boolean isFullySubscribed() {
    return subscriptions.isFullySubscribed();
  }

  /**
   * Unsubscribes every channel and closes this feed's two connections; the client stays open.
   * Subscriptions still open get no more calls. Idempotent.
   */
  @Override
  public void close() {
    if (!subscriptions.close()) {
      return;
    }
    connected.forEach(Disposable::dispose);
    closeQuietly(pubSub);
    closeQuietly(publisher);
  }

  private static void closeQuietly(StatefulConnection<String, String> connection) {
    try {
      connection.close();
    } catch (RuntimeException e) {
      // The client was shut down first; the connection is gone with it.
      log.debug("closing a connection of the change feed failed", e);
    }
  }

  @Override
  public String toString() {
    return "RedisChangeFeed[namespace="
        + keys.namespace()
        + ", channels="
        + subscriptions.size()
        + (subscriptions.isClosed() ? ", closed" : "")
        + "]";
  }
}

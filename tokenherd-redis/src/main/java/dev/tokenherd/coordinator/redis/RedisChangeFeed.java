package dev.tokenherd.coordinator.redis;

import static java.util.Objects.requireNonNull;

import dev.tokenherd.coordinator.StoreMisconfiguredException;
import dev.tokenherd.coordinator.TokenKey;
import dev.tokenherd.coordinator.redis.internal.RedisErrors;
import dev.tokenherd.coordinator.spi.ChangeFeed;
import io.lettuce.core.RedisChannelHandler;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisConnectionStateListener;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.codec.StringCodec;
import io.lettuce.core.pubsub.RedisPubSubAdapter;
import io.lettuce.core.pubsub.StatefulRedisPubSubConnection;
import java.net.SocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

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
 * <p>The client must keep {@code autoReconnect} on (the default). Its {@code DisconnectedBehavior}
 * may be {@code REJECT_COMMANDS}: subscriptions made while disconnected are retried. The client is
 * shared and never shut down here; {@link #close()} closes only this feed's connections.
 */
public final class RedisChangeFeed implements ChangeFeed, AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(RedisChangeFeed.class);

  /** Pause before re-sending a {@code SUBSCRIBE} that failed. */
  static final Duration RESUBSCRIBE_DELAY = Duration.ofMillis(500);

  private final RedisKeys keys;
  private final StatefulRedisPubSubConnection<String, String> pubSub;
  private final StatefulRedisConnection<String, String> publisher;
  private final ScheduledExecutorService scheduler;

  /** Mutated only under {@code this}; read lock-free by message delivery. */
  private final Map<String, Channel> channels = new ConcurrentHashMap<>();

  private final AtomicBoolean resubscribeScheduled = new AtomicBoolean();

  /** Whether a refused {@code SUBSCRIBE} was logged at WARN already (once per feed). */
  private final AtomicBoolean warnedRefusal = new AtomicBoolean();

  private volatile boolean closed;

  private RedisChangeFeed(
      RedisKeys keys,
      StatefulRedisPubSubConnection<String, String> pubSub,
      StatefulRedisConnection<String, String> publisher) {
    this.keys = keys;
    this.pubSub = pubSub;
    this.publisher = publisher;
    this.scheduler = pubSub.getResources().eventExecutorGroup();
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
    RedisChangeFeed feed = new RedisChangeFeed(keys, pubSub, publisher);
    Events events = feed.new Events();
    pubSub.addListener((RedisPubSubAdapter<String, String>) events);
    pubSub.addListener((RedisConnectionStateListener) events);
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
    if (closed) {
      return CompletableFuture.failedFuture(new IllegalStateException("change feed is closed"));
    }
    String channel = keys.changed(key);
    String body = version + ":" + window.toMillis() + ":" + markId;
    return dispatch(() -> publisher.async().publish(channel, body)).thenApply(receivers -> null);
  }

  @Override
  public CompletionStage<Void> publish(TokenKey key, long version) {
    requireNonNull(key, "key");
    if (version < 0) {
      throw new IllegalArgumentException("version must not be negative, got " + version);
    }
    if (closed) {
      return CompletableFuture.failedFuture(new IllegalStateException("change feed is closed"));
    }
    String channel = keys.changed(key);
    String body = Long.toString(version);
    return dispatch(() -> publisher.async().publish(channel, body)).thenApply(receivers -> null);
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
    String name = keys.changed(key);
    Registration registration;
    synchronized (this) {
      if (closed) {
        throw new IllegalStateException("change feed is closed");
      }
      Channel channel = channels.get(name);
      boolean first = channel == null;
      if (channel == null) {
        channel = new Channel(key, name);
        // Not live until Redis confirms: whatever is announced until then is missed.
        channel.gap = true;
        channels.put(name, channel);
      }
      registration = new Registration(channel, listener);
      channel.registrations.add(registration);
      if (first) {
        sendSubscribe(List.of(name));
      }
    }
    return registration;
  }

  /** Returns whether Redis confirmed the subscription of every channel this feed wants. */
  synchronized boolean isFullySubscribed() {
    return channels.values().stream().allMatch(c -> c.confirmed);
  }

  private synchronized void remove(Registration registration) {
    Channel channel = registration.channel;
    channel.registrations.remove(registration);
    if (!channel.registrations.isEmpty() || channels.get(channel.name) != channel) {
      return;
    }
    channels.remove(channel.name);
    if (!closed) {
      // If this fails and Lettuce resubscribes after a reconnect, subscribed() drops it again.
      sendUnsubscribe(List.of(channel.name), "last listener left");
    }
  }

  /** Sends {@code UNSUBSCRIBE}; a failure is only logged (see the callers for why). */
  private void sendUnsubscribe(List<String> names, String why) {
    dispatch(() -> pubSub.async().unsubscribe(names.toArray(String[]::new)))
        .whenComplete(
            (ignored, error) -> {
              if (error != null) {
                log.debug("UNSUBSCRIBE {} ({}) failed", names, why, error);
              }
            });
  }

  /**
   * Runs a Lettuce command call, turning a synchronous failure (Lettuce throws from {@code
   * dispatch} once its client is shut down) into a failed stage, so that no {@code close()} and no
   * subscribe throws because of the connection's state.
   */
  private static <T> CompletionStage<T> dispatch(Supplier<? extends CompletionStage<T>> command) {
    try {
      return command.get();
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
  }

  /** Sends {@code SUBSCRIBE}; on failure marks a gap and schedules another try. Under lock. */
  private void sendSubscribe(List<String> names) {
    dispatch(() -> pubSub.async().subscribe(names.toArray(String[]::new)))
        .whenComplete(
            (ignored, error) -> {
              if (error != null) {
                onSubscribeFailed(names, error);
              }
            });
  }

  private void onSubscribeFailed(List<String> names, Throwable error) {
    Channel first = channels.get(names.get(0));
    StoreMisconfiguredException refused =
        first == null
            ? null
            : RedisErrors.misconfiguration(
                first.key,
                error,
                RedisErrors.Role.FEED,
                keys.namespace(),
                "channel '" + first.name + "'");
    if (refused != null && warnedRefusal.compareAndSet(false, true)) {
      // Not fatal: workers still find new versions by polling, only later. Said once, not every
      // half second.
      log.warn(
          "SUBSCRIBE {} refused; workers notice new versions only by polling until it is allowed:"
              + " {}",
          names,
          refused.getMessage());
    }
    log.debug("SUBSCRIBE {} failed; retrying in {}", names, RESUBSCRIBE_DELAY, error);
    synchronized (this) {
      for (String name : names) {
        Channel channel = channels.get(name);
        if (channel != null) {
          channel.gap = true;
        }
      }
    }
    scheduleResubscribe(RESUBSCRIBE_DELAY);
  }

  private void scheduleResubscribe(Duration delay) {
    if (closed || !resubscribeScheduled.compareAndSet(false, true)) {
      return;
    }
    try {
      ScheduledFuture<?> unused =
          scheduler.schedule(
              () -> {
                resubscribeScheduled.set(false);
                resubscribeMissing();
              },
              delay.toMillis(),
              TimeUnit.MILLISECONDS);
    } catch (RuntimeException rejected) {
      // The client is shutting down; nothing left to resubscribe on.
      resubscribeScheduled.set(false);
      log.debug("cannot schedule a resubscription", rejected);
    }
  }

  /** Re-sends {@code SUBSCRIBE} for every channel not confirmed by Redis. */
  private synchronized void resubscribeMissing() {
    if (closed) {
      return;
    }
    List<String> missing =
        channels.values().stream().filter(c -> !c.confirmed).map(c -> c.name).toList();
    if (!missing.isEmpty()) {
      sendSubscribe(missing);
    }
  }

  /**
   * Parses a message body: a non-negative decimal {@code long}, nothing else.
   *
   * @return the version, or empty for anything else
   */
  static OptionalLong parseVersion(@Nullable String body) {
    if (body == null || body.isEmpty() || body.length() > 19) {
      return OptionalLong.empty();
    }
    for (int i = 0; i < body.length(); i++) {
      char c = body.charAt(i);
      if (c < '0' || c > '9') {
        return OptionalLong.empty();
      }
    }
    try {
      return OptionalLong.of(Long.parseLong(body));
    } catch (NumberFormatException tooLarge) {
      return OptionalLong.empty();
    }
  }

  private static void deliver(Channel channel, Consumer<Listener> call, String what) {
    for (Registration registration : channel.registrations) {
      if (registration.closed.get()) {
        continue;
      }
      try {
        call.accept(registration.listener);
      } catch (RuntimeException e) {
        log.warn("change listener for credential '{}' failed in {}", channel.key, what, e);
      }
    }
  }

  /**
   * Unsubscribes every channel and closes this feed's two connections; the client stays open.
   * Subscriptions still open get no more calls. Idempotent.
   */
  @Override
  public void close() {
    List<String> names;
    synchronized (this) {
      if (closed) {
        return;
      }
      closed = true;
      names = List.copyOf(channels.keySet());
      channels.clear();
    }
    if (!names.isEmpty() && pubSub.isOpen()) {
      sendUnsubscribe(names, "feed closed; closing the connection drops it anyway");
    }
    closeQuietly(pubSub);
    closeQuietly(publisher);
  }

  private static void closeQuietly(StatefulRedisConnection<String, String> connection) {
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
        + channels.size()
        + (closed ? ", closed" : "")
        + "]";
  }

  /** One Redis channel and the listeners of its credential in this feed. */
  private static final class Channel {
    final TokenKey key;
    final String name;
    final List<Registration> registrations = new CopyOnWriteArrayList<>();

    /** Redis confirmed the subscription on the current connection. Under the feed's lock. */
    boolean confirmed;

    /** Messages may have been missed; tell the listeners once subscribed again. Under lock. */
    boolean gap;

    Channel(TokenKey key, String name) {
      this.key = key;
      this.name = name;
    }
  }

  private final class Registration implements Subscription {
    final Channel channel;
    final Listener listener;
    final AtomicBoolean closed = new AtomicBoolean();

    Registration(Channel channel, Listener listener) {
      this.channel = channel;
      this.listener = listener;
    }

    @Override
    public void close() {
      if (closed.compareAndSet(false, true)) {
        remove(this);
      }
    }

    @Override
    public String toString() {
      return "Subscription[" + channel.key + (closed.get() ? ", closed" : "") + "]";
    }
  }

  /** Lettuce's callbacks: messages, subscription confirmations and connection state. */
  private final class Events extends RedisPubSubAdapter<String, String>
      implements RedisConnectionStateListener {

    @Override
    public void message(String name, @Nullable String body) {
      Channel channel = channels.get(name);
      if (channel == null) {
        return;
      }
      if (body != null && body.indexOf(':') > 0) {
        // version:window:mark id (the id may itself hold colons: it is the rest)
        String[] parts = body.split(":", 3);
        OptionalLong announced = parts.length == 3 ? parseVersion(parts[0]) : OptionalLong.empty();
        OptionalLong window = parts.length == 3 ? parseVersion(parts[1]) : OptionalLong.empty();
        if (announced.isPresent() && window.isPresent()) {
          long v = announced.getAsLong();
          Duration w = Duration.ofMillis(window.getAsLong());
          String id = parts[2];
          deliver(channel, l -> l.onRefreshing(channel.key, v, id, w), "onRefreshing");
          return;
        }
      }
      OptionalLong version = parseVersion(body);
      if (version.isEmpty()) {
        log.debug(
            "ignoring a malformed message on {} ({} chars)",
            name,
            body == null ? 0 : body.length());
        return;
      }
      long v = version.getAsLong();
      deliver(channel, l -> l.onChange(channel.key, v), "onChange");
    }

    @Override
    public void subscribed(String name, long count) {
      Channel channel;
      boolean gap;
      synchronized (RedisChangeFeed.this) {
        channel = channels.get(name);
        if (channel == null) {
          if (!closed) {
            // Nobody listens any more (an UNSUBSCRIBE was lost, and Lettuce resubscribed it).
            sendUnsubscribe(List.of(name), "no listener left");
          }
          return;
        }
        channel.confirmed = true;
        gap = channel.gap;
        channel.gap = false;
      }
      if (gap) {
        deliver(channel, l -> l.onGap(channel.key), "onGap");
      }
    }

    @Override
    public void unsubscribed(String name, long count) {
      synchronized (RedisChangeFeed.this) {
        Channel channel = channels.get(name);
        if (channel != null) {
          // Re-subscribed while the UNSUBSCRIBE was in flight: its SUBSCRIBE confirms it again.
          channel.confirmed = false;
        }
      }
    }

    @Override
    public void onRedisDisconnected(RedisChannelHandler<?, ?> connection) {
      synchronized (RedisChangeFeed.this) {
        for (Channel channel : channels.values()) {
          channel.confirmed = false;
          channel.gap = true;
        }
      }
    }

    @Override
    public void onRedisConnected(RedisChannelHandler<?, ?> connection, SocketAddress address) {
      // Lettuce resubscribes what it knew; this catches SUBSCRIBEs that were rejected meanwhile.
      scheduleResubscribe(Duration.ofMillis(50));
    }
  }
}

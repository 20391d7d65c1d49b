package dev.tokenherd.coordinator.redis;

import dev.tokenherd.coordinator.StoreMisconfiguredException;
import dev.tokenherd.coordinator.TokenKey;
import dev.tokenherd.coordinator.redis.internal.ChangeMessage;
import dev.tokenherd.coordinator.redis.internal.RedisErrors;
import dev.tokenherd.coordinator.spi.ChangeFeed.Listener;
import dev.tokenherd.coordinator.spi.ChangeFeed.Subscription;
import io.lettuce.core.RedisChannelHandler;
import io.lettuce.core.RedisConnectionStateListener;
import io.lettuce.core.cluster.event.ClusterTopologyChangedEvent;
import io.lettuce.core.pubsub.RedisPubSubAdapter;
import io.lettuce.core.pubsub.StatefulRedisPubSubConnection;
import java.net.SocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.Disposable;

/**
 * The subscriptions of a {@link RedisChangeFeed} on its pub/sub connection: which channels it
 * wants, which Redis confirmed, who listens to each, and the Lettuce callbacks that keep that true
 * across failed {@code SUBSCRIBE}s and reconnections and deliver each channel's messages. The class
 * documentation of {@link RedisChangeFeed} says what listeners see. Logs under the feed's category,
 * the one users configure.
 *
 * <p><b>Sharded</b> (a Redis Cluster): channels are shard channels ({@code SSUBSCRIBE}), each sent
 * alone (two credentials' channels may live in different slots), and Lettuce routes each to the
 * master of its slot over a connection of its own to that node. When that master fails, its
 * subscriptions go with it and nothing says so on the feed's own connection; when its slot moves or
 * it becomes a replica, Redis ends them ({@code SUNSUBSCRIBE} pushed to the client). So a sharded
 * feed also listens to each of its node connections ({@link RedisChangeFeed} registers it) and to
 * its client's topology changes: after either every channel is marked as possibly missed and
 * subscribed again (a live subscription just confirms again), and a channel Redis ended is
 * subscribed again; its listeners get {@link
 * dev.tokenherd.coordinator.spi.ChangeFeed.Listener#onGap} once it is confirmed. Other connections
 * of the client come and go without effect (Lettuce opens and closes one per node at every topology
 * refresh, every second: reacting to those would re-read every record every second).
 */
final class FeedSubscriptions extends RedisPubSubAdapter<String, String>
    implements RedisConnectionStateListener {
  private static final Logger log = LoggerFactory.getLogger(RedisChangeFeed.class);

  /** Pause before re-sending a {@code SUBSCRIBE} that failed. */
  static final Duration RESUBSCRIBE_DELAY = Duration.ofMillis(500);

  private final RedisKeys keys;
  private final StatefulRedisPubSubConnection<String, String> pubSub;
  private final ChannelCommands commands;
  private final ScheduledExecutorService scheduler;
  private final @Nullable Disposable clientEvents;

  /** Mutated only under {@code this}; read lock-free by message delivery. */
  private final Map<String, Channel> channels = new ConcurrentHashMap<>();

  private final AtomicBoolean resubscribeScheduled = new AtomicBoolean();

  /** Whether a refused {@code SUBSCRIBE} was logged at WARN already (once per feed). */
  private final AtomicBoolean warnedRefusal = new AtomicBoolean();

  private volatile boolean closed;

  /**
   * Creates the subscriptions of one feed; register them as both listeners of {@code pubSub}.
   *
   * @param keys the key layout
   * @param pubSub the feed's pub/sub connection
   * @param sharded whether channels are a cluster's shard channels
   */
  FeedSubscriptions(
      RedisKeys keys, StatefulRedisPubSubConnection<String, String> pubSub, boolean sharded) {
    this.keys = keys;
    this.pubSub = pubSub;
    this.commands = new ChannelCommands(pubSub, sharded);
    this.scheduler = pubSub.getResources().eventExecutorGroup();
    this.clientEvents =
        sharded
            ? pubSub
                .getResources()
                .eventBus()
                .get()
                .filter(e -> e instanceof ClusterTopologyChangedEvent)
                .subscribe(e -> onClusterEvent(), e -> log.debug("client events ended", e))
            : null;
  }

  /** The cluster's layout changed: subscribe every channel again. */
  private void onClusterEvent() {
    synchronized (this) {
      if (closed) {
        return;
      }
      for (Channel channel : channels.values()) {
        channel.confirmed = false;
        channel.gap = true;
      }
    }
    scheduleResubscribe(Duration.ofMillis(50));
  }

  /**
   * Adds a listener to the channel of {@code key}; the first one sends {@code SUBSCRIBE}.
   *
   * @throws IllegalStateException if closed
   */
  Subscription add(TokenKey key, Listener listener) {
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

  /** Returns whether Redis confirmed the subscription of every channel wanted. */
  synchronized boolean isFullySubscribed() {
    return channels.values().stream().allMatch(c -> c.confirmed);
  }

  boolean isClosed() {
    return closed;
  }

  /** Returns how many channels are wanted. */
  int size() {
    return channels.size();
  }

  /**
   * Drops every subscription and sends {@code UNSUBSCRIBE} for them while the connection is open;
   * subscriptions still open get no more calls.
   *
   * @return {@code false} if closed already
   */
  boolean close() {
    List<String> names;
    synchronized (this) {
      if (closed) {
        return false;
      }
      closed = true;
      names = List.copyOf(channels.keySet());
      channels.clear();
    }
    if (clientEvents != null) {
      clientEvents.dispose();
    }
    if (!names.isEmpty() && pubSub.isOpen()) {
      sendUnsubscribe(names, "feed closed; closing the connection drops it anyway");
    }
    return true;
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

  private void sendUnsubscribe(List<String> names, String why) {
    commands.unsubscribe(names, why);
  }

  /** Sends {@code SUBSCRIBE}; on failure marks a gap and schedules another try. Under lock. */
  private void sendSubscribe(List<String> names) {
    commands.subscribe(names, this::onSubscribeFailed);
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
          "{} {} refused; workers notice new versions only by polling until it is allowed: {}",
          commands.subscribeCommand(),
          names,
          refused.getMessage());
    }
    log.debug(
        "{} {} failed; retrying in {}",
        commands.subscribeCommand(),
        names,
        RESUBSCRIBE_DELAY,
        error);
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

  @Override
  public void message(String name, @Nullable String body) {
    Channel channel = channels.get(name);
    if (channel == null) {
      return;
    }
    ChangeMessage message = ChangeMessage.decode(body);
    if (message instanceof ChangeMessage.Refreshing refreshing) {
      long v = refreshing.version();
      Duration w = refreshing.window();
      String id = refreshing.markId();
      deliver(channel, l -> l.onRefreshing(channel.key, v, id, w), "onRefreshing");
    } else if (message instanceof ChangeMessage.Changed changed) {
      long v = changed.version();
      deliver(channel, l -> l.onChange(channel.key, v), "onChange");
    } else {
      log.debug(
          "ignoring a malformed message on {} ({} chars)", name, body == null ? 0 : body.length());
    }
  }

  @Override
  public void subscribed(String name, long count) {
    Channel channel;
    boolean gap;
    synchronized (this) {
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
    synchronized (this) {
      Channel channel = channels.get(name);
      if (channel == null) {
        return;
      }
      // Re-subscribed while our UNSUBSCRIBE was in flight (its SUBSCRIBE confirms it again), or
      // ended by Redis (a shard channel whose slot moved or whose master became a replica):
      // subscribe again, and say that messages may have been missed meanwhile.
      channel.confirmed = false;
      channel.gap = true;
    }
    scheduleResubscribe(RESUBSCRIBE_DELAY);
  }

  @Override
  public void smessage(String name, @Nullable String body) {
    message(name, body);
  }

  @Override
  public void ssubscribed(String name, long count) {
    subscribed(name, count);
  }

  @Override
  public void sunsubscribed(String name, long count) {
    unsubscribed(name, count);
  }

  @Override
  public void onRedisDisconnected(RedisChannelHandler<?, ?> connection) {
    synchronized (this) {
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

  /** One Redis channel and the listeners of its credential in this feed. */
  private static final class Channel {
    final TokenKey key;
    final String name;
    final List<Registration> registrations = new CopyOnWriteArrayList<>();

    /** Redis confirmed the subscription on the current connection. Under the lock. */
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
}

package dev.tokenherd.coordinator.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.tokenherd.coordinator.TokenKey;
import dev.tokenherd.coordinator.spi.ChangeFeed;
import dev.tokenherd.coordinator.testing.ChangeFeedContract;
import io.lettuce.core.api.sync.RedisCommands;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Runs {@link ChangeFeedContract} on Redis pub/sub: publisher and subscriber are two feeds on two
 * Lettuce clients (two workers). Plus what only a real bus shows: one Redis subscription per
 * channel and feed, fan-out to several workers, and UNSUBSCRIBE when the last listener leaves.
 */
final class RedisChangeFeedIT extends ChangeFeedContract {
  private static final RedisKeys KEYS = RedisKeys.of("feed-it");
  private static final Duration WAIT = Duration.ofSeconds(5);

  private static RedisTestServer server;
  private static RedisTestClients clients;
  private static RedisChangeFeed publisher;
  private static RedisChangeFeed subscriber;
  private static RedisCommands<String, String> redis;

  @BeforeAll
  static void start() {
    server = RedisTestServer.start();
    clients = new RedisTestClients(server.uri());
    publisher = RedisChangeFeed.create(clients.lettuce(), KEYS);
    subscriber = RedisChangeFeed.create(clients.lettuce(), KEYS);
    redis = clients.lettuce().connect().sync();
  }

  @AfterAll
  static void stop() throws Exception {
    publisher.close();
    subscriber.close();
    clients.close();
    server.close();
  }

  @Override
  protected ChangeFeed publisher() {
    return publisher;
  }

  @Override
  protected ChangeFeed subscriber() {
    return subscriber;
  }

  @Override
  protected void awaitSubscribed() {
    await().atMost(WAIT).until(subscriber::isFullySubscribed);
  }

  private long numsub(TokenKey of) {
    Map<String, Long> counts = redis.pubsubNumsub(KEYS.changed(of));
    return counts.getOrDefault(KEYS.changed(of), 0L);
  }

  private void publish(TokenKey to, String body) {
    redis.publish(KEYS.changed(to), body);
  }

  @Test
  void severalListenersOfOneKey_shareOneRedisSubscription_lastCloseUnsubscribes() {
    RecordingFeedListener a = new RecordingFeedListener();
    RecordingFeedListener b = new RecordingFeedListener();
    ChangeFeed.Subscription first = subscriber.subscribe(key, a);
    ChangeFeed.Subscription second = subscriber.subscribe(key, b);
    awaitSubscribed();

    assertThat(numsub(key)).isOne();
    first.close();
    assertThat(numsub(key)).isOne();
    publisher.publish(key, 5).toCompletableFuture().join();
    await().atMost(WAIT).until(() -> b.saw(key.name() + "@5"));
    assertThat(a.changes()).isEmpty();

    second.close();
    await().atMost(WAIT).until(() -> numsub(key) == 0);
  }

  @Test
  void newSubscription_getsOneGapOnceLive_aListenerJoiningALiveChannelGetsNone() {
    RecordingFeedListener early = new RecordingFeedListener();
    RecordingFeedListener late = new RecordingFeedListener();
    try (ChangeFeed.Subscription a = subscriber.subscribe(key, early)) {
      await().atMost(WAIT).until(() -> early.saw(key.name() + " gap"));
      assertThat(subscriber.isFullySubscribed()).isTrue();
      try (ChangeFeed.Subscription b = subscriber.subscribe(key, late)) {
        publisher.publish(key, 8).toCompletableFuture().join();

        await().atMost(WAIT).until(() -> late.saw(key.name() + "@8"));
        assertThat(early.events).containsExactly(key.name() + " gap", key.name() + "@8");
        assertThat(late.events).containsExactly(key.name() + "@8");
      }
    }
  }

  @Test
  void twoWorkersFeeds_onTheSameKey_bothReceive() {
    RecordingFeedListener onSubscriber = new RecordingFeedListener();
    RecordingFeedListener onPublisher = new RecordingFeedListener();
    try (ChangeFeed.Subscription s1 = subscriber.subscribe(key, onSubscriber);
        ChangeFeed.Subscription s2 = publisher.subscribe(key, onPublisher)) {
      await().atMost(WAIT).until(() -> numsub(key) == 2);

      publisher.publish(key, 11).toCompletableFuture().join();

      await()
          .atMost(WAIT)
          .until(() -> onSubscriber.saw(key.name() + "@11") && onPublisher.saw(key.name() + "@11"));
      // Listeners run on Lettuce's event loop, never on the publishing thread.
      assertThat(onSubscriber.threads).noneMatch(t -> t.equals(Thread.currentThread().getName()));
    }
    await().atMost(WAIT).until(() -> numsub(key) == 0);
  }

  @Test
  void malformedMessages_areIgnored_laterOnesStillDelivered() {
    RecordingFeedListener listener = new RecordingFeedListener();
    try (ChangeFeed.Subscription ignored = subscriber.subscribe(key, listener)) {
      awaitSubscribed();
      for (String junk : new String[] {"", "abc", "-1", "1.5", " 7", "99999999999999999999"}) {
        publish(key, junk);
      }
      publish(key, "12");

      await().atMost(WAIT).until(() -> listener.saw(key.name() + "@12"));
      assertThat(listener.changes()).containsExactly(key.name() + "@12");
    }
  }

  @Test
  void refreshAnnouncements_areDeliveredAsSuch_malformedOnesIgnored() {
    RecordingFeedListener listener = new RecordingFeedListener();
    try (ChangeFeed.Subscription ignored = subscriber.subscribe(key, listener)) {
      awaitSubscribed();
      for (String junk : new String[] {":4000:m", "5:", "5:x:m", "a:1:m", "5:-1:m", "5:1"}) {
        publish(key, junk);
      }
      publisher
          .announceRefreshing(key, 5, "mark:a", Duration.ofSeconds(4))
          .toCompletableFuture()
          .join();
      publish(key, "5:0:");
      publish(key, "6");

      await().atMost(WAIT).until(() -> listener.saw(key.name() + "@6"));
      assertThat(listener.events)
          .containsExactly(
              key.name() + " gap", // the new subscription's
              key.name() + " refreshing 5 for 4000 ms by 'mark:a'",
              key.name() + " refreshing 5 for 0 ms by ''",
              key.name() + "@6");
    }
  }

  @Test
  void subscribeAgain_afterLastClose_resubscribes() {
    RecordingFeedListener listener = new RecordingFeedListener();
    subscriber.subscribe(key, new RecordingFeedListener()).close();
    try (ChangeFeed.Subscription ignored = subscriber.subscribe(key, listener)) {
      awaitSubscribed();
      await().atMost(WAIT).until(() -> numsub(key) == 1);

      publisher.publish(key, 3).toCompletableFuture().join();

      await().atMost(WAIT).until(() -> listener.saw(key.name() + "@3"));
    }
  }

  @Test
  void publish_negativeVersion_isRejected() {
    assertThatThrownBy(() -> publisher.publish(key, -1))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void closedFeed_rejectsSubscribeAndPublish_closeIsIdempotent() throws Exception {
    RedisChangeFeed feed = RedisChangeFeed.create(clients.lettuce(), KEYS);
    ChangeFeed.Subscription open = feed.subscribe(key, new RecordingFeedListener());
    await().atMost(WAIT).until(feed::isFullySubscribed);

    feed.close();
    feed.close();

    assertThat(feed.toString()).contains("closed");
    assertThatThrownBy(() -> feed.subscribe(key, new RecordingFeedListener()))
        .isInstanceOf(IllegalStateException.class);
    assertThat(feed.publish(key, 1).toCompletableFuture())
        .failsWithin(WAIT)
        .withThrowableThat()
        .havingRootCause()
        .isInstanceOf(IllegalStateException.class);
    open.close();
    await().atMost(WAIT).until(() -> numsub(key) == 0);
  }
}

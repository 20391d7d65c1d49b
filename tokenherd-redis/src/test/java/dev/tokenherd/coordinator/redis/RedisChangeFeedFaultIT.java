package dev.tokenherd.coordinator.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.tokenherd.coordinator.TokenKey;
import dev.tokenherd.coordinator.spi.ChangeFeed;
import dev.tokenherd.testkit.RedisServerProcess;
import io.lettuce.core.RedisConnectionException;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The change feed under faults of a real {@code redis-server} process: its pub/sub connection is
 * killed, the server stops and comes back. After each, every subscribed credential gets {@code
 * onGap} and messages flow again, with no help from the test.
 */
final class RedisChangeFeedFaultIT {
  private static final AtomicInteger NAMES = new AtomicInteger();
  private static final RedisKeys KEYS = RedisKeys.of("feed-fault-it");
  private static final Duration WAIT = Duration.ofSeconds(10);

  private final TokenKey first = TokenKey.of("fault-" + NAMES.incrementAndGet());
  private final TokenKey second = TokenKey.of("fault-" + NAMES.incrementAndGet());

  private RedisTestServer server;
  private RedisServerProcess redis;
  private RedisTestClients clients;
  private RedisChangeFeed feed;
  private RedisChangeFeed publisher;

  @BeforeEach
  void start() {
    server = RedisTestServer.process();
    redis = server.processOrFail();
    clients = new RedisTestClients(server.uri());
    feed = RedisChangeFeed.create(clients.lettuce(), KEYS);
    publisher = RedisChangeFeed.create(clients.lettuce(), KEYS);
  }

  @AfterEach
  void stop() throws Exception {
    feed.close();
    publisher.close();
    clients.close();
    server.close();
  }

  private String numsub(TokenKey key) throws Exception {
    // Raw RESP: the reply's first line is the array header; ask for the count on its own.
    return redis.command(
        "EVAL", "return redis.call('PUBSUB','NUMSUB',ARGV[1])[2]", "0", KEYS.changed(key));
  }

  /** Publishes {@code version} until the listener sees it: the first try may beat a resubscribe. */
  private void awaitDelivery(RecordingFeedListener listener, TokenKey key, long version) {
    await()
        .atMost(WAIT)
        .pollInterval(Duration.ofMillis(100))
        .ignoreExceptions()
        .until(
            () -> {
              publisher.publish(key, version).toCompletableFuture().join();
              return listener.saw(key.name() + "@" + version);
            });
  }

  @Test
  void pubSubConnectionKilled_everyKeyGetsAGap_andDeliveryResumes() throws Exception {
    RecordingFeedListener one = new RecordingFeedListener();
    RecordingFeedListener alsoOne = new RecordingFeedListener();
    RecordingFeedListener two = new RecordingFeedListener();
    try (ChangeFeed.Subscription a = feed.subscribe(first, one);
        ChangeFeed.Subscription b = feed.subscribe(first, alsoOne);
        ChangeFeed.Subscription c = feed.subscribe(second, two)) {
      await().atMost(WAIT).until(feed::isFullySubscribed);
      awaitDelivery(one, first, 1);
      await().atMost(WAIT).until(() -> two.saw(second.name() + " gap"));
      // Forget the gaps of the first subscription: only the drop's count from here.
      one.events.clear();
      alsoOne.events.clear();
      two.events.clear();

      assertThat(redis.command("CLIENT", "KILL", "TYPE", "pubsub")).isEqualTo(":1");

      await()
          .atMost(WAIT)
          .until(
              () ->
                  one.saw(first.name() + " gap")
                      && alsoOne.saw(first.name() + " gap")
                      && two.saw(second.name() + " gap"));
      await().atMost(WAIT).until(feed::isFullySubscribed);
      assertThat(numsub(first)).isEqualTo(":1");
      assertThat(numsub(second)).isEqualTo(":1");
      awaitDelivery(one, first, 2);
      awaitDelivery(two, second, 3);
      assertThat(alsoOne.saw(first.name() + "@2")).isTrue();
      // One gap per drop, not one per confirmation.
      assertThat(one.count(first.name() + " gap")).isOne();
    }
  }

  @Test
  void serverStoppedAndStarted_gapsThenDelivery_evenForASubscriptionMadeWhileDown()
      throws Exception {
    RecordingFeedListener before = new RecordingFeedListener();
    RecordingFeedListener whileDown = new RecordingFeedListener();
    try (ChangeFeed.Subscription a = feed.subscribe(first, before)) {
      await().atMost(WAIT).until(() -> before.saw(first.name() + " gap"));
      before.events.clear();

      redis.stop();
      await().atMost(WAIT).until(() -> !feed.isFullySubscribed());
      // REJECT_COMMANDS: this SUBSCRIBE fails at once; the feed retries it after the restart.
      try (ChangeFeed.Subscription b = feed.subscribe(second, whileDown)) {
        assertThat(publisher.publish(first, 1).toCompletableFuture()).failsWithin(WAIT);

        redis.startAgain();

        await()
            .atMost(WAIT)
            .until(
                () -> before.saw(first.name() + " gap") && whileDown.saw(second.name() + " gap"));
        awaitDelivery(before, first, 2);
        awaitDelivery(whileDown, second, 3);
        assertThat(numsub(second)).isEqualTo(":1");
      }
    }
  }

  @Test
  void create_whileRedisIsDown_failsAtOnce() {
    redis.stop();

    assertThatThrownBy(() -> RedisChangeFeed.create(clients.lettuce(), KEYS))
        .isInstanceOf(RedisConnectionException.class);
    redis.startAgain();
  }

  @Test
  void clientShutDownFirst_closingSubscriptionsAndFeedDoesNotThrow() {
    io.lettuce.core.RedisClient client = clients.lettuce();
    RedisChangeFeed early = RedisChangeFeed.create(client, KEYS);
    ChangeFeed.Subscription subscription = early.subscribe(first, new RecordingFeedListener());
    await().atMost(WAIT).until(early::isFullySubscribed);

    client.shutdown();

    subscription.close();
    assertThat(early.publish(first, 1).toCompletableFuture()).failsWithin(WAIT);
    early.close();
  }

  @Test
  void lostUnsubscribe_isUndoneAfterReconnect() throws Exception {
    RecordingFeedListener listener = new RecordingFeedListener();
    ChangeFeed.Subscription subscription = feed.subscribe(first, listener);
    try (ChangeFeed.Subscription keeper = feed.subscribe(second, new RecordingFeedListener())) {
      await().atMost(WAIT).until(feed::isFullySubscribed);

      redis.stop();
      // The UNSUBSCRIBE is rejected; Lettuce still remembers the channel and resubscribes it.
      subscription.close();
      redis.startAgain();

      await().atMost(WAIT).until(() -> numsub(second).equals(":1"));
      await().atMost(WAIT).until(() -> numsub(first).equals(":0"));
      assertThat(listener.changes()).isEmpty();
    }
  }
}

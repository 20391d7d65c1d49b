package dev.tokenherd.coordinator.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.tokenherd.coordinator.TokenKey;
import dev.tokenherd.coordinator.spi.ChangeFeed;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** What every {@link ChangeFeed} must do. Delivery is awaited, never slept for. */
public abstract class ChangeFeedContract {
  /** For the contract's subclasses, one per implementation. */
  protected ChangeFeedContract() {}

  private static final AtomicInteger KEYS = new AtomicInteger();

  protected final TokenKey key = TokenKey.of("feed-contract-" + KEYS.incrementAndGet());

  /** Returns the feed that publishes. */
  protected abstract ChangeFeed publisher();

  /** Returns a feed of another worker on the same bus (may be the same instance in one JVM). */
  protected abstract ChangeFeed subscriber();

  /** Waits until a new subscription of {@link #subscriber()} receives messages. */
  protected void awaitSubscribed() {}

  private void publish(TokenKey target, long version) {
    publisher().publish(target, version).toCompletableFuture().join();
  }

  @Test
  void publish_subscribed_deliversKeyAndVersion() {
    List<String> seen = new CopyOnWriteArrayList<>();
    try (ChangeFeed.Subscription ignored =
        subscriber().subscribe(key, (k, v) -> seen.add(k.name() + "@" + v))) {
      awaitSubscribed();
      publish(key, 7);

      await().atMost(Duration.ofSeconds(5)).until(() -> !seen.isEmpty());
      assertThat(seen).containsExactly(key.name() + "@7");
    }
  }

  @Test
  void publish_otherKey_isNotDelivered() {
    List<Long> seen = new CopyOnWriteArrayList<>();
    TokenKey other = TokenKey.of(key.name() + "-other");
    try (ChangeFeed.Subscription ignored = subscriber().subscribe(key, (k, v) -> seen.add(v));
        ChangeFeed.Subscription marker = subscriber().subscribe(other, (k, v) -> seen.add(-v))) {
      awaitSubscribed();
      publish(other, 3);

      await().atMost(Duration.ofSeconds(5)).until(() -> seen.contains(-3L));
      assertThat(seen).containsExactly(-3L);
    }
  }

  @Test
  void subscribe_twoListeners_bothReceive() {
    List<Long> first = new CopyOnWriteArrayList<>();
    List<Long> second = new CopyOnWriteArrayList<>();
    try (ChangeFeed.Subscription a = subscriber().subscribe(key, (k, v) -> first.add(v));
        ChangeFeed.Subscription b = subscriber().subscribe(key, (k, v) -> second.add(v))) {
      awaitSubscribed();
      publish(key, 1);

      await().atMost(Duration.ofSeconds(5)).until(() -> first.size() == 1 && second.size() == 1);
    }
  }

  @Test
  void close_stopsDelivery() {
    List<Long> seen = new CopyOnWriteArrayList<>();
    List<Long> marker = new CopyOnWriteArrayList<>();
    ChangeFeed.Subscription closed = subscriber().subscribe(key, (k, v) -> seen.add(v));
    try (ChangeFeed.Subscription open = subscriber().subscribe(key, (k, v) -> marker.add(v))) {
      awaitSubscribed();
      closed.close();
      closed.close(); // idempotent
      publish(key, 9);

      await().atMost(Duration.ofSeconds(5)).until(() -> marker.contains(9L));
      assertThat(seen).isEmpty();
    }
  }

  @Test
  void listenerThatThrows_doesNotStopOtherListeners() {
    List<Long> seen = new CopyOnWriteArrayList<>();
    try (ChangeFeed.Subscription bad =
            subscriber()
                .subscribe(
                    key,
                    (k, v) -> {
                      throw new IllegalStateException("listener bug");
                    });
        ChangeFeed.Subscription good = subscriber().subscribe(key, (k, v) -> seen.add(v))) {
      awaitSubscribed();
      publish(key, 4);

      await().atMost(Duration.ofSeconds(5)).until(() -> seen.contains(4L));
    }
  }
}

package dev.tokenherd.coordinator.memory;

import dev.tokenherd.coordinator.spi.ChangeFeed;
import dev.tokenherd.coordinator.spi.TokenStore;
import dev.tokenherd.coordinator.testing.TokenStoreContract;
import dev.tokenherd.testkit.MutableClock;
import java.time.Duration;
import java.time.Instant;

final class InMemoryTokenStoreTest extends TokenStoreContract {
  private final MutableClock clock = MutableClock.at(Instant.parse("2030-01-01T00:00:00Z"));
  private final InMemoryChangeFeed feed = new InMemoryChangeFeed();
  private final InMemoryTokenStore store = new InMemoryTokenStore(feed, clock);

  @Override
  protected TokenStore store() {
    return store;
  }

  @Override
  protected ChangeFeed feed() {
    return feed;
  }

  @Override
  protected void advanceStoreClock(Duration duration) {
    clock.advance(duration);
  }
}

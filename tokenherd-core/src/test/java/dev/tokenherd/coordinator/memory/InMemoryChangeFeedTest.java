package dev.tokenherd.coordinator.memory;

import dev.tokenherd.coordinator.spi.ChangeFeed;
import dev.tokenherd.coordinator.testing.ChangeFeedContract;

final class InMemoryChangeFeedTest extends ChangeFeedContract {
  private final InMemoryChangeFeed feed = new InMemoryChangeFeed();

  @Override
  protected ChangeFeed publisher() {
    return feed;
  }

  @Override
  protected ChangeFeed subscriber() {
    return feed;
  }
}

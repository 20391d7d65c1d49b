package dev.tokenherd.coordinator.memory;

import dev.tokenherd.coordinator.spi.ChangeFeed;
import dev.tokenherd.coordinator.spi.TokenStore;
import dev.tokenherd.coordinator.spi.TokenStoreContract;

final class InMemoryTokenStoreTest extends TokenStoreContract {
  private final InMemoryChangeFeed feed = new InMemoryChangeFeed();
  private final InMemoryTokenStore store = new InMemoryTokenStore(feed);

  @Override
  protected TokenStore store() {
    return store;
  }

  @Override
  protected ChangeFeed feed() {
    return feed;
  }
}

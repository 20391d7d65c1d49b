package dev.tokenherd.coordinator.internal;

import dev.tokenherd.coordinator.spi.ForwardingTokenStore;
import dev.tokenherd.coordinator.spi.TokenStore;

/**
 * A store that can fail over to another one, as Redis does when a replica is promoted: what the old
 * primary accepted but had not replicated is gone, and versions can be handed out again.
 */
final class FailoverStore extends ForwardingTokenStore {
  volatile TokenStore current;

  FailoverStore(TokenStore primary) {
    this.current = primary;
  }

  @Override
  protected TokenStore delegate() {
    return current;
  }
}

package dev.tokenherd.coordinator.internal;

import dev.tokenherd.coordinator.TokenKey;
import dev.tokenherd.coordinator.spi.TokenRecord;
import dev.tokenherd.coordinator.spi.TokenStore;
import dev.tokenherd.coordinator.spi.WriteOutcome;
import java.util.Optional;
import java.util.concurrent.CompletionStage;

/**
 * A store that can fail over to another one, as Redis does when a replica is promoted: what the old
 * primary accepted but had not replicated is gone, and versions can be handed out again.
 */
final class FailoverStore implements TokenStore {
  volatile TokenStore current;

  FailoverStore(TokenStore primary) {
    this.current = primary;
  }

  @Override
  public CompletionStage<Optional<TokenRecord>> read(TokenKey key) {
    return current.read(key);
  }

  @Override
  public CompletionStage<WriteOutcome> compareAndSet(
      TokenKey key, long expectedVersion, TokenRecord next) {
    return current.compareAndSet(key, expectedVersion, next);
  }
}

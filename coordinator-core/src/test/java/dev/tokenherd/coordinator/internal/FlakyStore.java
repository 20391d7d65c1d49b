package dev.tokenherd.coordinator.internal;

import dev.tokenherd.coordinator.TokenKey;
import dev.tokenherd.coordinator.spi.TokenRecord;
import dev.tokenherd.coordinator.spi.TokenStore;
import dev.tokenherd.coordinator.spi.WriteOutcome;
import java.io.UncheckedIOException;
import java.net.ConnectException;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/** A store that can be switched off, failing every call as an unreachable Redis would. */
final class FlakyStore implements TokenStore {
  private final TokenStore delegate;
  volatile boolean down;

  FlakyStore(TokenStore delegate) {
    this.delegate = delegate;
  }

  @Override
  public CompletionStage<Optional<TokenRecord>> read(TokenKey key) {
    return down ? failure() : delegate.read(key);
  }

  @Override
  public CompletionStage<WriteOutcome> compareAndSet(
      TokenKey key, long expectedVersion, TokenRecord next) {
    return down ? failure() : delegate.compareAndSet(key, expectedVersion, next);
  }

  private static <T> CompletionStage<T> failure() {
    return CompletableFuture.failedFuture(
        new UncheckedIOException(new ConnectException("connection refused")));
  }
}

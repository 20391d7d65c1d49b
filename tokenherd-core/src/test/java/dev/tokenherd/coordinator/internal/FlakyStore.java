package dev.tokenherd.coordinator.internal;

import dev.tokenherd.coordinator.TokenKey;
import dev.tokenherd.coordinator.spi.ForwardingTokenStore.SimpleForwardingTokenStore;
import dev.tokenherd.coordinator.spi.TokenRecord;
import dev.tokenherd.coordinator.spi.TokenStore;
import dev.tokenherd.coordinator.spi.WriteOutcome;
import java.io.UncheckedIOException;
import java.net.ConnectException;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicInteger;

/** A store that can be switched off, failing every call as an unreachable Redis would. */
final class FlakyStore extends SimpleForwardingTokenStore {
  volatile boolean down;

  /** How many of the next content writes (a new version) fail as if Redis had just gone away. */
  final AtomicInteger failContentWrites = new AtomicInteger();

  FlakyStore(TokenStore delegate) {
    super(delegate);
  }

  @Override
  public CompletionStage<Optional<TokenRecord>> read(TokenKey key) {
    return down ? failure() : super.read(key);
  }

  @Override
  public CompletionStage<WriteOutcome> compareAndSet(
      TokenKey key, long expectedVersion, TokenRecord next) {
    if (next.version() == expectedVersion + 1
        && failContentWrites.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
      return failure();
    }
    return down ? failure() : super.compareAndSet(key, expectedVersion, next);
  }

  private static <T> CompletionStage<T> failure() {
    return CompletableFuture.failedFuture(
        new UncheckedIOException(new ConnectException("connection refused")));
  }
}

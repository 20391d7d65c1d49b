package dev.tokenherd.coordinator.testing;

import dev.tokenherd.coordinator.TokenKey;
import dev.tokenherd.coordinator.spi.TokenRecord;
import dev.tokenherd.coordinator.spi.TokenStore;
import dev.tokenherd.coordinator.spi.WriteOutcome;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletionStage;

/**
 * A store that forwards every call to another one, in the style of Guava's {@code
 * ForwardingObject}: a test's store that fails, counts or holds back some calls extends it and
 * overrides only those, calling {@code super} for the rest.
 *
 * <p>{@link #delegate()} is asked on every call, so a subclass may swap what it forwards to (a
 * failover, a flushed Redis) while calls are under way. A subclass whose delegate never changes
 * extends {@link SimpleForwardingTokenStore} instead.
 */
public abstract class ForwardingTokenStore implements TokenStore {

  /** Constructor for use by subclasses. */
  protected ForwardingTokenStore() {}

  /** The store that calls are forwarded to; asked again on every call. */
  protected abstract TokenStore delegate();

  @Override
  public CompletionStage<Optional<TokenRecord>> read(TokenKey key) {
    return delegate().read(key);
  }

  @Override
  public CompletionStage<WriteOutcome> compareAndSet(
      TokenKey key, long expectedVersion, TokenRecord next) {
    return delegate().compareAndSet(key, expectedVersion, next);
  }

  /**
   * A {@link ForwardingTokenStore} whose delegate is given once, at construction, as Guava's {@code
   * SimpleForwardingFuture} is.
   */
  public abstract static class SimpleForwardingTokenStore extends ForwardingTokenStore {
    private final TokenStore delegate;

    protected SimpleForwardingTokenStore(TokenStore delegate) {
      this.delegate = Objects.requireNonNull(delegate, "delegate");
    }

    @Override
    protected final TokenStore delegate() {
      return delegate;
    }
  }
}

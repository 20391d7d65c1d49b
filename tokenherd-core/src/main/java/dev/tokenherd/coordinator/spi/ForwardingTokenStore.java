package dev.tokenherd.coordinator.spi;

import dev.tokenherd.coordinator.TokenKey;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletionStage;

/**
 * A store that forwards every call to another one, in the style of Guava's {@code
 * ForwardingObject}: a decorator that times, logs, counts or holds back some calls (metrics, an
 * audit log, a test's faulty store) extends it and overrides only those, calling {@code super} for
 * the rest, and keeps working when {@link TokenStore} gains a method.
 *
 * <p>{@link #delegate()} is asked on every call, so a subclass may swap what it forwards to (a
 * failover, a flushed Redis) while calls are under way. A subclass whose delegate never changes
 * extends {@link SimpleForwardingTokenStore} instead.
 */
public abstract class ForwardingTokenStore implements TokenStore {

  /** Constructor for use by subclasses. */
  protected ForwardingTokenStore() {}

  /**
   * Returns the store that calls are forwarded to; asked again on every call.
   *
   * @return the store forwarded to
   */
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

    /**
     * Constructor for use by subclasses.
     *
     * @param delegate the store every call is forwarded to
     */
    protected SimpleForwardingTokenStore(TokenStore delegate) {
      this.delegate = Objects.requireNonNull(delegate, "delegate");
    }

    @Override
    protected final TokenStore delegate() {
      return delegate;
    }
  }
}

package dev.tokenherd.coordinator.internal;

import dev.tokenherd.coordinator.RefreshListener;
import dev.tokenherd.coordinator.RefreshPolicy;
import dev.tokenherd.coordinator.Renewal;
import dev.tokenherd.coordinator.TokenKey;
import dev.tokenherd.coordinator.spi.TokenEndpoint;
import dev.tokenherd.coordinator.spi.TokenRecord;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What every part of one credential's engine shares: the credential and how it renews, the herd's
 * {@link Environment}, the counters, whether the coordinator still serves, and the last failure
 * (which a caller that times out is told). Also the two calls every part makes the same way:
 * reading the store and telling the listener.
 */
final class CredentialContext {
  private static final Logger log = LoggerFactory.getLogger(CredentialContext.class);

  private final TokenKey key;
  private final TokenEndpoint endpoint;
  private final Renewal renewal;
  private final Environment env;
  private final Counters counters = new Counters();
  private volatile boolean closed;
  private volatile @Nullable Throwable lastFailure;

  /** Whether {@link #lastFailure} came after the last refresh that succeeded in this worker. */
  private volatile boolean failedSinceSuccess;

  CredentialContext(TokenKey key, TokenEndpoint endpoint, Renewal renewal, Environment env) {
    this.key = key;
    this.endpoint = endpoint;
    this.renewal = renewal;
    this.env = env;
  }

  TokenKey key() {
    return key;
  }

  TokenEndpoint endpoint() {
    return endpoint;
  }

  Renewal renewal() {
    return renewal;
  }

  Environment env() {
    return env;
  }

  RefreshPolicy policy() {
    return env.policy();
  }

  Counters counters() {
    return counters;
  }

  /** Returns the fleet's time now: every instant the engine stores or compares is on it. */
  Instant now() {
    return env.clock().instant();
  }

  /** Whether the coordinator stopped serving: no new attempt starts, callers fail at once. */
  boolean closed() {
    return closed;
  }

  void close() {
    closed = true;
  }

  /** The last failure of a refresh, for the message of a caller's timeout; {@code null} if none. */
  @Nullable Throwable lastFailure() {
    return lastFailure;
  }

  void lastFailure(Throwable failure) {
    lastFailure = failure;
    failedSinceSuccess = true;
  }

  /** Records that a flight landed with a record and no failure. */
  void succeeded() {
    failedSinceSuccess = false;
  }

  /** The last failure if no flight succeeded after it; for {@code TokenCoordinator.state()}. */
  @Nullable Throwable failureSinceSuccess() {
    return failedSinceSuccess ? lastFailure : null;
  }

  /** Reads the stored record; a store that throws instead of failing the stage fails it too. */
  CompletionStage<Optional<TokenRecord>> read() {
    try {
      return env.store().read(key);
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
  }

  /**
   * Tells the listener of an event, on the herd's executor. A listener's exception is logged, never
   * propagated: a broken listener must not break refreshes.
   */
  void notifyListener(Consumer<RefreshListener> event) {
    try {
      env.executor()
          .execute(
              () -> {
                try {
                  event.accept(env.listener());
                } catch (RuntimeException e) {
                  log.warn("credential '{}': refresh listener failed", key, e);
                }
              });
    } catch (RejectedExecutionException e) {
      log.debug("credential '{}': listener event dropped, executor rejected it", key);
    }
  }
}

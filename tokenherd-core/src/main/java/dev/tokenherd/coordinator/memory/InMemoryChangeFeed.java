package dev.tokenherd.coordinator.memory;

import static java.util.Objects.requireNonNull;

import dev.tokenherd.coordinator.TokenKey;
import dev.tokenherd.coordinator.spi.ChangeFeed;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A change feed within one JVM. Listeners run synchronously on the publishing thread, in
 * subscription order; a listener that throws is logged and does not stop the others.
 */
public final class InMemoryChangeFeed implements ChangeFeed {
  private static final Logger log = LoggerFactory.getLogger(InMemoryChangeFeed.class);

  private final ConcurrentMap<TokenKey, List<Listener>> listeners = new ConcurrentHashMap<>();

  /** Creates an empty feed. */
  public InMemoryChangeFeed() {}

  @Override
  public CompletionStage<Void> publish(TokenKey key, long version) {
    requireNonNull(key, "key");
    return deliver(key, listener -> listener.onChange(key, version));
  }

  @Override
  public CompletionStage<Void> announceRefreshing(
      TokenKey key, long version, String markId, Duration window) {
    requireNonNull(key, "key");
    requireNonNull(markId, "markId");
    requireNonNull(window, "window");
    return deliver(key, listener -> listener.onRefreshing(key, version, markId, window));
  }

  /** Calls each listener of {@code key} in turn; one that throws is logged and skipped. */
  private CompletionStage<Void> deliver(TokenKey key, Consumer<Listener> call) {
    for (Listener listener : listeners.getOrDefault(key, List.of())) {
      try {
        call.accept(listener);
      } catch (RuntimeException e) {
        log.warn("change listener for credential '{}' failed", key, e);
      }
    }
    return CompletableFuture.completedFuture(null);
  }

  @Override
  public Subscription subscribe(TokenKey key, Listener listener) {
    requireNonNull(key, "key");
    requireNonNull(listener, "listener");
    listeners.compute(
        key,
        (k, forKey) -> {
          List<Listener> next = forKey == null ? new CopyOnWriteArrayList<>() : forKey;
          next.add(listener);
          return next;
        });
    // The key's entry goes with its last listener: credentials that come and go leave nothing.
    return () ->
        listeners.computeIfPresent(
            key,
            (k, forKey) -> {
              forKey.remove(listener);
              return forKey.isEmpty() ? null : forKey;
            });
  }

  /**
   * Returns how many credentials have at least one listener.
   *
   * @return the number of keys subscribed to
   */
  public int subscribedKeys() {
    return listeners.size();
  }
}

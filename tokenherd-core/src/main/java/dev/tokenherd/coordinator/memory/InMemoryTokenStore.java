package dev.tokenherd.coordinator.memory;

import static java.util.Objects.requireNonNull;

import dev.tokenherd.coordinator.TokenKey;
import dev.tokenherd.coordinator.spi.ChangeFeed;
import dev.tokenherd.coordinator.spi.TokenRecord;
import dev.tokenherd.coordinator.spi.TokenStore;
import dev.tokenherd.coordinator.spi.WriteOutcome;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import org.jspecify.annotations.Nullable;

/**
 * A token store within one JVM. Compare-and-set is atomic per key, and a change of version is
 * published on the given change feed after the write, as the Redis store does in its write script.
 */
public final class InMemoryTokenStore implements TokenStore {
  private final ConcurrentMap<TokenKey, TokenRecord> records = new ConcurrentHashMap<>();
  private final @Nullable ChangeFeed feed;

  /**
   * Creates an empty store that publishes its changes on {@code feed}.
   *
   * @param feed the feed to announce new versions on
   */
  public InMemoryTokenStore(ChangeFeed feed) {
    this.feed = requireNonNull(feed, "feed");
  }

  /** Creates an empty store that announces nothing. */
  public InMemoryTokenStore() {
    this.feed = null;
  }

  @Override
  public CompletionStage<Optional<TokenRecord>> read(TokenKey key) {
    return CompletableFuture.completedFuture(Optional.ofNullable(records.get(requireNonNull(key))));
  }

  @Override
  public CompletionStage<WriteOutcome> compareAndSet(
      TokenKey key, long expectedVersion, TokenRecord next) {
    requireNonNull(key, "key");
    requireNonNull(next, "next");
    if (next.version() != expectedVersion && next.version() != expectedVersion + 1) {
      throw new IllegalArgumentException(
          "next version " + next.version() + " must be " + expectedVersion + " or one more");
    }
    WriteOutcome[] outcome = new WriteOutcome[1];
    records.compute(
        key,
        (k, current) -> {
          outcome[0] = decide(current, expectedVersion, next);
          return outcome[0].applied() ? next : current;
        });
    WriteOutcome result = outcome[0];
    if (result.applied() && next.version() != expectedVersion && feed != null) {
      feed.publish(key, next.version());
    }
    return CompletableFuture.completedFuture(result);
  }

  private static WriteOutcome decide(
      @Nullable TokenRecord current, long expectedVersion, TokenRecord next) {
    long currentVersion = current == null ? 0 : current.version();
    if (current != null && current.schemaVersion() > next.schemaVersion()) {
      return new WriteOutcome(WriteOutcome.Result.SCHEMA_NEWER, current);
    }
    if (current != null && next.fence() < current.fence()) {
      return new WriteOutcome(WriteOutcome.Result.FENCE_REJECTED, current);
    }
    if (currentVersion != expectedVersion) {
      // Exactly this record is stored: a retry of a write that was applied (the Redis store can
      // lose the answer to a write; this one cannot, but it keeps the same contract).
      return next.equals(current)
          ? new WriteOutcome(WriteOutcome.Result.APPLIED, next)
          : new WriteOutcome(WriteOutcome.Result.VERSION_MOVED, current);
    }
    return new WriteOutcome(WriteOutcome.Result.APPLIED, next);
  }
}

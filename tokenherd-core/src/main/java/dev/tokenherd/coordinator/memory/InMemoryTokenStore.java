package dev.tokenherd.coordinator.memory;

import static java.util.Objects.requireNonNull;

import dev.tokenherd.coordinator.TokenKey;
import dev.tokenherd.coordinator.spi.ChangeFeed;
import dev.tokenherd.coordinator.spi.RefreshMark;
import dev.tokenherd.coordinator.spi.TokenRecord;
import dev.tokenherd.coordinator.spi.TokenStore;
import dev.tokenherd.coordinator.spi.WriteOutcome;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import org.jspecify.annotations.Nullable;

/**
 * A token store within one JVM. Compare-and-set is atomic per key, and a change of version is
 * published on the given change feed after the write, as the Redis store does in its write script.
 * A refresh mark's {@linkplain RefreshMark#window() window} is timed by the store's clock.
 */
public final class InMemoryTokenStore implements TokenStore {
  /** A stored record, and until when its refresh mark is live by this store's clock. */
  private record Stored(TokenRecord record, Instant markLiveUntil) {}

  private final ConcurrentMap<TokenKey, Stored> records = new ConcurrentHashMap<>();
  private final @Nullable ChangeFeed feed;
  private final Clock clock;

  /**
   * Creates an empty store that publishes its changes on {@code feed} and times refresh marks by
   * {@code clock}.
   *
   * @param feed the feed to announce new versions on
   * @param clock the store's own clock, which times how long a refresh mark stays live
   */
  public InMemoryTokenStore(ChangeFeed feed, Clock clock) {
    this.feed = requireNonNull(feed, "feed");
    this.clock = requireNonNull(clock, "clock");
  }

  /**
   * Creates an empty store that publishes its changes on {@code feed}, on the system clock.
   *
   * @param feed the feed to announce new versions on
   */
  public InMemoryTokenStore(ChangeFeed feed) {
    this(feed, Clock.systemUTC());
  }

  /** Creates an empty store that announces nothing, on the system clock. */
  public InMemoryTokenStore() {
    this.feed = null;
    this.clock = Clock.systemUTC();
  }

  @Override
  public CompletionStage<Optional<TokenRecord>> read(TokenKey key) {
    Stored stored = records.get(requireNonNull(key));
    return CompletableFuture.completedFuture(Optional.ofNullable(stored).map(Stored::record));
  }

  @Override
  public CompletionStage<WriteOutcome> compareAndSet(
      TokenKey key, long expectedVersion, TokenRecord next) {
    TokenStore.checkCompareAndSet(key, expectedVersion, next);
    WriteOutcome[] outcome = new WriteOutcome[1];
    records.compute(
        key,
        (k, current) -> {
          Instant now = clock.instant();
          outcome[0] = decide(current, expectedVersion, next, now);
          if (!outcome[0].applied()) {
            return current;
          }
          RefreshMark mark = next.refreshing();
          return new Stored(next, mark == null ? Instant.MIN : now.plus(mark.window()));
        });
    WriteOutcome result = outcome[0];
    if (result.applied() && feed != null) {
      if (next.version() != expectedVersion) {
        feed.publish(key, next.version());
      } else {
        // A metadata change: a refresh mark written (its window), or settled or taken back (0).
        RefreshMark mark = next.refreshing();
        feed.announceRefreshing(
            key,
            next.version(),
            mark == null ? "" : mark.id(),
            mark == null ? Duration.ZERO : mark.window());
      }
    }
    return CompletableFuture.completedFuture(result);
  }

  private static WriteOutcome decide(
      @Nullable Stored stored, long expectedVersion, TokenRecord next, Instant now) {
    TokenRecord current = stored == null ? null : stored.record();
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
    if (current != null && !current.generation().equals(next.generation())) {
      // The record was deleted and created again since the writer read it: the same version
      // number, another life of the record.
      return new WriteOutcome(WriteOutcome.Result.VERSION_MOVED, current);
    }
    if (stored != null && heldByAnother(stored, next, now)) {
      return new WriteOutcome(WriteOutcome.Result.MARK_HELD, current);
    }
    return new WriteOutcome(WriteOutcome.Result.APPLIED, next);
  }

  private static boolean heldByAnother(Stored stored, TokenRecord next, Instant now) {
    RefreshMark held = stored.record().refreshing();
    RefreshMark mark = next.refreshing();
    return mark != null
        && held != null
        && !held.id().equals(mark.id())
        && now.isBefore(stored.markLiveUntil());
  }
}

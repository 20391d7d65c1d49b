package dev.tokenherd.coordinator.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.tokenherd.coordinator.ReauthenticationReason;
import dev.tokenherd.coordinator.TokenKey;
import dev.tokenherd.coordinator.TokenSet;
import dev.tokenherd.coordinator.UnreadableRecordException;
import dev.tokenherd.coordinator.spi.ChangeFeed;
import dev.tokenherd.coordinator.spi.RefreshMark;
import dev.tokenherd.coordinator.spi.TokenRecord;
import dev.tokenherd.coordinator.spi.TokenStatus;
import dev.tokenherd.coordinator.spi.TokenStore;
import dev.tokenherd.coordinator.spi.WriteOutcome;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;

/**
 * What every {@link TokenStore} must do. Implementations' tests extend this and supply a fresh
 * store per test (and the feed it publishes on, if any).
 */
public abstract class TokenStoreContract {
  /** For the contract's subclasses, one per implementation. */
  protected TokenStoreContract() {}

  protected static final Instant T0 = Instant.parse("2030-01-01T00:00:00Z");
  private static final AtomicInteger KEYS = new AtomicInteger();

  /** Returns the store under test (the same instance for the whole test). */
  protected abstract TokenStore store();

  /** Returns the feed the store announces content changes on, or null if it announces none. */
  protected abstract @Nullable ChangeFeed feed();

  protected final TokenKey key = TokenKey.of("contract-" + KEYS.incrementAndGet());

  protected static TokenSet tokens(String access) {
    return new TokenSet(
        access, "Bearer", "refresh-of-" + access, Set.of("a", "b"), T0, T0.plusSeconds(3600));
  }

  protected static TokenRecord record(long version, long fence, String access) {
    return TokenRecord.seeded(tokens(access), version, fence, "writer-" + version, T0);
  }

  private WriteOutcome cas(long expected, TokenRecord next) {
    return store().compareAndSet(key, expected, next).toCompletableFuture().join();
  }

  private Optional<TokenRecord> read() {
    return store().read(key).toCompletableFuture().join();
  }

  @Test
  void read_nothingWritten_isEmpty() {
    assertThat(read()).isEmpty();
  }

  @Test
  void compareAndSet_firstWriteExpectingZero_isApplied() {
    WriteOutcome outcome = cas(0, record(1, 1, "a1"));

    assertThat(outcome.result()).isEqualTo(WriteOutcome.Result.APPLIED);
    assertThat(outcome.current()).isEqualTo(record(1, 1, "a1"));
    assertThat(read()).contains(record(1, 1, "a1"));
  }

  @Test
  void compareAndSet_roundTrip_keepsEveryField() {
    TokenRecord full =
        TokenRecord.builder()
            .version(1)
            .fence(7)
            .tokens(tokens("a1"))
            .refreshing(new RefreshMark(7, "host/42", T0.plusMillis(5), "sha256:abc"))
            .writer("host/42")
            .writtenAt(T0.plusMillis(6))
            .build();
    cas(0, full);
    TokenRecord reauth =
        TokenRecord.builder()
            .version(2)
            .fence(8)
            .status(TokenStatus.REAUTH_REQUIRED)
            .reauthReason(ReauthenticationReason.LOST_ROTATION)
            .errorCode("invalid_grant")
            .writer("host/43")
            .writtenAt(T0.plusMillis(7))
            .build();

    assertThat(read()).contains(full);
    assertThat(cas(1, reauth).applied()).isTrue();
    assertThat(read()).contains(reauth);
  }

  @Test
  void compareAndSet_versionMoved_isRejectedAndReportsTheStoredRecord() {
    cas(0, record(1, 1, "a1"));
    cas(1, record(2, 1, "a2"));

    WriteOutcome outcome = cas(1, record(2, 2, "late"));

    assertThat(outcome.result()).isEqualTo(WriteOutcome.Result.VERSION_MOVED);
    assertThat(outcome.current()).isEqualTo(record(2, 1, "a2"));
    assertThat(read()).contains(record(2, 1, "a2"));
  }

  @Test
  void compareAndSet_retryOfAnAppliedWrite_isReportedApplied() {
    cas(0, record(1, 1, "a1"));
    TokenRecord rotation = record(2, 1, "a2");
    assertThat(cas(1, rotation).applied()).isTrue();

    // The answer to the first write was lost (a timeout): the writer sends the same write again.
    WriteOutcome retried = cas(1, rotation);

    assertThat(retried.applied()).isTrue();
    assertThat(retried.current()).isEqualTo(rotation);
    assertThat(read()).contains(rotation);
    // Another writer's record at that version is no retry of this one.
    assertThat(cas(1, record(2, 1, "other")).result()).isEqualTo(WriteOutcome.Result.VERSION_MOVED);
  }

  @Test
  void compareAndSet_expectingZeroWhenARecordExists_isRejected() {
    cas(0, record(1, 1, "a1"));

    assertThat(cas(0, record(1, 2, "other")).result()).isEqualTo(WriteOutcome.Result.VERSION_MOVED);
  }

  @Test
  void compareAndSet_lowerFence_isRejectedEvenAtTheRightVersion() {
    cas(0, record(1, 5, "a1"));

    WriteOutcome outcome = cas(1, record(2, 4, "stale-holder"));

    assertThat(outcome.result()).isEqualTo(WriteOutcome.Result.FENCE_REJECTED);
    assertThat(read()).contains(record(1, 5, "a1"));
  }

  @Test
  void compareAndSet_equalFence_isAccepted() {
    cas(0, record(1, 5, "a1"));

    assertThat(cas(1, record(2, 5, "a2")).applied()).isTrue();
  }

  @Test
  void compareAndSet_newerSchemaStored_isNeverOverwritten() {
    TokenRecord future =
        TokenRecord.builder()
            .schemaVersion(TokenRecord.CURRENT_SCHEMA + 1)
            .version(1)
            .fence(1)
            .tokens(tokens("from-the-future"))
            .writer("new-worker")
            .writtenAt(T0)
            .build();
    assertThat(cas(0, future).applied()).isTrue();

    WriteOutcome outcome = cas(1, record(2, 2, "old-worker"));

    assertThat(outcome.result()).isEqualTo(WriteOutcome.Result.SCHEMA_NEWER);
    assertThat(storedSchema()).isEqualTo(TokenRecord.CURRENT_SCHEMA + 1);
  }

  /**
   * Returns the stored record's schema. A store may return a record of a newer schema as far as it
   * understands it (the in-memory store holds the object itself) or refuse to read it with {@code
   * SCHEMA_TOO_NEW} (a store that decodes a layout it may not know); both keep it in place.
   */
  private int storedSchema() {
    try {
      return read().orElseThrow().schemaVersion();
    } catch (CompletionException e) {
      assertThat(e.getCause())
          .isInstanceOfSatisfying(
              UnreadableRecordException.class,
              u ->
                  assertThat(u.problem())
                      .isEqualTo(UnreadableRecordException.Problem.SCHEMA_TOO_NEW));
      return TokenRecord.CURRENT_SCHEMA + 1;
    }
  }

  @Test
  void compareAndSet_versionNeitherSameNorNext_isRefused() {
    assertThatThrownBy(() -> store().compareAndSet(key, 0, record(3, 1, "skip")))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void compareAndSet_metadataOnlyWrite_keepsTheVersion() {
    cas(0, record(1, 1, "a1"));
    TokenRecord marked =
        TokenRecord.builder()
            .version(1)
            .fence(2)
            .tokens(tokens("a1"))
            .refreshing(new RefreshMark(2, "h", T0, "sha256:x"))
            .writer("writer-1")
            .writtenAt(T0)
            .build();

    assertThat(cas(1, marked).applied()).isTrue();
    assertThat(read()).contains(marked);
    // the fence moved with the mark: a holder with fence 1 can no longer write
    assertThat(cas(1, record(2, 1, "late")).result()).isEqualTo(WriteOutcome.Result.FENCE_REJECTED);
  }

  private static TokenRecord markedBy(long fence, String id, Duration window) {
    return TokenRecord.builder()
        .version(1)
        .fence(fence)
        .tokens(tokens("a1"))
        .refreshing(new RefreshMark(fence, "holder-" + fence, T0, "sha256:x", id, window))
        .writer("writer-1")
        .writtenAt(T0)
        .build();
  }

  @Test
  void compareAndSet_recordCreatedAgainAtTheExpectedVersion_isAMovedVersion() {
    TokenRecord first = TokenRecord.seeded(tokens("a1"), 1, 1, "w", T0, "generation-a");
    assertThat(cas(0, first).applied()).isTrue();

    // A writer that read another life of the record (generation b), at the same version
    WriteOutcome outcome = cas(1, TokenRecord.seeded(tokens("b2"), 2, 1, "w", T0, "generation-b"));

    assertThat(outcome.result()).isEqualTo(WriteOutcome.Result.VERSION_MOVED);
    assertThat(outcome.current()).isEqualTo(first);
    TokenRecord next = TokenRecord.seeded(tokens("a2"), 2, 1, "w", T0, "generation-a");
    assertThat(cas(1, next).applied()).isTrue();
    assertThat(read()).contains(next);
  }

  @Test
  void compareAndSet_markOverAnotherLiveMark_isRefusedAsHeld_whateverTheFence() {
    cas(0, record(1, 1, "a1"));
    TokenRecord first = markedBy(2, "mark-a", Duration.ofHours(1));
    assertThat(cas(1, first).applied()).isTrue();

    WriteOutcome second = cas(1, markedBy(3, "mark-b", Duration.ofHours(1)));

    assertThat(second.result()).isEqualTo(WriteOutcome.Result.MARK_HELD);
    assertThat(second.current()).isEqualTo(first);
    assertThat(read()).contains(first);
  }

  @Test
  void compareAndSet_markOverItsOwnMarkOrASettledOne_isApplied() {
    cas(0, record(1, 1, "a1"));
    assertThat(cas(1, markedBy(2, "mark-a", Duration.ofHours(1))).applied()).isTrue();
    // the same mark again (a re-fenced holder keeps its id only if it writes the same mark)
    TokenRecord again = markedBy(2, "mark-a", Duration.ZERO);
    assertThat(cas(1, again).applied()).isTrue();
    // settled: the next holder's mark is taken
    TokenRecord next = markedBy(3, "mark-b", Duration.ofHours(1));
    assertThat(cas(1, next).applied()).isTrue();
    assertThat(read()).contains(next);
  }

  @Test
  void compareAndSet_writeWithoutAMarkOverALiveMark_isApplied_andTheNextMarkIsFree() {
    cas(0, record(1, 1, "a1"));
    assertThat(cas(1, markedBy(2, "mark-a", Duration.ofHours(1))).applied()).isTrue();
    // the holder's rotation (or an operator's seed) carries no mark and replaces it
    assertThat(cas(1, record(2, 2, "a2")).applied()).isTrue();

    TokenRecord marked =
        TokenRecord.builder()
            .version(2)
            .fence(3)
            .tokens(tokens("a2"))
            .refreshing(
                new RefreshMark(3, "holder-3", T0, "sha256:y", "mark-b", Duration.ofHours(1)))
            .writer("writer-2")
            .writtenAt(T0)
            .build();
    assertThat(cas(2, marked).applied()).isTrue();
  }

  @Test
  void compareAndSet_markWindowEnds_byTheStoresClock() {
    cas(0, record(1, 1, "a1"));
    assertThat(cas(1, markedBy(2, "mark-a", Duration.ofMillis(300))).applied()).isTrue();
    assertThat(cas(1, markedBy(3, "mark-b", Duration.ofHours(1))).result())
        .isEqualTo(WriteOutcome.Result.MARK_HELD);

    advanceStoreClock(Duration.ofMillis(400));

    assertThat(cas(1, markedBy(3, "mark-b", Duration.ofHours(1))).applied()).isTrue();
  }

  /**
   * Lets {@code duration} pass on the store's own clock: a virtual clock advances, a real server's
   * clock is awaited (the default).
   */
  protected void advanceStoreClock(Duration duration) {
    Instant until = Instant.now().plus(duration);
    await()
        .atMost(duration.plusSeconds(30))
        .pollInterval(Duration.ofMillis(20))
        .until(() -> Instant.now().isAfter(until));
  }

  @Test
  void compareAndSet_concurrentWritersOnOneVersion_exactlyOneWins() throws Exception {
    cas(0, record(1, 1, "a1"));
    int writers = 16;
    ExecutorService pool = Executors.newFixedThreadPool(writers);
    CountDownLatch start = new CountDownLatch(1);
    try {
      List<Future<WriteOutcome>> outcomes = new ArrayList<>();
      for (int i = 0; i < writers; i++) {
        int fence = 2 + i;
        outcomes.add(
            pool.submit(
                () -> {
                  start.await();
                  return cas(1, record(2, fence, "w" + fence));
                }));
      }
      start.countDown();
      int applied = 0;
      for (Future<WriteOutcome> outcome : outcomes) {
        applied += outcome.get().applied() ? 1 : 0;
      }
      assertThat(applied).isEqualTo(1);
      assertThat(read().orElseThrow().version()).isEqualTo(2);
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void compareAndSet_contentChangeIsAnnounced_markWritesAreAnnouncedAsRefreshes() {
    ChangeFeed feed = feed();
    if (feed == null) {
      return;
    }
    List<String> seen = new CopyOnWriteArrayList<>();
    ChangeFeed.Listener listener =
        new ChangeFeed.Listener() {
          @Override
          public void onChange(TokenKey k, long version) {
            seen.add("v" + version);
          }

          @Override
          public void onRefreshing(TokenKey k, long version, String markId, Duration window) {
            seen.add("refreshing v" + version + " for " + window.toMillis() + " ms by " + markId);
          }
        };
    try (ChangeFeed.Subscription ignored = feed.subscribe(key, listener)) {
      awaitSubscribed(feed);
      cas(0, record(1, 1, "a1"));
      cas(1, markedBy(2, "mark-a", Duration.ofSeconds(4))); // a holder is sending
      cas(1, record(1, 2, "a1")); // its mark taken back: no refresh any more
      cas(1, record(2, 2, "a2"));
      cas(1, record(2, 3, "late")); // rejected: nothing

      await().atMost(Duration.ofSeconds(5)).until(() -> seen.contains("v2"));
      assertThat(seen)
          .containsExactly(
              "v1", "refreshing v1 for 4000 ms by mark-a", "refreshing v1 for 0 ms by ", "v2");
    }
  }

  /**
   * Waits until a fresh subscription receives messages (pub/sub feeds subscribe asynchronously).
   */
  protected void awaitSubscribed(ChangeFeed feed) {}
}

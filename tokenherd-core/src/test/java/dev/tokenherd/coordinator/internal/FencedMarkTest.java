package dev.tokenherd.coordinator.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tokenherd.coordinator.PermanentRefreshException;
import dev.tokenherd.coordinator.RefreshPolicy;
import dev.tokenherd.coordinator.StoreUnavailableException;
import dev.tokenherd.coordinator.TokenCoordinator;
import dev.tokenherd.coordinator.TokenKey;
import dev.tokenherd.coordinator.memory.InMemoryRefreshLock;
import dev.tokenherd.coordinator.memory.InMemoryTokenStore;
import dev.tokenherd.coordinator.spi.ForwardingTokenStore.SimpleForwardingTokenStore;
import dev.tokenherd.coordinator.spi.LockLease;
import dev.tokenherd.coordinator.spi.RefreshLock;
import dev.tokenherd.coordinator.spi.RefreshMark;
import dev.tokenherd.coordinator.spi.TokenEndpointException;
import dev.tokenherd.coordinator.spi.TokenRecord;
import dev.tokenherd.coordinator.spi.TokenRequest;
import dev.tokenherd.coordinator.spi.TokenResponse;
import dev.tokenherd.coordinator.spi.TokenStatus;
import dev.tokenherd.coordinator.spi.TokenStore;
import dev.tokenherd.coordinator.spi.WriteOutcome;
import dev.tokenherd.coordinator.testing.RecordingListener;
import dev.tokenherd.coordinator.testing.ScriptedTokenEndpoint;
import dev.tokenherd.coordinator.testing.VirtualFleet;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The refresh mark carries its lease's own fence: a worker whose lease is not above the stored
 * fence never sends a token request, and a lock whose fence counter went back is re-fenced, not
 * looped on. Judged by the requests the token endpoint received.
 */
final class FencedMarkTest {
  private static final TokenKey KEY = TokenKey.of("billing-api");
  private static final Duration HOUR = Duration.ofHours(1);

  private final VirtualFleet fleet = new VirtualFleet();
  private final ScriptedTokenEndpoint endpoint = new ScriptedTokenEndpoint(fleet.clock);
  private final RefreshPolicy policy = RefreshPolicy.ofDefaults();

  @AfterEach
  void closeFleet() {
    fleet.close();
  }

  private TokenRecord stored() {
    return fleet.store.read(KEY).toCompletableFuture().join().orElseThrow();
  }

  /** Seeds, then refreshes {@code times} times through the fleet's lock: the stored fence grows. */
  private TokenCoordinator seedAndRefresh(int times) {
    TokenCoordinator first =
        fleet.worker("worker-a", policy, new RecordingListener()).coordinator(KEY, endpoint);
    first.seed(fleet.tokens("access-0", "refresh-0", HOUR)).join();
    for (int i = 0; i < times; i++) {
      endpoint.issue(HOUR);
      fleet.advance(Duration.ofMinutes(61));
      first.tokenAsync().join();
    }
    return first;
  }

  @Test
  void counterLost_whileTheLockIsHeld_refencesAndSendsExactlyOneRequest() {
    seedAndRefresh(3);
    TokenRecord before = stored();
    assertThat(before.fence()).isEqualTo(3);
    // The lock's counter is gone (its key deleted or evicted): a new lock counts from 1 again.
    RecordingListener listener = new RecordingListener();
    TokenCoordinator afterLoss =
        fleet
            .worker(
                "worker-b",
                policy,
                listener,
                fleet.store,
                new InMemoryRefreshLock(fleet.clock),
                fleet.feed)
            .coordinator(KEY, endpoint);
    endpoint.issue(HOUR);
    fleet.advance(Duration.ofMinutes(61));

    assertThat(afterLoss.tokenAsync().join().value()).isEqualTo("access-4");

    assertThat(endpoint.requests())
        .extracting(TokenRequest::refreshToken)
        .hasSize(4)
        .doesNotHaveDuplicates();
    assertThat(endpoint.requests().get(3).refreshToken()).isEqualTo(before.tokens().refreshToken());
    TokenRecord after = stored();
    assertThat(after.version()).isEqualTo(before.version() + 1);
    assertThat(after.status()).isEqualTo(TokenStatus.ACTIVE);
    assertThat(after.fence()).isGreaterThan(before.fence() + LockLease.REFENCE_MARGIN);
    assertThat(listener.events()).containsExactly("refreshed billing-api v" + after.version());
  }

  @Test
  void leaseRanOutBeforeTheMark_markIsRefused_workerNeverSendsAndAdoptsTheHoldersToken() {
    seedAndRefresh(0);
    // Worker A's mark write is held in flight, as if A stalled right before it (GC, SIGSTOP).
    HeldMarks paused = new HeldMarks(fleet.store);
    RecordingListener listenerA = new RecordingListener();
    TokenCoordinator a =
        fleet
            .worker("worker-stalled", policy, listenerA, paused, fleet.lock, fleet.feed)
            .coordinator(KEY, endpoint);
    TokenCoordinator b =
        fleet.worker("worker-b", policy, new RecordingListener()).coordinator(KEY, endpoint);
    fleet.advance(Duration.ofMinutes(61));
    CompletableFuture<?> stalled = a.tokenAsync();
    assertThat(paused.held).isNotNull();

    // A's lease runs out; B takes the lock with a higher fence and refreshes.
    fleet.advance(policy.leaseTime().plusSeconds(1));
    endpoint.issue(HOUR);
    assertThat(b.tokenAsync().join().value()).isEqualTo("access-1");
    // A's mark finally arrives, stamped with A's own, lower fence.
    paused.release();

    assertThat(endpoint.requests()).hasSize(1);
    assertThat(listenerA.events()).contains("fenced billing-api 1");
    fleet.advance(Duration.ofSeconds(1));
    assertThat(stalled).isDone();
    assertThat(a.accessToken()).isEqualTo("access-1");
    assertThat(stored().fence()).isEqualTo(2);
  }

  @Test
  void stalledHolderMarksAfterTheNextHolderTookTheLock_itDoesNotSend_theNextHolderSendsOnce() {
    seedAndRefresh(0);
    HeldMarks pausedA = new HeldMarks(fleet.store);
    HeldMarks pausedB = new HeldMarks(fleet.store);
    RecordingListener listenerA = new RecordingListener();
    RecordingListener listenerB = new RecordingListener();
    TokenCoordinator a =
        fleet
            .worker("worker-stalled", policy, listenerA, pausedA, fleet.lock, fleet.feed)
            .coordinator(KEY, endpoint);
    TokenCoordinator b =
        fleet
            .worker("worker-b", policy, listenerB, pausedB, fleet.lock, fleet.feed)
            .coordinator(KEY, endpoint);
    fleet.advance(Duration.ofMinutes(61));
    CompletableFuture<?> stalled = a.tokenAsync();
    assertThat(pausedA.held).isNotNull();
    // A's lease runs out; B takes the lock (fence 2) and is about to write its mark.
    fleet.advance(policy.leaseTime().plusSeconds(1));
    endpoint.issue(HOUR);
    CompletableFuture<?> taking = b.tokenAsync();
    assertThat(pausedB.held).isNotNull();

    // A's mark lands first: its fence (1) is not below the stored one (0), so the store takes it.
    pausedA.release();
    // ...but A's lease is over by its own clock: it takes the mark back instead of sending.
    assertThat(endpoint.requests()).isEmpty();
    assertThat(stored().refreshing()).isNull();
    pausedB.release();

    assertThat(taking).isCompleted();
    assertThat(b.accessToken()).isEqualTo("access-1");
    assertThat(endpoint.requests()).hasSize(1);
    assertThat(listenerB.events()).containsExactly("refreshed billing-api v2");
    assertThat(listenerA.events()).doesNotContain("refreshed billing-api v2");
    fleet.advance(Duration.ofSeconds(1));
    assertThat(stalled).isDone();
    assertThat(a.accessToken()).isEqualTo("access-1");
  }

  @Test
  void lockLostWhileTheHolderSends_theNextHolderSeesItsLiveMark_andWaitsInsteadOfSending() {
    TokenCoordinator a = seedAndRefresh(0);
    fleet.advance(Duration.ofMinutes(61));
    CompletableFuture<TokenResponse> answer = endpoint.hold();
    CompletableFuture<?> sending = a.tokenAsync();
    assertThat(endpoint.requests()).hasSize(1);
    // The lock's key is evicted (or lost in a failover): B's lock knows nothing of A's lease.
    RecordingListener listenerB = new RecordingListener();
    TokenCoordinator b =
        fleet
            .worker(
                "worker-b",
                policy,
                listenerB,
                fleet.store,
                new InMemoryRefreshLock(fleet.clock),
                fleet.feed)
            .coordinator(KEY, endpoint);
    CompletableFuture<?> waiting = b.tokenAsync();
    fleet.advance(Duration.ofSeconds(2));
    assertThat(waiting).isNotDone();
    assertThat(endpoint.requests()).hasSize(1);

    answer.complete(endpoint.response("access-1", "refresh-1", HOUR));

    assertThat(sending).isCompleted();
    fleet.advance(Duration.ofSeconds(1));
    assertThat(waiting).isCompleted();
    assertThat(b.accessToken()).isEqualTo("access-1");
    assertThat(endpoint.requests()).hasSize(1);
    assertThat(stored().refreshing()).isNull();
    assertThat(listenerB.events()).isEmpty();
  }

  @Test
  void ambiguousFailure_settlesTheMark_soTheRetryNeedNotWaitOutItsWindow() {
    TokenCoordinator a = seedAndRefresh(0);
    fleet.advance(Duration.ofMinutes(61));
    endpoint.fail(TokenEndpointException.Kind.AMBIGUOUS, null, null).issue(HOUR);

    CompletableFuture<?> call = a.tokenAsync();
    assertThat(endpoint.requests()).hasSize(1);
    RefreshMark kept = stored().refreshing();
    assertThat(kept).isNotNull();
    assertThat(kept.window()).isZero();
    // The retry comes after a backoff, far shorter than the mark's window (the lease).
    fleet.advance(Duration.ofSeconds(3));

    assertThat(call).isCompleted();
    assertThat(a.accessToken()).isEqualTo("access-1");
    assertThat(endpoint.requests())
        .extracting(TokenRequest::refreshToken)
        .containsExactly("refresh-0", "refresh-0");
    assertThat(stored().refreshing()).isNull();
  }

  @Test
  void storeDownAfterTheAnswerPastTheLease_theMarkHoldsOthersOffUntilTheRotationIsStored() {
    TokenCoordinator seeder = seedAndRefresh(0);
    // Worker A's store refuses content writes while "down": its mark goes through, its rotation
    // does not.
    WritesDown down = new WritesDown(fleet.store);
    TokenCoordinator a =
        fleet
            .worker("worker-a2", policy, new RecordingListener(), down, fleet.lock, fleet.feed)
            .coordinator(KEY, endpoint);
    TokenCoordinator b =
        fleet.worker("worker-b", policy, new RecordingListener()).coordinator(KEY, endpoint);
    fleet.advance(Duration.ofMinutes(61));
    endpoint.issue(HOUR);
    down.down = true;
    CompletableFuture<?> storing = a.tokenAsync();
    assertThat(endpoint.requests()).hasSize(1);

    // A's lease is over; B takes the lock, finds A's mark still live, and waits.
    fleet.advance(policy.leaseTime().plusSeconds(5));
    CompletableFuture<?> waiting = b.tokenAsync();
    fleet.advance(Duration.ofSeconds(2));
    assertThat(waiting).isNotDone();
    assertThat(endpoint.requests()).hasSize(1);

    // The store comes back within A's rotation budget (a lease after its lease): A's retry, at
    // the latest at the end of that budget, stores the rotation.
    down.down = false;
    fleet.advance(policy.leaseTime());

    assertThat(stored().tokens().refreshToken()).isEqualTo("refresh-1");
    // Callers of both waited in vain meanwhile (a typed timeout after 10 s: the price of not
    // presenting the refresh token A had rotated); their next calls get A's rotation.
    assertThat(storing).isCompletedExceptionally();
    assertThat(waiting).isCompletedExceptionally();
    assertThat(b.tokenAsync().join().value()).isEqualTo("access-1");
    assertThat(seeder.tokenAsync().join().value()).isEqualTo("access-1");
    assertThat(endpoint.requests()).hasSize(1);
  }

  @Test
  void ambiguousThenTransient_theMarkTakenBackIsOurOwn_soTheNextAttemptIsNotHeldOff() {
    TokenCoordinator a = seedAndRefresh(0);
    fleet.advance(Duration.ofMinutes(61));
    endpoint
        .fail(TokenEndpointException.Kind.AMBIGUOUS, null, null)
        .fail(TokenEndpointException.Kind.TRANSIENT, null, null)
        .issue(HOUR);

    CompletableFuture<?> call = a.tokenAsync();
    // Two retries with backoff, far shorter than a mark's window (the lease and then some).
    fleet.advance(Duration.ofSeconds(5));

    assertThat(call).isCompleted();
    assertThat(a.accessToken()).isEqualTo("access-1");
    assertThat(endpoint.requests()).hasSize(3);
    assertThat(stored().refreshing()).isNull();
  }

  @Test
  void recordCreatedAgainWhileAWorkerWaits_itWaitsByPollsNotInALoop() {
    FailoverStore store = new FailoverStore(fleet.store);
    CountingReads counting = new CountingReads(store);
    TokenCoordinator a =
        fleet
            .worker("worker-a", policy, new RecordingListener(), store, fleet.lock, fleet.feed)
            .coordinator(KEY, endpoint);
    TokenCoordinator b =
        fleet
            .worker("worker-b", policy, new RecordingListener(), counting, fleet.lock, fleet.feed)
            .coordinator(KEY, endpoint);
    a.seed(fleet.tokens("access-0", "refresh-0", HOUR)).join();
    for (int i = 0; i < 3; i++) {
      endpoint.issue(HOUR);
      fleet.advance(Duration.ofMinutes(61));
      a.tokenAsync().join();
    }
    assertThat(b.tokenAsync().join().version()).isEqualTo(4); // versions up to 4 seen by all
    // FLUSHALL, then a new login: version 1 of another generation, about to expire.
    store.current = new InMemoryTokenStore(fleet.feed, fleet.clock);
    a.seed(fleet.tokens("access-login", "refresh-login", Duration.ofSeconds(1))).join();
    fleet.advance(Duration.ofSeconds(2));
    // A refreshes the login and holds the lock while its request is in flight; B waits.
    CompletableFuture<TokenResponse> answer = endpoint.hold();
    CompletableFuture<?> holding = a.tokenAsync();
    int before = counting.reads.get();
    CompletableFuture<?> waiting = b.tokenAsync();
    fleet.advance(Duration.ofSeconds(2));

    // Polls of at most a second (the default poll backoff) over 2 s: a handful of reads.
    assertThat(counting.reads.get() - before).isLessThan(20);
    answer.complete(endpoint.response("access-2", "refresh-2", HOUR));
    fleet.advance(Duration.ofSeconds(1));
    assertThat(holding).isDone();
    assertThat(waiting).isDone();
    assertThat(b.accessToken()).isEqualTo("access-2");
  }

  @Test
  void counterLost_andTheLockCannotRefence_failsTypedWithoutARequest() {
    seedAndRefresh(2);
    TokenCoordinator afterLoss =
        fleet
            .worker(
                "worker-b",
                policy,
                new RecordingListener(),
                fleet.store,
                new NoRefence(new InMemoryRefreshLock(fleet.clock)),
                fleet.feed)
            .coordinator(KEY, endpoint);
    fleet.advance(Duration.ofMinutes(61));

    assertThatThrownBy(() -> afterLoss.tokenAsync().join())
        .hasCauseInstanceOf(PermanentRefreshException.class)
        .hasMessageContaining("fence counter is behind the store")
        .hasMessageContaining("no token request was sent");
    assertThat(endpoint.requests()).hasSize(2);
    assertThat(stored().refreshing()).isNull();
  }

  @Test
  void storedFenceTooLargeToRefenceAbove_failsTypedWithoutARequest() {
    seedAndRefresh(0);
    TokenRecord seeded = stored();
    TokenRecord huge =
        TokenRecord.seeded(
            seeded.tokens(),
            seeded.version() + 1,
            Long.MAX_VALUE - 5,
            "operator",
            fleet.clock.instant(),
            seeded.generation());
    assertThat(
            fleet
                .store
                .compareAndSet(KEY, seeded.version(), huge)
                .toCompletableFuture()
                .join()
                .applied())
        .isTrue();
    TokenCoordinator worker =
        fleet.worker("worker-b", policy, new RecordingListener()).coordinator(KEY, endpoint);
    fleet.advance(Duration.ofMinutes(61));

    assertThatThrownBy(() -> worker.tokenAsync().join())
        .hasCauseInstanceOf(PermanentRefreshException.class)
        .hasMessageContaining("too large to re-fence above");
    assertThat(endpoint.requests()).isEmpty();
  }

  /** A store that holds back the next write carrying a refresh mark until released. */
  private static final class HeldMarks extends SimpleForwardingTokenStore {
    CompletableFuture<Void> held;

    HeldMarks(TokenStore delegate) {
      super(delegate);
    }

    @Override
    public CompletionStage<WriteOutcome> compareAndSet(
        TokenKey key, long expectedVersion, TokenRecord next) {
      if (next.refreshing() == null || held != null) {
        return super.compareAndSet(key, expectedVersion, next);
      }
      held = new CompletableFuture<>();
      return held.thenCompose(ignored -> super.compareAndSet(key, expectedVersion, next));
    }

    void release() {
      held.complete(null);
    }
  }

  /** A store whose content writes fail while {@link #down} is set, as a Redis outage would. */
  private static final class WritesDown extends SimpleForwardingTokenStore {
    volatile boolean down;

    WritesDown(TokenStore delegate) {
      super(delegate);
    }

    @Override
    public CompletionStage<WriteOutcome> compareAndSet(
        TokenKey key, long expectedVersion, TokenRecord next) {
      if (down && next.version() != expectedVersion) {
        return CompletableFuture.failedFuture(
            new StoreUnavailableException(key, "the store is down (test)", null));
      }
      return super.compareAndSet(key, expectedVersion, next);
    }
  }

  /** A store that counts reads. */
  private static final class CountingReads extends SimpleForwardingTokenStore {
    final AtomicInteger reads = new AtomicInteger();

    CountingReads(TokenStore delegate) {
      super(delegate);
    }

    @Override
    public CompletionStage<Optional<TokenRecord>> read(TokenKey key) {
      if (reads.incrementAndGet() > 10_000) {
        throw new AssertionError("read the store 10,000 times: a loop");
      }
      return super.read(key);
    }
  }

  /** A lock whose leases do not implement {@link LockLease#advancePast}. */
  private record NoRefence(RefreshLock delegate) implements RefreshLock {
    @Override
    public CompletionStage<Optional<LockLease>> tryAcquire(TokenKey key, Duration leaseTime) {
      return delegate
          .tryAcquire(key, leaseTime)
          .thenApply(
              lease ->
                  lease.map(
                      held ->
                          new LockLease() {
                            @Override
                            public long fence() {
                              return held.fence();
                            }

                            @Override
                            public CompletionStage<Void> release() {
                              return held.release();
                            }
                          }));
    }
  }
}

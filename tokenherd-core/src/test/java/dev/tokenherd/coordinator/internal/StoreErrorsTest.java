package dev.tokenherd.coordinator.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tokenherd.coordinator.AccessToken;
import dev.tokenherd.coordinator.AmbiguousStoreWriteException;
import dev.tokenherd.coordinator.RefreshPolicy;
import dev.tokenherd.coordinator.StoreMisconfiguredException;
import dev.tokenherd.coordinator.StoreMisconfiguredException.Problem;
import dev.tokenherd.coordinator.TokenCoordinator;
import dev.tokenherd.coordinator.TokenKey;
import dev.tokenherd.coordinator.memory.InMemoryTokenStore;
import dev.tokenherd.coordinator.spi.ForwardingTokenStore;
import dev.tokenherd.coordinator.spi.TokenRecord;
import dev.tokenherd.coordinator.spi.TokenStore;
import dev.tokenherd.coordinator.spi.WriteOutcome;
import dev.tokenherd.coordinator.testing.RecordingListener;
import dev.tokenherd.coordinator.testing.ScriptedTokenEndpoint;
import dev.tokenherd.coordinator.testing.VirtualFleet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * How the engine treats store errors that are not the token's: a misconfigured store (permanent,
 * reported once, not retried, not asked again on every call), a write the store could not announce
 * (applied, counted, reported), and a write whose outcome was lost (retried; the store's re-read or
 * the retry decides).
 */
final class StoreErrorsTest {
  private static final TokenKey KEY = TokenKey.of("billing-api");
  private static final Duration HOUR = Duration.ofHours(1);

  private final VirtualFleet fleet = new VirtualFleet();
  private final ScriptedTokenEndpoint endpoint = new ScriptedTokenEndpoint(fleet.clock);
  private final RecordingListener listener = new RecordingListener();
  private final RefreshPolicy policy = RefreshPolicy.ofDefaults();
  private final ScriptedStore store = new ScriptedStore(fleet.store);
  private final TokenCoordinator coordinator =
      fleet
          .worker("worker-a", policy, listener, store, fleet.lock, fleet.feed)
          .coordinator(KEY, endpoint);

  @AfterEach
  void closeFleet() {
    fleet.close();
  }

  private static StoreMisconfiguredException wrongType() {
    return new StoreMisconfiguredException(
        KEY,
        Problem.WRONG_TYPE,
        "key 'tokenherd:{billing-api}:record' of the token store",
        "WRONGTYPE Operation against a key holding the wrong kind of value",
        "delete the key (DEL) and seed the credential again",
        null);
  }

  private static Throwable failure(CompletableFuture<AccessToken> call) {
    assertThat(call).isCompletedExceptionally();
    Throwable error = call.handle((token, e) -> e).join();
    return error instanceof CompletionException && error.getCause() != null
        ? error.getCause()
        : error;
  }

  private long failedEvents() {
    return listener.events().stream().filter(e -> e.startsWith("failed")).count();
  }

  @Test
  void misconfiguredStore_callersGetTheTypedErrorAtOnce_reportedOnce_storeAskedOncePerPause() {
    coordinator.seed(fleet.tokens("access-0", "refresh-0", HOUR)).join();
    StoreMisconfiguredException refused = wrongType();
    store.readFailure = refused;
    store.reads.set(0);
    fleet.advance(Duration.ofMinutes(50)); // inside the refresh window

    // Still valid: served from the cache while the background refresh fails.
    assertThat(coordinator.accessToken()).isEqualTo("access-0");
    assertThat(store.reads).hasValue(1);
    assertThat(listener.events())
        .containsExactly("failed billing-api StoreMisconfiguredException stop");

    fleet.advance(Duration.ofMinutes(11)); // expired
    List<CompletableFuture<AccessToken>> calls = new ArrayList<>();
    for (int i = 0; i < 100; i++) {
      calls.add(coordinator.tokenAsync());
    }

    // Every caller got the typed error at once; one store read per pause, not one per call.
    assertThat(calls).allSatisfy(call -> assertThat(failure(call)).isSameAs(refused));
    assertThat(store.reads).hasValue(2);
    assertThat(endpoint.requests()).isEmpty();
    assertThat(failedEvents()).isOne();
    assertThatThrownBy(coordinator::accessToken).isSameAs(refused);

    fleet.advance(policy.pollBackoff().max());
    assertThat(failure(coordinator.tokenAsync())).isSameAs(refused);
    assertThat(store.reads).hasValue(3);
    assertThat(failedEvents()).isOne(); // the same error is not reported again

    // An operator fixed the store: the next call after the pause refreshes.
    store.readFailure = null;
    endpoint.issue(HOUR);
    fleet.advance(policy.pollBackoff().max());
    assertThat(coordinator.accessToken()).isEqualTo("access-1");
    assertThat(endpoint.requests()).hasSize(1);
  }

  @Test
  void misconfiguredStore_seed_failsWithTheTypedErrorAndWritesNothing() {
    StoreMisconfiguredException refused = wrongType();
    store.readFailure = refused;

    CompletableFuture<AccessToken> seeded =
        coordinator.seed(fleet.tokens("access-0", "refresh-0", HOUR));

    assertThat(failure(seeded)).isSameAs(refused);
    assertThat(store.contentWrites).hasValue(0);
  }

  @Test
  void rotationWrite_refusedByAMisconfiguredStore_isNotRetried() {
    coordinator.seed(fleet.tokens("access-0", "refresh-0", HOUR)).join();
    StoreMisconfiguredException refused =
        new StoreMisconfiguredException(
            KEY,
            Problem.NO_PERMISSION,
            "a command inside a script of the token store",
            "ERR The user executing the script can't run this command or subcommand",
            "allow it for the Redis user: +hset +hdel",
            null);
    store.contentWrite = next -> CompletableFuture.failedFuture(refused);
    endpoint.issue(HOUR);
    fleet.advance(Duration.ofMinutes(61));
    int writesBefore = store.contentWrites.get();

    CompletableFuture<AccessToken> call = coordinator.tokenAsync();
    fleet.advance(Duration.ofSeconds(5));

    assertThat(failure(call)).isSameAs(refused);
    assertThat(store.contentWrites.get() - writesBefore).isOne();
    assertThat(endpoint.requests()).hasSize(1);
  }

  @Test
  void rotationWrite_ambiguousButApplied_isRetriedAndTheRetryFindsItStored() {
    coordinator.seed(fleet.tokens("access-0", "refresh-0", HOUR)).join();
    // The first write of the rotation reaches the store, but its answer is lost.
    store.contentWrite =
        next -> {
          store.contentWrite = null;
          return fleet
              .store
              .compareAndSet(KEY, next.version() - 1, next)
              .thenCompose(
                  applied ->
                      CompletableFuture.failedFuture(
                          new AmbiguousStoreWriteException(KEY, "no answer", null)));
        };
    endpoint.issue(HOUR);
    fleet.advance(Duration.ofMinutes(61));

    CompletableFuture<AccessToken> call = coordinator.tokenAsync();
    fleet.advance(Duration.ofSeconds(5));

    assertThat(call.join().value()).isEqualTo("access-1");
    assertThat(endpoint.requests()).hasSize(1);
    assertThat(coordinator.stats().refreshes()).isOne();
    assertThat(coordinator.stats().fencedWritesRejected()).isZero();
    assertThat(listener.events()).contains("refreshed billing-api v2");
    assertThat(fleet.store.read(KEY).toCompletableFuture().join().orElseThrow().version())
        .isEqualTo(2);
  }

  @Test
  void unannouncedWrites_areAppliedCountedAndReported() {
    String reason = "PUBLISH on channel 'tokenherd:{billing-api}:changed' was refused";
    store.unannounced = reason;

    coordinator.seed(fleet.tokens("access-0", "refresh-0", HOUR)).join();
    endpoint.issue(HOUR);
    fleet.advance(Duration.ofMinutes(61));
    AccessToken refreshed = coordinator.tokenAsync().join();

    assertThat(refreshed.value()).isEqualTo("access-1");
    assertThat(coordinator.stats().refreshes()).isOne();
    assertThat(coordinator.stats().unannouncedWrites()).isEqualTo(2);
    assertThat(listener.events())
        .contains("unannounced billing-api v1 " + reason, "unannounced billing-api v2 " + reason)
        .noneMatch(e -> e.startsWith("failed"));
  }

  @Test
  void recordDeletedAndSeededAgain_servesTheNewTokenNotTheExpiredCachedOne() {
    coordinator.seed(fleet.tokens("access-0", "refresh-0", HOUR)).join();
    endpoint.issue(HOUR);
    fleet.advance(Duration.ofMinutes(61));
    assertThat(coordinator.token().version()).isEqualTo(2);
    fleet.advance(Duration.ofMinutes(61)); // version 2 expires here, with nobody asking

    // An operator deleted the record (say it had been overwritten by a string) and seeds a new
    // login: the version starts again at 1, below the cached 2.
    store.delegate = new InMemoryTokenStore(fleet.feed, fleet.clock);
    AccessToken seeded = coordinator.seed(fleet.tokens("access-9", "refresh-9", HOUR)).join();

    assertThat(seeded.value()).isEqualTo("access-9");
    assertThat(coordinator.accessToken()).isEqualTo("access-9");
    TokenCoordinator other =
        fleet
            .worker("worker-b", policy, new RecordingListener(), store, fleet.lock, fleet.feed)
            .coordinator(KEY, endpoint);
    assertThat(other.accessToken()).isEqualTo("access-9");
    assertThat(endpoint.requests()).hasSize(1);
  }

  @Test
  void recordDeletedAndSeededAgain_byAnotherWorker_isAdoptedByAWorkerWithAnExpiredToken() {
    coordinator.seed(fleet.tokens("access-0", "refresh-0", HOUR)).join();
    endpoint.issue(HOUR);
    fleet.advance(Duration.ofMinutes(61));
    assertThat(coordinator.token().version()).isEqualTo(2);
    fleet.advance(Duration.ofMinutes(61));

    store.delegate = new InMemoryTokenStore(fleet.feed, fleet.clock);
    TokenCoordinator other =
        fleet
            .worker("worker-b", policy, new RecordingListener(), store, fleet.lock, fleet.feed)
            .coordinator(KEY, endpoint);
    other.seed(fleet.tokens("access-9", "refresh-9", HOUR)).join();

    // Without taking the store's word, the flight would adopt version 1 but hand out the expired
    // token of version 2 that stays cached.
    AccessToken served = coordinator.token();
    assertThat(served.value()).isEqualTo("access-9");
    assertThat(served.version()).isEqualTo(1);
    assertThat(endpoint.requests()).hasSize(1);
  }

  /** A store in front of the in-memory one whose reads and content writes a test can script. */
  private static final class ScriptedStore extends ForwardingTokenStore {
    volatile TokenStore delegate;
    final AtomicInteger reads = new AtomicInteger();
    final AtomicInteger contentWrites = new AtomicInteger();
    volatile @Nullable RuntimeException readFailure;
    volatile @Nullable Function<TokenRecord, CompletionStage<WriteOutcome>> contentWrite;
    volatile @Nullable String unannounced;

    ScriptedStore(TokenStore delegate) {
      this.delegate = delegate;
    }

    @Override
    protected TokenStore delegate() {
      return delegate;
    }

    @Override
    public CompletionStage<Optional<TokenRecord>> read(TokenKey key) {
      reads.incrementAndGet();
      RuntimeException failure = readFailure;
      return failure != null ? CompletableFuture.failedFuture(failure) : super.read(key);
    }

    @Override
    public CompletionStage<WriteOutcome> compareAndSet(
        TokenKey key, long expectedVersion, TokenRecord next) {
      if (next.version() != expectedVersion + 1) {
        return super.compareAndSet(key, expectedVersion, next);
      }
      contentWrites.incrementAndGet();
      Function<TokenRecord, CompletionStage<WriteOutcome>> scripted = contentWrite;
      if (scripted != null) {
        return scripted.apply(next);
      }
      String reason = unannounced;
      return super.compareAndSet(key, expectedVersion, next)
          .thenApply(
              o ->
                  o.applied() && reason != null
                      ? new WriteOutcome(o.result(), o.current(), o.durability(), reason)
                      : o);
    }
  }
}

package dev.tokenherd.coordinator.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tokenherd.coordinator.AccessToken;
import dev.tokenherd.coordinator.RefreshPolicy;
import dev.tokenherd.coordinator.TokenCoordinator;
import dev.tokenherd.coordinator.TokenKey;
import dev.tokenherd.coordinator.memory.InMemoryTokenStore;
import dev.tokenherd.coordinator.spi.TokenRecord;
import dev.tokenherd.coordinator.spi.TokenResponse;
import dev.tokenherd.coordinator.spi.TokenStatus;
import dev.tokenherd.coordinator.testing.RecordingListener;
import dev.tokenherd.coordinator.testing.ScriptedTokenEndpoint;
import dev.tokenherd.coordinator.testing.VirtualFleet;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The record vanishes (a {@code FLUSHALL}, a {@code DEL}, a failover to an empty replica) while a
 * refresh is in flight: the server has already rotated, so the token set it answered with holds the
 * only refresh token it still honours. It is written back, or, if the key was seeded again
 * meanwhile, the seed is kept; never is the answer silently dropped.
 */
final class VanishedRecordTest {
  private static final TokenKey KEY = TokenKey.of("billing-api");
  private static final Duration HOUR = Duration.ofHours(1);

  private final VirtualFleet fleet = new VirtualFleet();
  private final ScriptedTokenEndpoint endpoint = new ScriptedTokenEndpoint(fleet.clock);
  private final RecordingListener listener = new RecordingListener();
  private final FailoverStore store = new FailoverStore(fleet.store);
  private final TokenCoordinator coordinator =
      fleet
          .worker("worker-a", RefreshPolicy.ofDefaults(), listener, store, fleet.lock, fleet.feed)
          .coordinator(KEY, endpoint);

  @AfterEach
  void closeFleet() {
    fleet.close();
  }

  private TokenRecord stored() {
    return store.current.read(KEY).toCompletableFuture().join().orElseThrow();
  }

  /** Seeds, lets the token expire and starts the refresh whose answer the test holds. */
  private CompletableFuture<AccessToken> refreshInFlight() {
    coordinator.seed(fleet.tokens("access-0", "refresh-0", HOUR)).join();
    fleet.advance(Duration.ofMinutes(61));
    CompletableFuture<AccessToken> waiting = coordinator.tokenAsync();
    assertThat(endpoint.requests()).hasSize(1);
    assertThat(stored().refreshing()).isNotNull();
    return waiting;
  }

  @Test
  void recordFlushedDuringTheRequest_theReceivedRotationIsWrittenBack() {
    CompletableFuture<TokenResponse> held = endpoint.hold();
    CompletableFuture<AccessToken> waiting = refreshInFlight();
    store.current = new InMemoryTokenStore(fleet.feed, fleet.clock); // FLUSHALL

    held.complete(endpoint.response("access-1", "refresh-1", HOUR));

    assertThat(waiting.join().value()).isEqualTo("access-1");
    TokenRecord recreated = stored();
    assertThat(recreated.version()).isEqualTo(1);
    assertThat(recreated.status()).isEqualTo(TokenStatus.ACTIVE);
    assertThat(recreated.tokens().refreshToken()).isEqualTo("refresh-1");
    assertThat(recreated.refreshing()).isNull();
    assertThat(endpoint.requests()).hasSize(1);
  }

  @ParameterizedTest(name = "seeded {0} time(s)")
  @ValueSource(ints = {1, 2})
  void recordFlushedAndSeededAgainDuringTheRequest_theSeedIsKeptAndServed(int seeds) {
    CompletableFuture<TokenResponse> held = endpoint.hold();
    CompletableFuture<AccessToken> waiting = refreshInFlight();
    store.current = new InMemoryTokenStore(fleet.feed, fleet.clock);
    // An operator's new login. Seeded once, it lands exactly on the version the in-flight rotation
    // expects (1): only the generation tells the two records apart.
    String generation = TokenRecord.newGeneration();
    for (int version = 1; version <= seeds; version++) {
      TokenRecord seed =
          TokenRecord.seeded(
              fleet.tokens("access-login", "refresh-login", HOUR),
              version,
              0,
              "operator",
              fleet.clock.instant(),
              generation);
      assertThat(store.current.compareAndSet(KEY, version - 1, seed).toCompletableFuture().join())
          .matches(outcome -> outcome.applied());
    }

    held.complete(endpoint.response("access-1", "refresh-1", HOUR));

    assertThat(waiting.join().value()).isEqualTo("access-login");
    assertThat(stored().tokens().refreshToken()).isEqualTo("refresh-login");
    assertThat(stored().version()).isEqualTo(seeds);
    assertThat(endpoint.requests()).hasSize(1);
  }

  @Test
  void recordFlushedThenSeeded_theSeedIsServedAtOnce_byItsSeederAndEveryOtherWorker() {
    TokenCoordinator other =
        fleet
            .worker("worker-b", RefreshPolicy.ofDefaults(), listener, store, fleet.lock, fleet.feed)
            .coordinator(KEY, endpoint);
    coordinator.seed(fleet.tokens("access-0", "refresh-0", HOUR)).join();
    for (int i = 1; i <= 3; i++) {
      endpoint.issue(HOUR);
      fleet.advance(Duration.ofMinutes(61));
      coordinator.tokenAsync().join();
    }
    assertThat(other.tokenAsync().join().version()).isEqualTo(4);
    String before = other.accessToken();

    store.current = new InMemoryTokenStore(fleet.feed, fleet.clock); // FLUSHALL
    // The operator logs in again; the cached tokens (version 4) are still fresh.
    AccessToken seeded =
        coordinator.seed(fleet.tokens("access-login", "refresh-login", HOUR)).join();

    assertThat(seeded.value()).isEqualTo("access-login");
    assertThat(seeded.version()).isEqualTo(1);
    assertThat(coordinator.accessToken()).isEqualTo("access-login");
    // the other worker heard of version 1 and adopted it, though it cached version 4
    assertThat(other.accessToken()).isEqualTo("access-login").isNotEqualTo(before);
    assertThat(endpoint.requests()).hasSize(3);
  }
}

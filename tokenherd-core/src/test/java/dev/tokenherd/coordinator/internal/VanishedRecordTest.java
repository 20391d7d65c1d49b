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

  @Test
  void recordFlushedAndSeededTwiceDuringTheRequest_theSeedsAreKeptAndServed() {
    CompletableFuture<TokenResponse> held = endpoint.hold();
    CompletableFuture<AccessToken> waiting = refreshInFlight();
    store.current = new InMemoryTokenStore(fleet.feed, fleet.clock);
    // An operator's new login, seeded twice (version 2). A single seed lands on the version the
    // in-flight rotation expects and is overwritten by it: records need a generation (open).
    for (int version = 1; version <= 2; version++) {
      TokenRecord seed =
          TokenRecord.seeded(
              fleet.tokens("access-login", "refresh-login", HOUR),
              version,
              0,
              "operator",
              fleet.clock.instant());
      assertThat(store.current.compareAndSet(KEY, version - 1, seed).toCompletableFuture().join())
          .matches(outcome -> outcome.applied());
    }

    held.complete(endpoint.response("access-1", "refresh-1", HOUR));

    assertThat(waiting.join().value()).isEqualTo("access-login");
    assertThat(stored().tokens().refreshToken()).isEqualTo("refresh-login");
    assertThat(endpoint.requests()).hasSize(1);
  }
}

package dev.tokenherd.coordinator.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tokenherd.coordinator.AccessToken;
import dev.tokenherd.coordinator.RefreshListener;
import dev.tokenherd.coordinator.RefreshPolicy;
import dev.tokenherd.coordinator.TokenCoordinator;
import dev.tokenherd.coordinator.TokenKey;
import dev.tokenherd.coordinator.internal.HotPathTest.CountingStore;
import dev.tokenherd.coordinator.spi.TokenEndpointException;
import dev.tokenherd.coordinator.spi.TokenResponse;
import dev.tokenherd.coordinator.testing.ScriptedTokenEndpoint;
import dev.tokenherd.coordinator.testing.VirtualFleet;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * How many store reads a refresh costs each worker (issue #18: Redis round trips per refresh). The
 * fleet benchmark counts every request on real Redis; these pin the reads the engine decides.
 */
final class StoreRoundTripsTest {
  private static final Duration HOUR = Duration.ofHours(1);
  private static final TokenKey KEY = TokenKey.of("billing-api");

  private final VirtualFleet fleet = new VirtualFleet();
  private final ScriptedTokenEndpoint endpoint = new ScriptedTokenEndpoint(fleet.clock);

  @AfterEach
  void close() {
    fleet.close();
  }

  private TokenCoordinator worker(String id, CountingStore store) {
    return fleet
        .worker(id, RefreshPolicy.ofDefaults(), RefreshListener.NONE, store, fleet.lock, fleet.feed)
        .coordinator(KEY, endpoint);
  }

  @Test
  void refresh_holder_doesNotReadBackTheNoticeOfItsOwnWrite() {
    CountingStore store = new CountingStore(fleet.store);
    TokenCoordinator holder = worker("holder", store);
    holder.seed(fleet.tokens("access-0", "refresh-0", HOUR)).join();
    CompletableFuture<TokenResponse> held = endpoint.hold();
    fleet.advance(Duration.ofMinutes(46)); // past 75 % of the hour
    long before = store.reads.get();

    CompletableFuture<AccessToken> unused = holder.tokenAsync();
    held.complete(endpoint.response("access-1", "refresh-1", HOUR));

    assertThat(holder.accessToken()).isEqualTo("access-1");
    // the read that decides to refresh and the double-check under the lease; nothing after
    assertThat(store.reads.get() - before).isEqualTo(2);
  }

  @Test
  void refresh_idleWorker_readsOnceOnTheNotice() {
    CountingStore holderStore = new CountingStore(fleet.store);
    CountingStore idleStore = new CountingStore(fleet.store);
    TokenCoordinator holder = worker("holder", holderStore);
    TokenCoordinator idle = worker("idle", idleStore);
    holder.seed(fleet.tokens("access-0", "refresh-0", HOUR)).join();
    assertThat(idle.accessToken()).isEqualTo("access-0");
    CompletableFuture<TokenResponse> held = endpoint.hold();
    fleet.advance(Duration.ofMinutes(46));
    long before = idleStore.reads.get();

    CompletableFuture<AccessToken> unused = holder.tokenAsync();
    held.complete(endpoint.response("access-1", "refresh-1", HOUR));

    assertThat(idle.accessToken()).isEqualTo("access-1");
    assertThat(idleStore.reads.get() - before).isEqualTo(1);
  }

  @Test
  void refresh_workerPastItsPointWhileTheHolderRefreshes_leavesItToTheHolderAndReadsOnce() {
    CountingStore holderStore = new CountingStore(fleet.store);
    CountingStore waiterStore = new CountingStore(fleet.store);
    TokenCoordinator holder = worker("holder", holderStore);
    TokenCoordinator waiter = worker("waiter", waiterStore);
    holder.seed(fleet.tokens("access-0", "refresh-0", HOUR)).join();
    assertThat(waiter.accessToken()).isEqualTo("access-0");
    CompletableFuture<TokenResponse> held = endpoint.hold();
    fleet.advance(Duration.ofMinutes(46));
    CompletableFuture<AccessToken> unused = holder.tokenAsync(); // marks, announces, asks
    long before = waiterStore.reads.get();

    // Past its own point too, but the holder announced its refresh: served, no flight of its own.
    assertThat(waiter.tokenAsync().join().value()).isEqualTo("access-0");
    assertThat(waiterStore.reads.get() - before).isZero();
    held.complete(endpoint.response("access-1", "refresh-1", HOUR));

    assertThat(waiter.accessToken()).isEqualTo("access-1");
    // before: the read that decided to refresh, a lock it lost, then the read after the notice
    assertThat(waiterStore.reads.get() - before).isEqualTo(1);
    assertThat(endpoint.requests()).hasSize(1);
  }

  @Test
  void refresh_holderFailsAndTakesItsMarkBack_theOthersRefreshAtTheirNextCall() {
    TokenCoordinator holder = worker("holder", new CountingStore(fleet.store));
    TokenCoordinator other = worker("other", new CountingStore(fleet.store));
    holder.seed(fleet.tokens("access-0", "refresh-0", HOUR)).join();
    assertThat(other.accessToken()).isEqualTo("access-0");
    endpoint.fail(TokenEndpointException.Kind.TRANSIENT, null, null).issue(HOUR);
    fleet.advance(Duration.ofMinutes(46));

    CompletableFuture<AccessToken> unused = holder.tokenAsync(); // fails; retries after a backoff
    assertThat(other.tokenAsync().join().value()).isEqualTo("access-0"); // refreshes ahead now

    assertThat(endpoint.requests()).hasSize(2);
    assertThat(other.accessToken()).isEqualTo("access-1");
  }

  @Test
  void refresh_announcedRefreshThatNeverEnds_othersRefreshOnceItsWindowIsOver() {
    TokenCoordinator holder = worker("holder", new CountingStore(fleet.store));
    holder.seed(fleet.tokens("access-0", "refresh-0", HOUR)).join();
    endpoint.issue(HOUR);
    fleet.advance(Duration.ofMinutes(46));
    // A holder that announced its refresh and died (or whose end was announced and lost).
    fleet.feed.announceRefreshing(KEY, 1, "mark-of-a-dead-holder", Duration.ofSeconds(30));

    assertThat(holder.tokenAsync().join().value()).isEqualTo("access-0");
    assertThat(endpoint.requests()).isEmpty();
    fleet.advance(Duration.ofSeconds(31));
    assertThat(holder.tokenAsync().join().value()).isEqualTo("access-0"); // refreshes ahead now

    assertThat(endpoint.requests()).hasSize(1);
    assertThat(holder.accessToken()).isEqualTo("access-1");
  }
}

package dev.tokenherd.coordinator.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tokenherd.coordinator.AccessToken;
import dev.tokenherd.coordinator.RefreshListener;
import dev.tokenherd.coordinator.RefreshPolicy;
import dev.tokenherd.coordinator.TokenCoordinator;
import dev.tokenherd.coordinator.TokenKey;
import dev.tokenherd.coordinator.internal.HotPathTest.CountingStore;
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
  void refresh_workerWaitingForTheHolder_readsOnceOnTheNotice() {
    CountingStore holderStore = new CountingStore(fleet.store);
    CountingStore waiterStore = new CountingStore(fleet.store);
    TokenCoordinator holder = worker("holder", holderStore);
    TokenCoordinator waiter = worker("waiter", waiterStore);
    holder.seed(fleet.tokens("access-0", "refresh-0", HOUR)).join();
    assertThat(waiter.accessToken()).isEqualTo("access-0");
    CompletableFuture<TokenResponse> held = endpoint.hold();
    fleet.advance(Duration.ofMinutes(46));
    CompletableFuture<AccessToken> unused = holder.tokenAsync(); // holds the lock, asks the server
    long before = waiterStore.reads.get();

    CompletableFuture<AccessToken> waiting = waiter.tokenAsync(); // its own flight: lock held
    held.complete(endpoint.response("access-1", "refresh-1", HOUR));

    assertThat(waiting.join().value()).isEqualTo("access-0"); // refresh-ahead: served at once
    assertThat(waiter.accessToken()).isEqualTo("access-1");
    // the read that decided to refresh, then, after the notice, one read that adopts
    assertThat(waiterStore.reads.get() - before).isEqualTo(2);
    assertThat(endpoint.requests()).hasSize(1);
  }
}

package dev.tokenherd.coordinator.testing;

import dev.tokenherd.TokenHerd;
import dev.tokenherd.coordinator.RefreshListener;
import dev.tokenherd.coordinator.RefreshPolicy;
import dev.tokenherd.coordinator.TokenSet;
import dev.tokenherd.coordinator.memory.InMemoryChangeFeed;
import dev.tokenherd.coordinator.memory.InMemoryRefreshLock;
import dev.tokenherd.coordinator.memory.InMemoryTokenStore;
import dev.tokenherd.coordinator.spi.ChangeFeed;
import dev.tokenherd.coordinator.spi.RefreshLock;
import dev.tokenherd.coordinator.spi.TokenStore;
import dev.tokenherd.testkit.MutableClock;
import dev.tokenherd.testkit.VirtualScheduler;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;

/**
 * Shared in-memory backends on virtual time, from which tests build one or more workers (herds).
 * Work runs on the test thread: the executor is direct and the scheduler is virtual.
 */
public final class VirtualFleet implements AutoCloseable {
  public static final Instant EPOCH = Instant.parse("2030-01-01T00:00:00Z");

  public final MutableClock clock = MutableClock.at(EPOCH);
  public final VirtualScheduler scheduler = new VirtualScheduler(clock);
  public final InMemoryChangeFeed feed = new InMemoryChangeFeed();
  public final InMemoryTokenStore store = new InMemoryTokenStore(feed, clock);
  public final InMemoryRefreshLock lock = new InMemoryRefreshLock(clock);
  private final List<TokenHerd> herds = new ArrayList<>();

  public TokenHerd worker(String id, RefreshPolicy policy, RefreshListener listener) {
    return worker(id, policy, listener, store, lock, feed);
  }

  public TokenHerd worker(
      String id,
      RefreshPolicy policy,
      RefreshListener listener,
      TokenStore store,
      RefreshLock lock,
      ChangeFeed feed) {
    return add(builder(id, policy, listener, store, lock, feed).build());
  }

  /** A worker's builder on the shared backends, for a test that sets more before building. */
  public TokenHerd.Builder builder(String id, RefreshPolicy policy, RefreshListener listener) {
    return builder(id, policy, listener, store, lock, feed);
  }

  /** Registers a herd built from {@link #builder}, so that {@link #close()} closes it. */
  public TokenHerd add(TokenHerd herd) {
    herds.add(herd);
    return herd;
  }

  private TokenHerd.Builder builder(
      String id,
      RefreshPolicy policy,
      RefreshListener listener,
      TokenStore store,
      RefreshLock lock,
      ChangeFeed feed) {
    return TokenHerd.builder()
        .tokenStore(store)
        .refreshLock(lock)
        .changeFeed(feed)
        .clock(clock)
        .scheduler(scheduler)
        .executor(Runnable::run)
        .refreshPolicy(policy)
        .listener(listener)
        .workerId(id)
        .random(new SplittableRandom(42))
        // Virtual time stands still while close() would wait: tests that need a graceful
        // close build their herd themselves.
        .closeTimeout(Duration.ZERO);
  }

  /** The generation of the record stored for {@code key} (a test's raw write must carry it). */
  public String generation(dev.tokenherd.coordinator.TokenKey key) {
    return store.read(key).toCompletableFuture().join().orElseThrow().generation();
  }

  public TokenSet tokens(String access, String refresh, Duration ttl) {
    return TokenSet.builder()
        .accessToken(access)
        .refreshToken(refresh)
        .scopes(Set.of("read"))
        .issuedAt(clock.instant())
        .expiresAt(clock.instant().plus(ttl))
        .build();
  }

  public void advance(Duration duration) {
    scheduler.advance(duration);
  }

  @Override
  public void close() {
    herds.forEach(TokenHerd::close);
  }
}

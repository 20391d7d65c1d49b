package dev.tokenherd.examples.strategies;

import dev.tokenherd.coordinator.spi.TokenEndpoint;
import java.time.Clock;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.atomic.AtomicReference;
import org.jspecify.annotations.Nullable;

/**
 * Per-process single-flight, the usual library fix: a pod caches the token in memory, and when it
 * has expired one caller of the pod refreshes while the pod's other callers wait for that same
 * future. Before refreshing it re-reads the shared store, in case another pod already did. There is
 * no lock across pods, so pods that find the token expired at the same moment each send a request:
 * one per pod per expiry, and with rotation all but the first present a rotated-away refresh token.
 */
public final class LocalSingleFlightSource implements TokenSource {
  private final PeerClient client;
  private final AtomicReference<@Nullable CompletableFuture<SharedToken>> flight =
      new AtomicReference<>();
  private volatile @Nullable SharedToken cached;

  /**
   * Creates the peer.
   *
   * @param redisUri the shared Redis
   * @param hashKey the hash holding the {@link SharedToken}
   * @param endpoint the token endpoint client
   * @param clock the time source
   */
  public LocalSingleFlightSource(
      String redisUri, String hashKey, TokenEndpoint endpoint, Clock clock) {
    this.client = new PeerClient(redisUri, hashKey, endpoint, clock);
  }

  @Override
  public String accessToken() {
    SharedToken token = cached;
    if (token != null && token.isFreshAt(client.clock().instant())) {
      return token.accessToken();
    }
    CompletableFuture<SharedToken> mine = new CompletableFuture<>();
    CompletableFuture<SharedToken> running = flight.compareAndExchange(null, mine);
    if (running == null) {
      try {
        SharedToken fresh = renew();
        cached = fresh;
        mine.complete(fresh);
      } catch (RuntimeException e) {
        mine.completeExceptionally(e);
      } finally {
        flight.set(null);
      }
      running = mine;
    }
    try {
      return running.join().accessToken();
    } catch (CompletionException e) {
      throw e.getCause() instanceof RuntimeException cause ? cause : e;
    }
  }

  private SharedToken renew() {
    SharedToken stored = client.readSeeded();
    if (stored.isFreshAt(client.clock().instant())) {
      return stored; // another pod refreshed it
    }
    SharedToken refreshed = client.refresh(stored);
    client.write(refreshed);
    return refreshed;
  }

  @Override
  public void close() {
    client.close();
  }
}

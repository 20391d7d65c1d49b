package dev.tokenherd.coordinator.spi;

import dev.tokenherd.coordinator.TokenKey;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * Tells workers that a credential's stored record reached a new version. Messages carry only the
 * key and the version, never a token.
 *
 * <p>Delivery is best effort: a lost message costs latency, never correctness, because waiters also
 * poll the store.
 */
public interface ChangeFeed {

  /**
   * Announces that {@code key} reached {@code version}. Stores that publish atomically with their
   * writes (the Redis store does) make this call unnecessary.
   *
   * @param key the credential
   * @param version the new version
   * @return a stage that completes when the announcement was handed to the feed
   */
  CompletionStage<Void> publish(TokenKey key, long version);

  /**
   * Announces that a worker stored a refresh mark on {@code version} of {@code key} and may be
   * sending a token request for {@code window}; a window of zero says that no refresh of that
   * version is under way any more (the request failed, or was never sent) without a new version. A
   * hint, never a correctness matter: a worker that hears it leaves its own refresh ahead of expiry
   * to that holder, and waits for the new version's {@linkplain #publish notice} instead of
   * polling; a lost or late announcement only costs it round trips. Stores that announce atomically
   * with the mark's write (the Redis store does) make this call unnecessary; feeds that cannot
   * carry it keep this default, which announces nothing.
   *
   * @param key the credential
   * @param version the version the mark was stored on (the refresh will store the next one)
   * @param markId the {@linkplain RefreshMark#id() id} of the mark, so that its holder knows its
   *     own announcement; empty for a record that carries no mark any more
   * @param window how long the holder may still be sending; zero: no longer
   * @return a stage that completes when the announcement was handed to the feed
   */
  default CompletionStage<Void> announceRefreshing(
      TokenKey key, long version, String markId, Duration window) {
    return CompletableFuture.completedFuture(null);
  }

  /**
   * Subscribes to a credential's changes.
   *
   * @param key the credential
   * @param listener called for each announced version; it runs on the feed's thread and must not
   *     block
   * @return the subscription; close it to stop
   */
  Subscription subscribe(TokenKey key, Listener listener);

  /** Receives change announcements. */
  interface Listener {
    /**
     * Called when {@code key} reached {@code version}. Runs on the feed's thread; must not block.
     *
     * @param key the credential
     * @param version the announced version
     */
    void onChange(TokenKey key, long version);

    /**
     * Called when announcements may have been missed (for example after the feed reconnected), so
     * that the listener can re-read the store. Runs on the feed's thread; must not block.
     *
     * @param key the credential
     */
    default void onGap(TokenKey key) {}

    /**
     * Called when another worker {@linkplain ChangeFeed#announceRefreshing announced} a refresh of
     * {@code version} that may run for {@code window} from now (zero: it is over without a new
     * version). Runs on the feed's thread; must not block.
     *
     * @param key the credential
     * @param version the version being refreshed
     * @param markId the id of the holder's refresh mark (empty if the record carries none now)
     * @param window how long the holder may still be sending; zero: no longer
     */
    default void onRefreshing(TokenKey key, long version, String markId, Duration window) {}
  }

  /** An open subscription. */
  interface Subscription extends AutoCloseable {
    /** Stops the subscription. Idempotent. */
    @Override
    void close();
  }
}

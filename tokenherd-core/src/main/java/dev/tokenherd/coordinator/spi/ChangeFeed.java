package dev.tokenherd.coordinator.spi;

import dev.tokenherd.coordinator.TokenKey;
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
  }

  /** An open subscription. */
  interface Subscription extends AutoCloseable {
    /** Stops the subscription. Idempotent. */
    @Override
    void close();
  }
}

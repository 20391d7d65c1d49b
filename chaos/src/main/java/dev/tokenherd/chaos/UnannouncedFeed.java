package dev.tokenherd.chaos;

import static java.util.Objects.requireNonNull;

import dev.tokenherd.coordinator.TokenKey;
import dev.tokenherd.coordinator.spi.ChangeFeed;
import java.util.concurrent.CompletionStage;

/**
 * A change feed whose listeners never hear refresh announcements, as workers of versions before
 * announcements (which ignore them as malformed messages): such a worker asks for the lock at its
 * refresh-ahead point whoever is refreshing, so the scenarios that need a second worker to take the
 * lock while a holder sends (a lock key deleted mid-lease) run with it. Version notices and gaps
 * pass through.
 */
final class UnannouncedFeed implements ChangeFeed {
  private final ChangeFeed feed;

  UnannouncedFeed(ChangeFeed feed) {
    this.feed = requireNonNull(feed, "feed");
  }

  @Override
  public CompletionStage<Void> publish(TokenKey key, long version) {
    return feed.publish(key, version);
  }

  @Override
  public Subscription subscribe(TokenKey key, Listener listener) {
    requireNonNull(listener, "listener");
    return feed.subscribe(
        key,
        new Listener() {
          @Override
          public void onChange(TokenKey changed, long version) {
            listener.onChange(changed, version);
          }

          @Override
          public void onGap(TokenKey changed) {
            listener.onGap(changed);
          }
        });
  }
}

package dev.tokenherd.coordinator.redis;

import dev.tokenherd.coordinator.TokenKey;
import dev.tokenherd.coordinator.spi.ChangeFeed;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Records what a change feed tells it, as {@code "K@v"}, {@code "K gap"} and {@code "K refreshing v
 * for w ms"}.
 */
final class RecordingFeedListener implements ChangeFeed.Listener {
  final List<String> events = new CopyOnWriteArrayList<>();
  final List<String> threads = new CopyOnWriteArrayList<>();

  @Override
  public void onChange(TokenKey key, long version) {
    threads.add(Thread.currentThread().getName());
    events.add(key.name() + "@" + version);
  }

  @Override
  public void onGap(TokenKey key) {
    threads.add(Thread.currentThread().getName());
    events.add(key.name() + " gap");
  }

  @Override
  public void onRefreshing(TokenKey key, long version, String markId, Duration window) {
    threads.add(Thread.currentThread().getName());
    events.add(
        key.name()
            + " refreshing "
            + version
            + " for "
            + window.toMillis()
            + " ms by '"
            + markId
            + "'");
  }

  /** Returns the {@code onChange} events only. */
  List<String> changes() {
    return events.stream().filter(e -> e.contains("@")).toList();
  }

  boolean saw(String event) {
    return events.contains(event);
  }

  long count(String event) {
    return events.stream().filter(event::equals).count();
  }
}

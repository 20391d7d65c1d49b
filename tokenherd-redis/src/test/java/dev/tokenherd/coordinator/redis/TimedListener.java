package dev.tokenherd.coordinator.redis;

import dev.tokenherd.coordinator.AccessToken;
import dev.tokenherd.coordinator.ReauthenticationRequiredException;
import dev.tokenherd.coordinator.RefreshListener;
import dev.tokenherd.coordinator.TokenKey;
import dev.tokenherd.coordinator.TokenRefreshException;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.jspecify.annotations.Nullable;

/** Records a worker's listener events, with the instant the re-authentication one arrived. */
final class TimedListener implements RefreshListener {
  final AtomicInteger refreshed = new AtomicInteger();
  final List<Long> fencedWrites = new CopyOnWriteArrayList<>();
  final List<ReauthenticationRequiredException> reauthentications = new CopyOnWriteArrayList<>();
  final List<String> failures = new CopyOnWriteArrayList<>();
  final List<TokenRefreshException> failureErrors = new CopyOnWriteArrayList<>();
  final List<String> unannounced = new CopyOnWriteArrayList<>();
  final List<String> underReplicated = new CopyOnWriteArrayList<>();
  private final AtomicReference<@Nullable Instant> reauthAt = new AtomicReference<>();

  @Override
  public void onRefreshed(TokenKey key, AccessToken token) {
    refreshed.incrementAndGet();
  }

  @Override
  public void onRefreshFailed(TokenKey key, TokenRefreshException error, boolean willRetry) {
    failures.add(error.getClass().getSimpleName() + (willRetry ? " retry" : " stop"));
    failureErrors.add(error);
  }

  @Override
  public void onReauthenticationRequired(TokenKey key, ReauthenticationRequiredException error) {
    reauthAt.compareAndSet(null, FleetWorker.CLOCK.instant());
    reauthentications.add(error);
  }

  @Override
  public void onUnannouncedWrite(TokenKey key, long version, String reason) {
    unannounced.add("v" + version + " " + reason);
  }

  @Override
  public void onUnderReplicatedWrite(TokenKey key, long version, int requested, int acknowledged) {
    underReplicated.add("v" + version + " " + acknowledged + "/" + requested);
  }

  @Override
  public void onFencedWriteRejected(TokenKey key, long fence) {
    fencedWrites.add(fence);
  }

  /** Returns when the first re-authentication event arrived, or {@code null}. */
  @Nullable Instant reauthAt() {
    return reauthAt.get();
  }
}

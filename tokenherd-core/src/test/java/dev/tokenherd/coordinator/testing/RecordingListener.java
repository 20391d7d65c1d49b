package dev.tokenherd.coordinator.testing;

import dev.tokenherd.coordinator.AccessToken;
import dev.tokenherd.coordinator.LostRotationException;
import dev.tokenherd.coordinator.ReauthenticationRequiredException;
import dev.tokenherd.coordinator.RefreshListener;
import dev.tokenherd.coordinator.TokenKey;
import dev.tokenherd.coordinator.TokenRefreshException;
import java.util.ArrayList;
import java.util.List;

/** Records every listener event as a short line, for assertions. */
public final class RecordingListener implements RefreshListener {
  private final List<String> events = new ArrayList<>();

  @Override
  public synchronized void onRefreshed(TokenKey key, AccessToken token) {
    events.add("refreshed " + key + " v" + token.version());
  }

  @Override
  public synchronized void onRefreshFailed(
      TokenKey key, TokenRefreshException error, boolean willRetry) {
    events.add(
        "failed "
            + key
            + " "
            + error.getClass().getSimpleName()
            + (willRetry ? " retry" : " stop"));
  }

  @Override
  public synchronized void onReauthenticationRequired(
      TokenKey key, ReauthenticationRequiredException error) {
    events.add("reauth " + key + " " + error.reason());
  }

  @Override
  public synchronized void onLostRotation(TokenKey key, LostRotationException error) {
    events.add("lost-rotation " + key);
  }

  @Override
  public synchronized void onFencedWriteRejected(TokenKey key, long fence) {
    events.add("fenced " + key + " " + fence);
  }

  @Override
  public synchronized void onUnderReplicatedWrite(
      TokenKey key, long version, int requested, int acknowledged) {
    events.add("under-replicated " + key + " v" + version + " " + acknowledged + "/" + requested);
  }

  @Override
  public synchronized void onUnannouncedWrite(TokenKey key, long version, String reason) {
    events.add("unannounced " + key + " v" + version + " " + reason);
  }

  public synchronized List<String> events() {
    return List.copyOf(events);
  }
}

package dev.tokenherd.chaos;

import dev.tokenherd.coordinator.ReauthenticationReason;
import dev.tokenherd.coordinator.Redaction;
import dev.tokenherd.coordinator.TokenKey;
import dev.tokenherd.coordinator.TokenSet;
import dev.tokenherd.coordinator.spi.ForwardingTokenStore.SimpleForwardingTokenStore;
import dev.tokenherd.coordinator.spi.RefreshMark;
import dev.tokenherd.coordinator.spi.TokenRecord;
import dev.tokenherd.coordinator.spi.TokenStore;
import dev.tokenherd.coordinator.spi.WriteOutcome;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A {@link TokenStore} decorator that logs every write and its outcome ({@code write} events, with
 * {@code sentAt}, when the write was sent, beside {@code t}, when its answer came back; for a mark,
 * its id and window; for a re-authentication record, its reason), stops at the {@code mark} and
 * {@code write} breakpoints, and remembers the fence of the last applied content write for the
 * {@code unlock} breakpoint.
 */
final class LoggingTokenStore extends SimpleForwardingTokenStore {
  private final EventLog log;
  private final Breakpoints breakpoints;
  private final AtomicLong lastContentFence = new AtomicLong(-1);

  LoggingTokenStore(TokenStore delegate, EventLog log, Breakpoints breakpoints) {
    super(delegate);
    this.log = log;
    this.breakpoints = breakpoints;
  }

  /** Returns the fence of the last content write this worker applied, or -1. */
  long lastContentFence() {
    return lastContentFence.get();
  }

  @Override
  public CompletionStage<WriteOutcome> compareAndSet(
      TokenKey key, long expectedVersion, TokenRecord next) {
    RefreshMark mark = next.refreshing();
    ReauthenticationReason reason = next.reauthReason();
    if (next.version() == expectedVersion && mark != null && !mark.window().isZero()) {
      // Under the lease, before its refresh mark is written (a live mark: a settled one, window 0,
      // is a mark taken back or kept after a failed request).
      breakpoints.reached(Breakpoints.Point.MARK);
    }
    if (next.version() == expectedVersion + 1 && next.isActive()) {
      // After the endpoint answered, before its rotation is stored. Here, not on the endpoint's
      // future: blocking that future would race the engine's own backstop on the request.
      breakpoints.reached(Breakpoints.Point.WRITE);
    }
    // The store applies the write between this instant and the event's t (when its answer came
    // back): a worker paused in between (SIGSTOP) logs a write long after the store applied it.
    long sentAt = log.nowMicros();
    return super.compareAndSet(key, expectedVersion, next)
        .whenComplete(
            (outcome, error) -> {
              TokenSet tokens = next.tokens();
              boolean content = next.version() != expectedVersion;
              if (outcome != null && outcome.applied() && content) {
                lastContentFence.set(next.fence());
              }
              log.emit(
                  "write",
                  e -> {
                    e.put("sentAt", sentAt);
                    e.put("expected", expectedVersion);
                    e.put("version", next.version());
                    e.put("fence", next.fence());
                    e.put("status", next.status().name());
                    e.put("content", content);
                    e.put("mark", mark != null);
                    if (mark != null) {
                      e.put("markId", mark.id());
                      e.put("markWindowMillis", mark.window().toMillis());
                    }
                    if (reason != null) {
                      e.put("reason", reason.name());
                    }
                    e.put(
                        "outcome",
                        outcome != null
                            ? outcome.result().name()
                            : "ERROR " + error.getClass().getSimpleName());
                    if (tokens != null) {
                      e.put("atFp", Redaction.fingerprint(tokens.accessToken()));
                      e.put("rtFp", Redaction.fingerprint(tokens.refreshToken()));
                      e.put("expiresAt", EventLog.micros(tokens.expiresAt()));
                    }
                    TokenRecord current = outcome == null ? null : outcome.current();
                    if (current != null) {
                      e.put("storedVersion", current.version());
                      e.put("storedFence", current.fence());
                    }
                  });
            });
  }
}

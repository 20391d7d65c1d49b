package dev.tokenherd.testkit;

import com.google.errorprone.annotations.concurrent.GuardedBy;
import dev.tokenherd.testkit.RecordedTokenRequest.Outcome;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * The {@link FakeAuthorizationServer}'s log of token requests: the newest ones up to a limit,
 * oldest first, and a count of those it does not hold. Thread-safe.
 */
final class RequestLog {
  private final int limit;

  @GuardedBy("this")
  private final ArrayDeque<RecordedTokenRequest> entries = new ArrayDeque<>();

  @GuardedBy("this")
  private long dropped;

  /** A log of at most {@code limit} requests; 0 keeps none. */
  RequestLog(int limit) {
    this.limit = limit;
  }

  /** Logs a token request; the presented refresh token is kept as a fingerprint only. */
  void record(Instant receivedAt, Form form, Outcome outcome, int status, @Nullable Fault fault) {
    RecordedTokenRequest entry =
        new RecordedTokenRequest(
            receivedAt,
            form.firstOr("grant_type", ""),
            Fingerprint.of(form.first("refresh_token")),
            outcome,
            status,
            fault == null ? null : fault.kind());
    synchronized (this) {
      if (limit == 0) {
        dropped++;
        return; // logging switched off (a removeFirst on the empty log would fail the request)
      }
      if (entries.size() >= limit) {
        entries.removeFirst();
        dropped++;
      }
      entries.addLast(entry);
    }
  }

  synchronized List<RecordedTokenRequest> snapshot() {
    return List.copyOf(entries);
  }

  /** Returns how many requests were logged but are not held (dropped, or the log is off). */
  synchronized long dropped() {
    return dropped;
  }

  synchronized void clear() {
    entries.clear();
    dropped = 0;
  }
}

package dev.tokenherd.chaos;

import dev.tokenherd.coordinator.AccessToken;
import dev.tokenherd.coordinator.Redaction;
import java.time.Instant;
import java.util.HashSet;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * What one worker's callers were served, for the checker's I4, in few lines. The checker judges a
 * token by its latest serve against the authorization server's own expiry, so what must reach the
 * log is each token's last serve time, not every serve (a worker serves thousands of calls a
 * second):
 *
 * <ul>
 *   <li>{@code served}: the first serve of a token ({@code atFp}, {@code version}, the library's
 *       {@code expiresAt}, {@code servedAt});
 *   <li>{@code served_last}: the latest serve of a token so far ({@code atFp}, {@code servedAt}),
 *       written when the callers move on to another token, while one token is served at most every
 *       {@link #EVERY_MICROS} of serve time, and at {@link #flush()} (the worker's end).
 * </ul>
 *
 * <p>{@code servedAt} is the instant {@code token()} returned to the caller, by the worker's clock
 * (the system clock, which the server in the test JVM reads too), in epoch microseconds. A worker
 * killed with SIGKILL leaves its last {@link #EVERY_MICROS} of serves of its current token
 * unlogged; everything else is in the log. Thread-safe.
 */
final class ServeLog {
  /** How much serve time of one token may go unlogged while the callers keep serving it. */
  static final long EVERY_MICROS = 100_000;

  private final EventLog log;
  private final Set<String> seen = new HashSet<>();
  private @Nullable String current;
  private long last; // the latest serve of current, epoch micros
  private long logged; // the latest serve of current already logged, or -1

  ServeLog(EventLog log) {
    this.log = log;
  }

  /**
   * Records that a caller was served {@code token} at {@code at}.
   *
   * @param token what {@code token()} returned
   * @param at when it returned
   */
  synchronized void served(AccessToken token, Instant at) {
    String fp = Redaction.fingerprint(token.value());
    long micros = EventLog.micros(at);
    if (!fp.equals(current)) {
      flush();
      current = fp;
      last = micros;
      logged = -1;
    } else if (micros > last) {
      last = micros;
    }
    if (seen.add(fp)) {
      log.emit(
          "served",
          e ->
              e.put("atFp", fp)
                  .put("version", token.version())
                  .put("expiresAt", EventLog.micros(token.expiresAt()))
                  .put("servedAt", micros));
      logged = micros;
    }
    if (last - logged >= EVERY_MICROS) {
      flush();
    }
  }

  /** Logs the latest serve of the current token if it is not logged yet. */
  synchronized void flush() {
    String fp = current;
    if (fp != null && last > logged) {
      long at = last;
      log.emit("served_last", e -> e.put("atFp", fp).put("servedAt", at));
      logged = last;
    }
  }
}

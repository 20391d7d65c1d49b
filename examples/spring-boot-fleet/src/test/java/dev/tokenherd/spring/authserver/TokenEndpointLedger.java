package dev.tokenherd.spring.authserver;

import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * Every token-endpoint request of one authorization server, and every refresh-token rotation the
 * server performed. Fed from two sides: {@link TokenEndpointRecordingFilter} records what came in
 * and what went out; {@link RecordingAuthorizationService} reports each rotation from inside the
 * server, on the request's own thread, when the server saves the authorization whose refresh token
 * it replaced. Thread-safe.
 *
 * <p>A refresh_token grant counts as a reuse when the server rotated the token it presented away
 * for <em>another</em> request that this one had not finished before: it came after that rotation,
 * or ran alongside the rotating request. Judged from the server's own state (which request the
 * server rotated the token for, and when), not from clocks. Spring Authorization Server reads and
 * saves an authorization without a lock, so two concurrent presentations of one refresh token can
 * both succeed (HTTP 200); the first to save is the one that rotated it, and the other is the
 * reuse.
 */
final class TokenEndpointLedger {
  // Static, as ThreadLocals should be: the entry knows its ledger, so two servers in one JVM
  // (or one test thread that calls both) never see each other's request.
  private static final ThreadLocal<@Nullable Entry> CURRENT = new ThreadLocal<>();

  private final Clock clock;
  private final Object lock = new Object();

  // Guarded by lock.
  private final List<Entry> entries = new ArrayList<>();
  // SHA-256 of each refresh token the server rotated away -> the rotation. Survives reset(): it is
  // the server's history, not the test's.
  private final Map<String, Rotation> rotations = new HashMap<>();
  // The last request's number, from 1 on.
  private long sequence;
  // Orders completions and rotations: incremented under the lock by each.
  private long tick;

  TokenEndpointLedger(Clock clock) {
    this.clock = clock;
  }

  /** Records that a request arrived; the caller must {@link #complete} it. */
  Entry begin(String grantType, String clientId, @Nullable String presentedRefreshToken) {
    String presentedKey =
        presentedRefreshToken == null ? null : Fingerprints.sha256Hex(presentedRefreshToken);
    synchronized (lock) {
      // Numbered under the lock, so that the list's order is the sequence's.
      Entry entry =
          new Entry(
              this,
              ++sequence,
              clock.instant(),
              grantType,
              clientId,
              presentedKey,
              Fingerprints.of(presentedRefreshToken));
      entries.add(entry);
      return entry;
    }
  }

  /** Makes {@code entry} the request that the server works on, on this thread, until unbound. */
  static void bind(Entry entry) {
    CURRENT.set(entry);
  }

  static void unbind() {
    CURRENT.remove();
  }

  /** Records the server's answer. */
  void complete(
      Entry entry, int status, @Nullable String error, @Nullable String issuedRefreshToken) {
    synchronized (lock) {
      entry.completedAt = ++tick;
      entry.status = status;
      entry.error = error;
      entry.issuedRefreshToken = Fingerprints.of(issuedRefreshToken);
    }
  }

  /**
   * Called by the server's authorization store, under its own lock, as it replaces an
   * authorization: {@code previous} is the refresh token stored before, {@code saved} the one
   * stored now (either may be {@code null}).
   */
  void saving(@Nullable String previous, @Nullable String saved) {
    if (previous == null || previous.equals(saved)) {
      return; // no refresh token yet, or reuseRefreshTokens(true): nothing rotated
    }
    String rotated = Fingerprints.sha256Hex(previous);
    Entry entry = CURRENT.get();
    Entry mine = entry != null && entry.ledger == this ? entry : null;
    if (mine != null && mine.presentedKey != null && !mine.presentedKey.equals(rotated)) {
      // This request presented one token, yet the server replaces another: a concurrent request
      // presented the same token and rotated it first, and this one overwrites that request's
      // new token. Its own reuse is already on record (its token was rotated by the other); the
      // overwritten token was never rotated away, only lost, so presenting it later is no reuse
      // (the server answers invalid_grant, which invalidGrants() shows).
      return;
    }
    synchronized (lock) {
      rotations.putIfAbsent(rotated, new Rotation(mine == null ? 0L : mine.sequence, ++tick));
    }
  }

  /** Returns the completed requests in arrival order, each judged for reuse now. */
  List<TokenEndpointRequest> requests() {
    synchronized (lock) {
      List<TokenEndpointRequest> requests = new ArrayList<>(entries.size());
      for (Entry entry : entries) {
        if (entry.completedAt != 0) {
          requests.add(entry.toRequest(reusedLocked(entry)));
        }
      }
      return requests;
    }
  }

  /** Forgets the recorded requests; the server's rotation history stays. */
  void reset() {
    synchronized (lock) {
      entries.clear();
    }
  }

  private boolean reusedLocked(Entry entry) {
    if (entry.presentedKey == null) {
      return false;
    }
    Rotation rotation = rotations.get(entry.presentedKey);
    // Rotated by another request, and this one had not finished by then: it came later, or it
    // ran alongside. One that finished before (a 503, then a retry that rotates) is no reuse.
    return rotation != null
        && rotation.bySequence != entry.sequence
        && entry.completedAt > rotation.tick;
  }

  /** A rotation: by which request (0 if none recorded), at which tick of the ledger. */
  private record Rotation(long bySequence, long tick) {}

  /** One request, written under the ledger's lock once it has begun. */
  static final class Entry {
    final TokenEndpointLedger ledger;
    final long sequence;
    final Instant receivedAt;
    final String grantType;
    final String clientId;
    final @Nullable String presentedKey;
    final String presentedFingerprint;
    long completedAt; // the tick of completion; 0 while in flight
    int status;
    @Nullable String error;
    String issuedRefreshToken = "none";

    Entry(
        TokenEndpointLedger ledger,
        long sequence,
        Instant receivedAt,
        String grantType,
        String clientId,
        @Nullable String presentedKey,
        String presentedFingerprint) {
      this.ledger = ledger;
      this.sequence = sequence;
      this.receivedAt = receivedAt;
      this.grantType = grantType;
      this.clientId = clientId;
      this.presentedKey = presentedKey;
      this.presentedFingerprint = presentedFingerprint;
    }

    TokenEndpointRequest toRequest(boolean reused) {
      return new TokenEndpointRequest(
          sequence,
          receivedAt,
          grantType,
          clientId,
          status,
          error,
          presentedFingerprint,
          issuedRefreshToken,
          reused);
    }
  }
}

package dev.tokenherd.coordinator.internal;

import static java.util.Objects.requireNonNull;

import dev.tokenherd.coordinator.AccessToken;
import dev.tokenherd.coordinator.ReauthenticationRequiredException;
import dev.tokenherd.coordinator.RefreshPolicy;
import dev.tokenherd.coordinator.TokenKey;
import dev.tokenherd.coordinator.TokenSet;
import dev.tokenherd.coordinator.spi.TokenRecord;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The near cache of one credential: the {@link Entry} the hot path reads, and the only code that
 * writes it. An entry's phase changes here and nowhere else: {@link #install} puts a stored record
 * in the phase the clock gives it, two timers move it forward (FRESH → STALE → EXPIRED) so that the
 * hot path never reads the clock, and {@link #clear} empties it on close. Everything else hands
 * records in: the {@link SingleFlight} the record its flight brought back, the {@link FeedFollower}
 * what it re-read after a change notice, a seed what it stored.
 *
 * <p>Why the coordinator extends this class instead of holding one: the hot path is one volatile
 * read of {@link #entry()} and one field compare. In another object the entry would cost every call
 * one more dependent load (the reference to that object) on the path the benchmarks hold to a
 * fraction of a {@code ConcurrentHashMap.get}; as a superclass its field sits in the coordinator
 * itself. The class is sealed to that one subclass, and its field private, so that "only the near
 * cache writes the entry" is checked by the compiler.
 *
 * <p>The cache never goes back: a record older than the cached one is ignored, except where the
 * store is the truth whatever the versions say (another generation of the record, a version that
 * went back while the cached token has expired, a record that diverged under the cached version
 * after a failover). Installing a record also moves the {@link VersionWaiters} on, so that a
 * refresh waiting for a newer version re-reads.
 */
abstract sealed class NearCache permits CredentialCoordinator {
  private static final Logger log = LoggerFactory.getLogger(NearCache.class);

  private final CredentialContext context;
  private final TokenKey key;
  private final RefreshPolicy policy;
  private final RoundTrips roundTrips;
  private final VersionWaiters waiters;

  /** The hot path reads this one field. Written only under {@code stateLock}. */
  private volatile Entry entry = Entry.EMPTY;

  /**
   * The jitter draw of the cached entry's refresh-ahead point, in [0, 1): drawn anew for each
   * record this worker installs, so that across a fleet the worker that refreshes first changes
   * from one refresh to the next. Written under {@code stateLock} with the entry.
   */
  private volatile double refreshDraw;

  private final Object stateLock = new Object();
  private @Nullable ScheduledFuture<?> staleTimer; // guarded by stateLock
  private @Nullable ScheduledFuture<?> expiryTimer; // guarded by stateLock

  NearCache(CredentialContext context, RoundTrips roundTrips, VersionWaiters waiters) {
    this.context = context;
    this.key = context.key();
    this.policy = context.policy();
    this.roundTrips = roundTrips;
    this.waiters = waiters;
  }

  /** Returns the cached entry: the hot path's one volatile read. */
  final Entry entry() {
    return entry;
  }

  /**
   * Returns the phase that {@code tokens} would have if cached now: with this worker's round trip
   * and the cached entry's jitter draw, so that a refresh decides "stale" by the same point at
   * which the cached token turned stale.
   */
  final Phase phaseOf(TokenSet tokens) {
    return Entry.phaseOf(tokens, context.now(), policy, roundTrips.current(), refreshDraw);
  }

  /** Installs a stored record unless a newer one is cached; returns what is cached now. */
  final Entry install(TokenRecord record) {
    Entry installed;
    boolean becameFailed;
    boolean recreated;
    synchronized (stateLock) {
      Entry current = entry;
      // Another life of the record replaces the cached one, whatever its version.
      recreated = recreated(current, record);
      if (!recreated
          && ((record.version() < current.version && !wentBack(current, record))
              || (record.version() == current.version
                  && current.phase != Phase.EMPTY
                  && !divergedAfterFailover(current, record)))) {
        return current; // never go back, and keep the timers of the version already cached
      }
      Instant now = context.now();
      if (current.version != 0 && record.version() > current.version) {
        roundTrips.observePropagation(record, now);
      }
      double draw = context.env().random().nextDouble();
      installed = Entry.of(key, record, now, policy, roundTrips.current(), draw);
      entry = installed;
      refreshDraw = draw;
      scheduleTimers(installed, now);
      becameFailed = installed.phase == Phase.FAILED && current.phase != Phase.FAILED;
    }
    if (recreated) {
      waiters.restart(record.version());
    } else {
      waiters.reached(record.version());
    }
    if (becameFailed) {
      ReauthenticationRequiredException failure = requireNonNull(installed.failure);
      context.notifyListener(l -> l.onReauthenticationRequired(key, failure));
    }
    if (installed.phase.usable()) {
      context.succeeded(); // a newer usable token (seeded, or another worker's): nothing failing
    }
    return installed;
  }

  /**
   * Whether {@code record} is another life of the credential's record than the cached one: the
   * record was deleted and created again (see {@link TokenRecord#generation()}).
   */
  final boolean isAnotherGeneration(TokenRecord record) {
    return isAnotherGeneration(entry, record);
  }

  /**
   * Empties the cache for good (the coordinator closes): every later call takes the slow path,
   * which fails closed, and the cached token is not kept alive by a coordinator nobody serves.
   */
  final void clear() {
    synchronized (stateLock) {
      cancelTimers();
      entry = Entry.EMPTY;
    }
  }

  /**
   * Whether {@code record} is another life of the credential's record than the cached one: the
   * record was deleted and created again (a {@code FLUSHALL}, an eviction, a failover to an empty
   * replica, then a seed or a written-back rotation). The store is the truth then, whatever the
   * versions say: the new life counts its versions from 1 again.
   */
  private boolean recreated(Entry current, TokenRecord record) {
    if (!isAnotherGeneration(current, record)) {
      return false;
    }
    log.warn(
        "credential '{}': the store holds another generation of the record (version {}, cached"
            + " version {}): it was deleted and created again; installing the store's",
        key,
        record.version(),
        current.version);
    return true;
  }

  /**
   * Whether the store's version went back below the one this worker cached while the cached token
   * has expired: the record was deleted and seeded again (an operator removing a key of the wrong
   * type, an eviction). The store is the truth then; keeping the expired entry would hand its token
   * to the callers of the flight that read the new record. (A read that merely finished late cannot
   * be meant: reads take milliseconds and the cached token lived for its lifetime.)
   */
  private boolean wentBack(Entry current, TokenRecord record) {
    if (current.phase != Phase.EXPIRED) {
      return false;
    }
    log.warn(
        "credential '{}': the store holds version {}, below the cached version {} (was the record"
            + " deleted and seeded again?); installing the store's",
        key,
        record.version(),
        current.version);
    return true;
  }

  /**
   * Whether the store holds, under the version this worker cached, a different record. Only a
   * failover to a replica that missed writes can do that: the version was handed out again. The
   * store is the truth then (typically its re-authentication record reporting the lost rotation),
   * so it replaces the cached entry instead of being ignored as already seen.
   */
  private boolean divergedAfterFailover(Entry current, TokenRecord record) {
    boolean cachedActive = current.phase != Phase.FAILED;
    TokenSet tokens = record.tokens();
    AccessToken cached = current.token;
    boolean diverged =
        record.isActive() != cachedActive
            || (tokens != null && cached != null && !tokens.accessToken().equals(cached.value()));
    if (diverged) {
      log.warn(
          "credential '{}': the store holds another record under cached version {} (a failover"
              + " to a replica that missed writes?); installing the store's",
          key,
          current.version);
    }
    return diverged;
  }

  private static boolean isAnotherGeneration(Entry current, TokenRecord record) {
    return current.phase != Phase.EMPTY && !record.generation().equals(current.generation);
  }

  private void scheduleTimers(Entry installed, Instant now) {
    cancelTimers();
    if (installed.phase == Phase.FRESH) {
      staleTimer = schedule(() -> flip(installed.version, Phase.STALE), installed.refreshAt, now);
    }
    if (installed.phase.usable()) {
      expiryTimer = schedule(() -> flip(installed.version, Phase.EXPIRED), installed.expireAt, now);
    }
  }

  private ScheduledFuture<?> schedule(Runnable task, Instant at, Instant now) {
    long delay = Math.max(0, Duration.between(now, at).toNanos());
    return context.env().scheduler().schedule(task, delay, TimeUnit.NANOSECONDS);
  }

  private void cancelTimers() {
    ScheduledFuture<?> stale = staleTimer;
    ScheduledFuture<?> expiry = expiryTimer;
    if (stale != null) {
      stale.cancel(false);
    }
    if (expiry != null) {
      expiry.cancel(false);
    }
    staleTimer = null;
    expiryTimer = null;
  }

  /** Moves the cached entry of {@code version} forward to {@code next}; never back. */
  private void flip(long version, Phase next) {
    synchronized (stateLock) {
      Entry current = entry;
      if (current.version == version
          && current.phase.usable()
          && current.phase.compareTo(next) < 0) {
        entry = current.withPhase(next);
      }
    }
  }
}

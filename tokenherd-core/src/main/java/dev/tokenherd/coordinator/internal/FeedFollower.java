package dev.tokenherd.coordinator.internal;

import dev.tokenherd.coordinator.TokenKey;
import dev.tokenherd.coordinator.spi.ChangeFeed;
import dev.tokenherd.coordinator.spi.TokenRecord;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Follows the change feed of one credential: a change notice wakes the refresh waiting for a newer
 * version and, unless that refresh will read the store anyway or the notice is of this worker's own
 * write, re-reads the store and hands what it finds to the {@link NearCache} ({@link #sync}). It
 * also keeps what other workers announced: the refresh another holder is running (its refresh
 * mark), which this worker then leaves to that holder rather than compete for the lock. An
 * announcement is told from this worker's own by its mark id ({@link #ownMark}), and ends at a
 * notice of its very version, at a gap, or once a higher version is installed (it no longer matches
 * the version asked about).
 *
 * <p>Notices only make the fleet fast: they may be lost, late or duplicated, so every path that
 * depends on one has a poll behind it (the refresh's wait is bounded; a failed credential re-reads
 * once a poll pause).
 *
 * <p>Listener methods run on the feed's thread (Redis: Lettuce's event loop) and must not block:
 * they only compare and flag; reads run on the herd's executor, one at a time.
 */
final class FeedFollower implements ChangeFeed.Listener {
  private static final Logger log = LoggerFactory.getLogger(FeedFollower.class);

  private final CredentialContext context;
  private final TokenKey key;
  private final NearCache cache;
  private final VersionWaiters waiters;

  private final AtomicBoolean syncing = new AtomicBoolean();

  /** A change notice arrived since the last re-read started. */
  private final AtomicBoolean noticed = new AtomicBoolean();

  /**
   * The rotation this worker is storing or has just stored: the change notice of its version is
   * this worker's own, and need not be read back (see {@link #isOwnNotice}).
   */
  private final Object ownWriteLock = new Object();

  private @Nullable OwnWrite ownWrite; // guarded by ownWriteLock

  private volatile Instant nextFailedResync = Instant.MIN;

  /**
   * The latest refresh another worker announced on the feed (its refresh mark), if it may still be
   * running: this worker then leaves its own refresh ahead of expiry to that holder and waits for
   * the new version's notice (see {@link #othersRefreshing}).
   */
  private volatile @Nullable Announced announced;

  /** The id of the last refresh mark this worker made: its announcement is not another's. */
  private volatile @Nullable String ownMarkId;

  private final ChangeFeed.Subscription subscription;

  /** Subscribes at once: build it last, once the cache it installs into is ready. */
  FeedFollower(CredentialContext context, NearCache cache, VersionWaiters waiters) {
    this.context = context;
    this.key = context.key();
    this.cache = cache;
    this.waiters = waiters;
    this.subscription = context.env().feed().subscribe(key, this);
  }

  @Override
  public void onChange(TokenKey changed, long version) {
    Announced running = announced;
    if (running != null && version == running.version()) {
      // A notice of the very version being refreshed: a record created again at that version (a
      // flush and a new login), or a failover; the refresh announced on the old one is moot. A
      // higher version ends it too, but by being installed (the announcement no longer matches
      // the cached version): cleared here, callers past their point would start a flight of their
      // own, a second read, in the moment before the notice's read installs it.
      announced = null;
    }
    boolean woken = waiters.reached(version);
    if (isOwnNotice(version)) {
      // The notice of this worker's own rotation: it holds the record it wrote (installed when
      // the write is answered), so reading it back would only cost the holder a round trip.
      return;
    }
    if (woken) {
      // A flight was waiting for a version above the one it read, and now re-reads the store,
      // after this notice: what it reads is installed (adopted, or a failed record), so a read of
      // our own would be a second one for the same notice. Only a newer version wakes a waiter;
      // equal and lower ones are still read below.
      return;
    }
    noticed.set(true);
    // Every other notice is read, whatever its version. Equal: after a failover to a replica that
    // missed writes, a version can be handed out again with other content (see
    // NearCache.divergedAfterFailover); the writer's own notice is told apart until a gap (onGap),
    // which such a failover causes. Lower: a notice that arrived late (one read wasted), or a
    // record created again from version 1 (another generation), which must be adopted now rather
    // than when the cached token runs out.
    sync();
  }

  @Override
  public void onRefreshing(TokenKey changed, long version, String markId, Duration window) {
    if (window.isZero()) {
      // The holder's request is over without a new version: waiting for its notice is over too.
      Announced running = announced;
      if (running != null && running.version() == version) {
        announced = null;
      }
      waiters.wakeAll();
      return;
    }
    if (!markId.equals(ownMarkId)) {
      announced = new Announced(version, context.now().plus(window));
    }
  }

  @Override
  public void onGap(TokenKey changed) {
    synchronized (ownWriteLock) {
      // Notices may have been lost, or may now come from another server (a failover that lost
      // our write and handed its version out again): every later notice is read.
      ownWrite = null;
    }
    announced = null; // whatever ended meanwhile was missed: read the store instead
    waiters.wakeAll();
    noticed.set(true);
    sync();
  }

  /**
   * Whether another worker announced a refresh of {@code version} that may still be running, and no
   * notice of that very version arrived since (which ends it, whatever its window said: a record
   * created again at that version). A higher version ends it by being installed: callers then ask
   * about that version, which the announcement does not match.
   */
  boolean othersRefreshing(long version) {
    Instant until = announcedUntil(version);
    return until != null && context.now().isBefore(until);
  }

  /**
   * Returns until when the refresh of {@code version} another worker announced may run, or {@code
   * null} if none was announced for that version.
   */
  @Nullable Instant announcedUntil(long version) {
    Announced running = announced;
    return running != null && running.version() == version ? running.until() : null;
  }

  /**
   * Notes the id of a refresh mark this worker made, before it is written: its announcement is this
   * worker's own, not another's refresh (see {@link FencedLease#mark}).
   */
  void ownMark(String markId) {
    ownMarkId = markId;
  }

  /** A refresh of {@code version} another worker announced, which may run until {@code until}. */
  private record Announced(long version, Instant until) {}

  /**
   * A rotation of this worker's, from the moment its write is sent: its version, whether the store
   * applied it, and whether a notice of that version arrived meanwhile.
   */
  private record OwnWrite(long version, boolean applied, boolean noticed) {}

  /** Notes that a write of {@code version} is being sent: its notice is this worker's own. */
  void expectOwnNotice(long version) {
    synchronized (ownWriteLock) {
      ownWrite = new OwnWrite(version, /* applied= */ false, /* noticed= */ false);
    }
  }

  /**
   * Settles the write of {@code version}. Applied: its notice, if still to come, is skipped once.
   * Not applied: a notice of that version that arrived meanwhile was someone else's (or an
   * ambiguous one's) and is read now.
   */
  void ownWriteDone(long version, boolean applied) {
    boolean readNow;
    synchronized (ownWriteLock) {
      OwnWrite pending = ownWrite;
      if (pending == null || pending.version() != version) {
        return;
      }
      readNow = !applied && pending.noticed();
      ownWrite = applied && !pending.noticed() ? new OwnWrite(version, true, false) : null;
    }
    if (readNow) {
      noticed.set(true);
      sync();
    }
  }

  /**
   * Whether a notice of {@code version} is the one this worker's own rotation published, and so
   * need not be read: the first notice of the version this worker is writing or has just written.
   * The store applies a version once (compare-and-set on the previous one) and publishes it with
   * the write, so no other notice of it can come first on the same subscription; after a gap
   * (another server, perhaps) nothing is taken for our own. A notice that arrives before the write
   * is answered is held until it is: if the write was not applied, the notice is read then.
   */
  private boolean isOwnNotice(long version) {
    synchronized (ownWriteLock) {
      OwnWrite pending = ownWrite;
      if (pending == null || pending.version() != version || pending.noticed()) {
        return false;
      }
      ownWrite = pending.applied() ? null : new OwnWrite(version, false, true);
      return true;
    }
  }

  /**
   * While the credential is marked re-authentication-required, callers fail at once; this re-reads
   * at most once a poll pause in case the seed that cleared the mark was announced to nobody here.
   */
  void resyncWhileFailed() {
    Instant now = context.now();
    if (now.isAfter(nextFailedResync)) {
      nextFailedResync = now.plus(context.policy().pollBackoff().max());
      sync();
    }
  }

  /** Stops following: no more notices, no more re-reads. */
  void close() {
    subscription.close();
  }

  /** Re-reads the store in the background and installs what it finds; one at a time. */
  private void sync() {
    if (context.closed() || !syncing.compareAndSet(false, true)) {
      return;
    }
    try {
      context
          .env()
          .executor()
          .execute(
              () -> {
                noticed.set(false);
                context
                    .read()
                    .whenComplete(
                        (stored, error) -> {
                          syncing.set(false);
                          if (error != null) {
                            log.debug("credential '{}': re-reading the store failed", key, error);
                            return;
                          }
                          stored
                              .filter(r -> r.schemaVersion() <= TokenRecord.CURRENT_SCHEMA)
                              .ifPresent(cache::install);
                          if (noticed.get()) {
                            // A notice arrived while we were reading: read again. (Not judged by
                            // versions: after a record was created again they start over, and a
                            // record this worker cannot install must not make it re-read forever.)
                            sync();
                          }
                        });
              });
    } catch (RejectedExecutionException e) {
      syncing.set(false);
    }
  }
}

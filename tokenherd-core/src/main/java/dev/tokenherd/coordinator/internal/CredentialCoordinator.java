package dev.tokenherd.coordinator.internal;

import static java.util.Objects.requireNonNull;

import dev.tokenherd.coordinator.AccessToken;
import dev.tokenherd.coordinator.AmbiguousRefreshException;
import dev.tokenherd.coordinator.CoordinatorStats;
import dev.tokenherd.coordinator.CredentialNotFoundException;
import dev.tokenherd.coordinator.LostRotationException;
import dev.tokenherd.coordinator.OAuth2Error;
import dev.tokenherd.coordinator.PermanentRefreshException;
import dev.tokenherd.coordinator.ReauthenticationRequiredException;
import dev.tokenherd.coordinator.ReauthenticationRequiredException.Reason;
import dev.tokenherd.coordinator.Redaction;
import dev.tokenherd.coordinator.RefreshListener;
import dev.tokenherd.coordinator.RefreshPolicy;
import dev.tokenherd.coordinator.RefreshTimeoutException;
import dev.tokenherd.coordinator.Renewal;
import dev.tokenherd.coordinator.StoreMisconfiguredException;
import dev.tokenherd.coordinator.StoreUnavailableException;
import dev.tokenherd.coordinator.TokenCoordinator;
import dev.tokenherd.coordinator.TokenKey;
import dev.tokenherd.coordinator.TokenRefreshException;
import dev.tokenherd.coordinator.TokenSet;
import dev.tokenherd.coordinator.TransientRefreshException;
import dev.tokenherd.coordinator.UnreadableRecordException;
import dev.tokenherd.coordinator.spi.ChangeFeed;
import dev.tokenherd.coordinator.spi.GrantType;
import dev.tokenherd.coordinator.spi.LockLease;
import dev.tokenherd.coordinator.spi.RefreshMark;
import dev.tokenherd.coordinator.spi.TokenEndpoint;
import dev.tokenherd.coordinator.spi.TokenEndpointException;
import dev.tokenherd.coordinator.spi.TokenRecord;
import dev.tokenherd.coordinator.spi.TokenRequest;
import dev.tokenherd.coordinator.spi.TokenResponse;
import dev.tokenherd.coordinator.spi.TokenStatus;
import dev.tokenherd.coordinator.spi.WriteOutcome;
import io.github.resilience4j.retry.Retry;
import io.github.resilience4j.retry.RetryConfig;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Serves one credential: the near-cache on the hot path, one refresh in flight per process, and the
 * fleet-wide refresh protocol of DESIGN.md on top of the store, lock and feed.
 */
final class CredentialCoordinator implements TokenCoordinator, ChangeFeed.Listener {
  private static final Logger log = LoggerFactory.getLogger(CredentialCoordinator.class);

  /** Extra real time a blocking caller waits beyond the policy's wait timeout. */
  private static final Duration BLOCKING_GRACE = Duration.ofSeconds(1);

  /** How many times a seed re-reads after losing a race before giving up. */
  private static final int SEED_ATTEMPTS = 16;

  /**
   * The shortest stated lifetime for which a token that ran out before its waiting caller got it is
   * taken for a late refresh (and refreshed once more) rather than a token the server issued
   * already expired (expires_in 0, negative, or a fraction of a millisecond).
   */
  private static final Duration LATE_TOKEN_LIFETIME = Duration.ofMillis(1);

  private final TokenKey key;
  private final TokenEndpoint endpoint;
  private final Renewal renewal;
  private final Environment env;
  private final RefreshPolicy policy;

  /**
   * The jitter draw of the cached entry's refresh-ahead point, in [0, 1): drawn anew for each
   * record this worker installs, so that across a fleet the worker that refreshes first changes
   * from one refresh to the next. Written under {@code stateLock} with the entry.
   */
  private volatile double refreshDraw;

  private final VersionWaiters waiters;
  private final Counters counters = new Counters();

  /** The hot path reads this one field. Written only under {@code stateLock}. */
  private volatile Entry entry = Entry.EMPTY;

  private final Object stateLock = new Object();
  private @Nullable ScheduledFuture<?> staleTimer;
  private @Nullable ScheduledFuture<?> expiryTimer;

  /** Completes when the latest token request's answer was stored or given up (see close). */
  private volatile CompletableFuture<Void> requestSettled = CompletableFuture.completedFuture(null);

  /** The refresh in flight in this process, if any (single-flight). */
  private final AtomicReference<@Nullable CompletableFuture<Entry>> flight =
      new AtomicReference<>();

  private final AtomicBoolean syncing = new AtomicBoolean();

  /** A change notice arrived since the last re-read started. */
  private final AtomicBoolean noticed = new AtomicBoolean();

  /**
   * The rotation this worker is storing or has just stored: the change notice of its version is
   * this worker's own, and need not be read back (see {@link #isOwnNotice}).
   */
  private final Object ownWriteLock = new Object();

  private @Nullable OwnWrite ownWrite; // guarded by ownWriteLock

  private volatile @Nullable Throwable lastFailure;

  /** The store's last misconfiguration, held so that callers fail at once (see startFlight). */
  private volatile @Nullable HeldFailure misconfigured;

  private volatile Instant nextFailedResync = Instant.MIN;
  private volatile boolean closed;

  /**
   * The latest refresh another worker announced on the feed (its refresh mark), if it may still be
   * running: this worker then leaves its own refresh ahead of expiry to that holder and waits for
   * the new version's notice (see {@link #othersRefreshing}).
   */
  private volatile @Nullable Announced announced;

  /** The id of the last refresh mark this worker made: its announcement is not another's. */
  private volatile @Nullable String ownMarkId;

  // Written by refreshes and by installs of other workers' records.
  private final AtomicLong roundTripNanos = new AtomicLong();
  private final ChangeFeed.Subscription subscription;

  CredentialCoordinator(TokenKey key, TokenEndpoint endpoint, Renewal renewal, Environment env) {
    this.key = key;
    this.endpoint = endpoint;
    this.renewal = renewal;
    this.env = env;
    this.policy = env.policy();
    this.waiters = new VersionWaiters(env.scheduler());
    this.subscription = env.feed().subscribe(key, this);
  }

  TokenEndpoint endpoint() {
    return endpoint;
  }

  Renewal renewal() {
    return renewal;
  }

  @Override
  public TokenKey key() {
    return key;
  }

  // ---------------------------------------------------------------------------------------------
  // The hot path: one volatile read and one field compare; no clock, no lock, no allocation.

  @Override
  public String accessToken() {
    Entry e = entry;
    AccessToken token = e.token;
    if (e.phase == Phase.FRESH && token != null) {
      return token.value();
    }
    return await(slowPath(e)).value();
  }

  @Override
  public AccessToken token() {
    Entry e = entry;
    AccessToken token = e.token;
    if (e.phase == Phase.FRESH && token != null) {
      return token;
    }
    return await(slowPath(e));
  }

  @Override
  public CompletableFuture<AccessToken> tokenAsync() {
    Entry e = entry;
    CompletableFuture<AccessToken> done = e.completed;
    if (e.phase == Phase.FRESH && done != null) {
      return done;
    }
    return slowPath(e);
  }

  private CompletableFuture<AccessToken> slowPath(Entry e) {
    if (closed) {
      return CompletableFuture.failedFuture(closedError());
    }
    CompletableFuture<AccessToken> done = e.completed;
    return switch (e.phase) {
      case FRESH -> requireNonNull(done);
      case STALE -> {
        if (!now().isBefore(e.expireAt)) {
          // The expiry timer is late (a starved machine): on this slow path, and only here, the
          // clock decides, so a token is never served past its expiry (I4).
          yield awaitFlight(startFlight(e, Trigger.EXPIRED, null));
        }
        // Refresh ahead: serve the still-valid token now; the flight runs in the background and
        // reports its own failures (log, listener), so its future is deliberately not awaited.
        // Not while another worker's announced refresh of this version may still be running: its
        // notice brings the new version for one read, where a flight of ours would read, ask for
        // the lock it holds and poll.
        if (!othersRefreshing(e.version)) {
          CompletableFuture<Entry> unused = startFlight(e, Trigger.STALE, null);
        }
        yield requireNonNull(done);
      }
      case FAILED -> {
        resyncFailedNow();
        yield CompletableFuture.failedFuture(requireNonNull(e.failure));
      }
      case EMPTY, EXPIRED -> awaitFlight(startFlight(e, Trigger.EXPIRED, null));
    };
  }

  @Override
  public CompletableFuture<AccessToken> rejected(String accessToken) {
    requireNonNull(accessToken, "accessToken");
    Entry e = entry;
    AccessToken current = e.token;
    if (e.phase.usable() && current != null && !current.value().equals(accessToken)) {
      return requireNonNull(e.completed); // someone already replaced the rejected token
    }
    if (e.phase == Phase.FAILED) {
      return CompletableFuture.failedFuture(requireNonNull(e.failure));
    }
    // A flight already under way may have been started for another reason and may adopt the very
    // token that was rejected; then one more flight, triggered by the rejection, is needed.
    return awaitFlight(startFlight(e, Trigger.REJECTED, accessToken))
        .thenCompose(
            token ->
                token.value().equals(accessToken)
                    ? awaitFlight(startFlight(entry, Trigger.REJECTED, accessToken))
                    : CompletableFuture.completedFuture(token));
  }

  @Override
  public CompletableFuture<AccessToken> seed(TokenSet tokens) {
    requireNonNull(tokens, "tokens");
    // The caller computed the instants from this worker's clock: store them on the fleet's.
    TokenSet onFleetClock =
        tokens.toBuilder()
            .issuedAt(env.clock().toFleet(tokens.issuedAt()))
            .expiresAt(env.clock().toFleet(tokens.expiresAt()))
            .build();
    return seedAttempt(onFleetClock, 1).toCompletableFuture();
  }

  private CompletionStage<AccessToken> seedAttempt(TokenSet tokens, int attempt) {
    return read()
        .thenCompose(
            current -> {
              long version = current.map(TokenRecord::version).orElse(0L);
              long fence = current.map(TokenRecord::fence).orElse(0L);
              // A seed over a record continues its generation; a seed of an empty key starts one.
              String generation =
                  current.map(TokenRecord::generation).orElseGet(TokenRecord::newGeneration);
              TokenRecord next =
                  TokenRecord.seeded(tokens, version + 1, fence, env.workerId(), now(), generation);
              return env.store()
                  .compareAndSet(key, version, next)
                  .thenCompose(
                      outcome -> {
                        if (outcome.applied()) {
                          log.info("credential '{}': seeded at version {}", key, next.version());
                          clearMisconfigured();
                          reportUnannounced(next.version(), outcome);
                          return CompletableFuture.completedFuture(
                              requireNonNull(install(next).token));
                        }
                        if (outcome.result() == WriteOutcome.Result.SCHEMA_NEWER) {
                          throw schemaTooNew(outcome.current());
                        }
                        if (attempt >= SEED_ATTEMPTS) {
                          throw new TransientRefreshException(
                              key, "seed kept losing races to other writers", null, null);
                        }
                        return seedAttempt(tokens, attempt + 1);
                      });
            })
        .handle(this::rethrowTyped);
  }

  @Override
  public CoordinatorStats stats() {
    return counters.snapshot();
  }

  // ---------------------------------------------------------------------------------------------
  // Waiting callers.

  private CompletableFuture<AccessToken> awaitFlight(CompletableFuture<Entry> running) {
    CompletableFuture<AccessToken> result = new CompletableFuture<>();
    Duration wait = policy.waitTimeout();
    ScheduledFuture<?> deadline =
        env.scheduler()
            .schedule(
                () -> {
                  if (result.completeExceptionally(
                      new RefreshTimeoutException(key, wait, lastFailure))) {
                    counters.callerTimeouts.increment();
                  }
                },
                wait.toNanos(),
                TimeUnit.NANOSECONDS);
    CompletableFuture<AccessToken> unused = result.whenComplete((t, e) -> deadline.cancel(false));
    follow(running, result, /* lateRefreshes= */ 1);
    return result;
  }

  /**
   * Completes {@code result} with what {@code running} brings back, within the caller's wait (its
   * deadline completes {@code result} first otherwise).
   */
  private void follow(
      CompletableFuture<Entry> running, CompletableFuture<AccessToken> result, int lateRefreshes) {
    CompletableFuture<Entry> unused =
        running.whenComplete(
            (done, error) -> {
              if (result.isDone()) {
                return; // the caller's wait ran out
              }
              if (error != null) {
                result.completeExceptionally(typed(error));
              } else if (done.token != null && now().isBefore(done.servableUntil)) {
                // The token this caller waited for, even if a slow refresh (a loaded machine)
                // brought it back inside its expiry skew: it has not expired, even on a server
                // that counts whole seconds.
                result.complete(done.token);
              } else if (done.token != null
                  && lateRefreshes > 0
                  && done.lifetime.compareTo(LATE_TOKEN_LIFETIME) >= 0) {
                // The token lived, but ran out before this caller got it: the refresh, or this
                // machine, was slower than the token's life. Its rotation is stored; within the
                // caller's wait, one more refresh (shared with every caller in the same spot).
                follow(startFlight(entry, Trigger.EXPIRED, null), result, lateRefreshes - 1);
              } else if (done.token != null) {
                // The token had expired when it came back: the server issued it expired
                // (expires_in 0 or negative), or the refresh took longer than the token lives,
                // twice. Its rotation is stored; the caller is not served it, and its next call
                // refreshes again.
                result.completeExceptionally(
                    new TransientRefreshException(
                        key,
                        "the access token the refresh brought back had already expired ("
                            + done.token.expiresAt()
                            + "): its expires_in was zero or negative, or the refresh took"
                            + " longer than the token lives; its refresh token is stored, and the"
                            + " next call refreshes again",
                        null,
                        null));
              } else {
                // The flight adopted a record while a newer state (re-authentication required)
                // was installed from the feed: report that state rather than a token.
                result.completeExceptionally(
                    done.failure != null
                        ? done.failure
                        : new TransientRefreshException(key, "no token is available", null, null));
              }
            });
  }

  private AccessToken await(CompletableFuture<AccessToken> pending) {
    long bound = policy.waitTimeout().plus(BLOCKING_GRACE).toNanos();
    try {
      return pending.get(bound, TimeUnit.NANOSECONDS);
    } catch (ExecutionException e) {
      Throwable cause = unwrap(requireNonNull(e.getCause()));
      if (cause instanceof ClosedException) {
        throw closedError(); // not a store failure: a misuse, with this caller's stack
      }
      throw typed(cause);
    } catch (TimeoutException e) {
      counters.callerTimeouts.increment();
      throw new RefreshTimeoutException(key, policy.waitTimeout(), lastFailure);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new TransientRefreshException(key, "interrupted while waiting for a token", null, e);
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Single-flight: at most one refresh per credential per process.

  private CompletableFuture<Entry> startFlight(
      Entry seen, Trigger trigger, @Nullable String rejectedToken) {
    HeldFailure held = misconfigured;
    if (held != null && now().isBefore(held.until())) {
      // A misconfigured store stays so until an operator acts: asking it again on every call
      // (thousands a second) would change nothing. Re-checked once the hold ends.
      return CompletableFuture.failedFuture(held.error());
    }
    while (true) {
      CompletableFuture<Entry> running = flight.get();
      if (running != null) {
        return running;
      }
      CompletableFuture<Entry> mine = new CompletableFuture<>();
      if (!flight.compareAndSet(null, mine)) {
        continue;
      }
      try {
        env.executor()
            .execute(
                () ->
                    new Flight(seen, trigger, rejectedToken)
                        .run()
                        .whenComplete(
                            (done, error) -> {
                              // Unregister before completing, so that callers woken by the
                              // completion and finding a stale entry start a new flight.
                              flight.compareAndSet(mine, null);
                              if (error != null) {
                                TokenRefreshException failure = typed(error);
                                lastFailure = failure;
                                if (failure instanceof StoreMisconfiguredException store) {
                                  holdMisconfigured(store);
                                }
                                mine.completeExceptionally(failure);
                              } else {
                                clearMisconfigured();
                                mine.complete(done);
                              }
                            }));
      } catch (RejectedExecutionException e) {
        flight.compareAndSet(mine, null);
        mine.completeExceptionally(
            new TransientRefreshException(key, "the executor rejected the refresh", null, e));
      }
      return mine;
    }
  }

  /** Why a flight started; it decides what counts as "someone else already did it". */
  private enum Trigger {
    /** The cached token is stale: refresh unless the store has a fresh one. */
    STALE,
    /** No usable token is cached: adopt any usable stored one, else refresh. */
    EXPIRED,
    /** A resource server rejected a token: refresh unless the store holds another one. */
    REJECTED
  }

  private enum Action {
    ADOPT,
    REFRESH,
    FAIL
  }

  private record Decision(Action action, @Nullable TokenRefreshException failure) {
    static final Decision ADOPT = new Decision(Action.ADOPT, null);
    static final Decision REFRESH = new Decision(Action.REFRESH, null);

    static Decision fail(TokenRefreshException failure) {
      return new Decision(Action.FAIL, failure);
    }
  }

  /**
   * One refresh of this process: retried by resilience4j on transient failures, with backoff, until
   * the flight's deadline (the token's expiry for a refresh ahead, else the wait timeout).
   */
  /**
   * A lease this worker holds. Its fence is read here and nowhere else in the engine: every record
   * written under the lease is {@linkplain #stamp stamped} with it, every refresh mark is
   * {@linkplain #mark made} with it, and a re-fenced lease is another {@code Held}. Outside, the
   * fence appears only in logs and listener events ({@link #fence()}).
   */
  private final class Held {
    private final LockLease lease;

    Held(LockLease lease) {
      this.lease = lease;
    }

    /** Returns {@code record} stamped with this lease's fence. */
    TokenRecord stamp(TokenRecord record) {
      return record.withFence(lease.fence());
    }

    /** Returns a new refresh mark of this lease, with a new id. */
    RefreshMark mark(Instant startedAt, String presented, Duration window) {
      String id = markId();
      ownMarkId = id; // its announcement is this worker's own, not another's refresh
      return new RefreshMark(lease.fence(), env.workerId(), startedAt, presented, id, window);
    }

    /** Whether a fence far enough above {@code stored} can still be issued. */
    static boolean canRefenceAbove(long stored) {
      return stored <= Long.MAX_VALUE - LockLease.REFENCE_MARGIN - 1;
    }

    /** Re-fences this lease above {@code stored}; empty if it no longer holds the lock. */
    CompletionStage<Optional<Held>> advancePast(long stored) {
      return lease.advancePast(stored).thenApply(renewed -> renewed.map(Held::new));
    }

    CompletionStage<Void> release() {
      return lease.release();
    }

    /** The fence, for logs and listener events only: writes take it through stamp and mark. */
    long fence() {
      return lease.fence();
    }
  }

  private final class Flight {
    private final Entry seen;
    private final Trigger trigger;
    private final @Nullable String rejectedToken;
    private final Instant started;
    private final Instant deadline;
    private boolean sawForeignMark;

    /** The last mark this flight tried to write was refused: another holder's mark is live. */
    private boolean heldOff;

    /** The end of the current attempt's lease, by this worker's clock. */
    private Instant leaseEnd = Instant.MIN;

    private boolean heldOffBefore;

    /**
     * The mark found under the current lease (another attempt's), to put back if ours is undone.
     */
    private @Nullable RefreshMark found;

    /** The last foreign mark this flight logged, so that waiting on a live one logs it once. */
    private @Nullable RefreshMark lastFoundMark;

    private boolean countedContention;

    Flight(Entry seen, Trigger trigger, @Nullable String rejectedToken) {
      this.seen = seen;
      this.trigger = trigger;
      this.rejectedToken = rejectedToken;
      this.started = now();
      Instant waitDeadline = started.plus(policy.waitTimeout());
      this.deadline =
          trigger == Trigger.STALE && seen.expireAt.isAfter(waitDeadline)
              ? seen.expireAt
              : waitDeadline;
    }

    CompletionStage<Entry> run() {
      RetryConfig config =
          RetryConfig.<Entry>custom()
              .maxAttempts(policy.maxAttempts())
              .retryOnException(this::shouldRetry)
              .intervalBiFunction(
                  (attempt, outcome) ->
                      retryDelay(attempt, outcome.isLeft() ? outcome.getLeft() : null).toMillis())
              .build();
      Retry retry = Retry.of("tokenherd:" + key.name(), config);
      return Retry.decorateCompletionStage(retry, env.scheduler(), this::attempt).get();
    }

    private boolean shouldRetry(Throwable error) {
      Throwable cause = unwrap(error);
      if (closed
          || !(cause instanceof TransientRefreshException transientError)
          || cause instanceof RefreshTimeoutException) {
        return false;
      }
      Duration retryAfter = transientError.retryAfter();
      Instant earliest = retryAfter == null ? now() : now().plus(retryAfter);
      return earliest.isBefore(deadline);
    }

    private Duration retryDelay(int attempt, @Nullable Throwable error) {
      Duration delay = policy.retryBackoff().delay(attempt, env.random());
      if (error != null
          && unwrap(error) instanceof TransientRefreshException transientError
          && transientError.retryAfter() != null) {
        Duration retryAfter = requireNonNull(transientError.retryAfter());
        delay = retryAfter.compareTo(delay) > 0 ? retryAfter : delay;
      }
      if (error != null && unwrap(error) instanceof AmbiguousRefreshException) {
        // The request may still be processed (a loaded server answers late, or not at all to a
        // client that gave up): wait as long as the endpoint's slow answers take before the next
        // attempt re-reads the store and, only if nothing newer is stored, presents the refresh
        // token again.
        Duration slow = env.latency().highPercentile();
        delay = slow.compareTo(delay) > 0 ? slow : delay;
      }
      Duration left = Duration.between(now(), deadline);
      return left.isNegative() ? Duration.ZERO : (delay.compareTo(left) > 0 ? left : delay);
    }

    /** One attempt, failing only with typed exceptions so that the retry predicate can judge. */
    private CompletionStage<Entry> attempt() {
      return step(0).handle(CredentialCoordinator.this::rethrowTyped);
    }

    private CompletionStage<Entry> step(int polls) {
      if (closed) {
        return CompletableFuture.failedFuture(closedError());
      }
      if (!now().isBefore(deadline)) {
        return CompletableFuture.failedFuture(
            new RefreshTimeoutException(key, Duration.between(started, now()), lastFailure));
      }
      if (polls == 0 && othersRefreshing(seen.version)) {
        // Another worker announced a refresh of the version this flight started from: what a
        // read would show now is that version, still being refreshed. Its notice is read instead.
        return waitForHolder(seen.version, polls);
      }
      return read()
          .thenCompose(
              record -> {
                // Another life of the record (created again from version 1) is installed first,
                // so that waits judged by versions start counting again from it.
                record
                    .filter(
                        r ->
                            isAnotherGeneration(entry, r)
                                && r.schemaVersion() <= TokenRecord.CURRENT_SCHEMA)
                    .ifPresent(CredentialCoordinator.this::install);
                Decision decision = decide(record);
                return switch (decision.action()) {
                  case ADOPT -> CompletableFuture.completedFuture(adopt(record.orElseThrow()));
                  case FAIL -> fail(record, requireNonNull(decision.failure()));
                  case REFRESH -> {
                    if (othersRefreshing(version(record))) {
                      // Another worker announced its refresh of this very version: it holds the
                      // lock, and asking for it would only be refused. Wait for its notice.
                      yield waitForHolder(version(record), polls);
                    }
                    // The lease's end, by this worker's clock, counted from before the lock was
                    // asked for: no later than the lock's own expiry.
                    Instant leaseEnd = now().plus(policy.leaseTime());
                    this.leaseEnd = leaseEnd;
                    heldOff = false;
                    yield env.lock()
                        .tryAcquire(key, policy.leaseTime())
                        .thenCompose(
                            lease ->
                                lease.isPresent()
                                    ? holdLease(new Held(lease.get()), leaseEnd)
                                        .thenCompose(
                                            done ->
                                                done.isPresent()
                                                    ? CompletableFuture.completedFuture(done.get())
                                                    : heldOff
                                                        ? waitForHolder(version(record), polls)
                                                        : step(polls))
                                    : waitForHolder(version(record), polls));
                  }
                };
              });
    }

    private Decision decide(Optional<TokenRecord> stored) {
      boolean selfRenewing = renewal.grantType() == GrantType.CLIENT_CREDENTIALS;
      if (stored.isEmpty()) {
        return selfRenewing
            ? Decision.REFRESH
            : Decision.fail(new CredentialNotFoundException(key));
      }
      TokenRecord record = stored.get();
      if (record.schemaVersion() > TokenRecord.CURRENT_SCHEMA) {
        return Decision.fail(schemaTooNew(record));
      }
      if (!record.isActive()) {
        return Decision.fail(Entry.reauthFailure(key, record));
      }
      TokenSet tokens = record.tokens();
      if (tokens == null) {
        return selfRenewing
            ? Decision.REFRESH
            : Decision.fail(new CredentialNotFoundException(key));
      }
      Phase phase = Entry.phaseOf(tokens, now(), policy, roundTrip(), refreshDraw);
      if (trigger == Trigger.REJECTED) {
        return tokens.accessToken().equals(rejectedToken) || !phase.usable()
            ? Decision.REFRESH
            : Decision.ADOPT;
      }
      if (phase == Phase.FRESH) {
        return Decision.ADOPT;
      }
      if (phase == Phase.STALE) {
        return trigger == Trigger.STALE ? Decision.REFRESH : Decision.ADOPT;
      }
      return Decision.REFRESH;
    }

    private Entry adopt(TokenRecord record) {
      if (record.version() > seen.version && !record.writer().equals(env.workerId())) {
        counters.adoptions.increment();
      }
      return install(record);
    }

    private CompletionStage<Entry> fail(
        Optional<TokenRecord> stored, TokenRefreshException failure) {
      stored.filter(r -> !r.isActive()).ifPresent(CredentialCoordinator.this::install);
      return CompletableFuture.failedFuture(failure);
    }

    private static long version(Optional<TokenRecord> stored) {
      return stored.map(TokenRecord::version).orElse(0L);
    }

    private CompletionStage<Entry> waitForHolder(long version, int polls) {
      if (!countedContention) {
        countedContention = true;
        counters.lockContended.increment();
      }
      Duration left = Duration.between(now(), deadline);
      Duration pause = policy.pollBackoff().delay(polls + 1, env.random());
      Announced running = announced;
      if (running != null && running.version() == version) {
        // Behind a holder that announced its refresh: wait for its notice (or its announcement
        // that it is over) rather than poll. A refresh ahead, whose token is still valid, waits
        // until the holder's mark runs out; callers who need a token (theirs expired) poll once
        // the holder's request has taken as long as this worker's slow requests do, so that a
        // lost notice costs them no more than that.
        Duration toEnd = Duration.between(now(), running.until());
        if (trigger != Trigger.STALE) {
          Duration slow = env.latency().highPercentile();
          toEnd = slow.compareTo(toEnd) < 0 ? slow : toEnd;
        }
        pause = toEnd.compareTo(pause) > 0 ? toEnd : pause;
      }
      if (pause.compareTo(left) > 0) {
        pause = left.isNegative() ? Duration.ZERO : left;
      }
      return waiters.awaitAbove(version, pause).thenCompose(ignored -> step(polls + 1));
    }

    /**
     * Runs the protocol under a lease and always releases it. Completes empty when the attempt lost
     * a race and must start over (the next step re-reads and usually adopts).
     */
    private CompletionStage<Optional<Entry>> holdLease(Held lease, Instant leaseEnd) {
      CompletionStage<Optional<Entry>> work =
          read().thenCompose(stored -> underLease(lease, leaseEnd, stored));
      return work.handle(
              (result, error) ->
                  lease
                      .release()
                      .handle(
                          (ignored, releaseError) -> {
                            if (releaseError != null) {
                              // The lease expires by itself; nothing is unsafe, only slower.
                              log.debug(
                                  "credential '{}': releasing fence {} failed",
                                  key,
                                  lease.fence(),
                                  releaseError);
                            }
                            if (error != null) {
                              throw asCompletion(error);
                            }
                            return result;
                          }))
          .thenCompose(stage -> stage);
    }

    private CompletionStage<Optional<Entry>> underLease(
        Held lease, Instant leaseEnd, Optional<TokenRecord> stored) {
      if (closed) {
        // Closing: do not send a request whose answer might have nowhere to go.
        return CompletableFuture.failedFuture(closedError());
      }
      // Double-check under the lock: another worker may have refreshed since we looked.
      Decision decision = decide(stored);
      if (decision.action() == Action.ADOPT) {
        return CompletableFuture.completedFuture(Optional.of(adopt(stored.orElseThrow())));
      }
      if (decision.action() == Action.FAIL) {
        return fail(stored, requireNonNull(decision.failure())).thenApply(Optional::of);
      }
      TokenRecord base = stored.orElse(null);
      TokenSet tokens = base == null ? null : base.tokens();
      String refreshToken = tokens == null ? null : tokens.refreshToken();
      if (renewal.grantType() == GrantType.REFRESH_TOKEN && refreshToken == null) {
        // Seeded without a refresh token: nothing can renew it. Tell the fleet once.
        return markReauth(lease, requireNonNull(base), Reason.NOT_RENEWABLE, null);
      }
      Duration left = Duration.between(now(), leaseEnd);
      if (left.compareTo(policy.leaseTime().dividedBy(4)) < 0) {
        // Reading took most of the lease: do not send a request we may not be able to store.
        return CompletableFuture.completedFuture(Optional.empty());
      }
      // The configured timeout, raised to follow the endpoint's observed latency (a loaded server
      // answers slowly, and a timeout that fires while it processes is an ambiguous failure).
      Duration timeout = env.latency().timeout(policy.endpointTimeout());
      // A first bound; call() trims it to what the lease has left once the mark is written.
      Duration leaseBound = left.multipliedBy(3).dividedBy(4);
      if (timeout.compareTo(leaseBound) > 0) {
        timeout = leaseBound;
      }
      TokenRequest request =
          renewal.grantType() == GrantType.CLIENT_CREDENTIALS
              ? TokenRequest.clientCredentials(renewal.scopes(), timeout)
              : TokenRequest.refresh(requireNonNull(refreshToken), renewal.scopes(), timeout);
      Duration requestTimeout = timeout;
      if (base == null) {
        return call(lease, leaseEnd, null, request, requestTimeout);
      }
      RefreshMark previous = base.refreshing();
      found = previous;
      if (previous != null && !previous.equals(lastFoundMark)) {
        // Every mark stored now is another attempt's (ours are new with each attempt): told apart
        // by id, not by fence, which a counter that went back can repeat. Logged once per mark.
        lastFoundMark = previous;
        log.warn(
            "credential '{}': found the refresh mark of fence {} by {} from {}; its rotation may"
                + " have been lost",
            key,
            previous.fence(),
            previous.holder(),
            previous.startedAt());
      }
      sawForeignMark |= previous != null;
      return writeMark(lease, leaseEnd, base, request, requestTimeout, /* refenced= */ false);
    }

    /**
     * Writes the refresh mark, stamped with this lease's own fence, and sends the request only if
     * the store took it. The store refuses a mark whose fence is below the stored one: either this
     * lease ran out and another worker has written since (this worker must not send: it adopts or
     * waits), or the lock still holds and the lock's fence counter went back (its key deleted or
     * evicted, a restore, a failover to a lagging replica). Only the lock can tell the two apart,
     * atomically: {@link LockLease#advancePast} re-fences the lease if it still holds the lock,
     * once per attempt, and the mark is written again under the new fence. The store also refuses a
     * mark while another holder's mark is live (MARK_HELD): that holder may be sending now,
     * whatever the lock says (its key evicted, lost in a failover); this worker then waits.
     */
    private CompletionStage<Optional<Entry>> writeMark(
        Held lease,
        Instant leaseEnd,
        TokenRecord base,
        TokenRequest request,
        Duration requestTimeout,
        boolean refenced) {
      TokenSet tokens = base.tokens();
      String refreshToken =
          tokens == null ? null : tokens.refreshToken(); // none: client_credentials
      Instant now = now();
      // The mark promises that this holder sends nothing after its lease and stores nothing after
      // the rotation budget that follows it (storeRotation): until then no other holder may
      // present the refresh token this one may already have had rotated. Whole milliseconds: the
      // store keeps no finer window.
      Duration window =
          Duration.between(now, rotationDeadline(leaseEnd)).truncatedTo(ChronoUnit.MILLIS);
      RefreshMark mark =
          lease.mark(
              now,
              Redaction.fingerprint(refreshToken),
              window.isNegative() ? Duration.ZERO : window);
      TokenRecord marked = withMark(base, mark);
      return env.store()
          .compareAndSet(key, base.version(), marked)
          .thenCompose(
              outcome -> {
                if (outcome.applied()) {
                  return call(lease, leaseEnd, marked, request, requestTimeout);
                }
                if (outcome.result() == WriteOutcome.Result.MARK_HELD) {
                  RefreshMark held = requireNonNull(outcome.current()).refreshing();
                  if (!heldOffBefore) {
                    heldOffBefore = true;
                    log.info(
                        "credential '{}': the refresh mark of fence {} by {} is live (its holder"
                            + " may be sending now); not sending under fence {}; waiting for its"
                            + " answer or the end of its window",
                        key,
                        held == null ? "?" : held.fence(),
                        held == null ? "?" : held.holder(),
                        lease.fence());
                  }
                  heldOff = true;
                  return lostRace(lease, outcome);
                }
                if (outcome.result() != WriteOutcome.Result.FENCE_REJECTED || refenced) {
                  return lostRace(lease, outcome);
                }
                long stored = requireNonNull(outcome.current()).fence();
                if (!Held.canRefenceAbove(stored)) {
                  return CompletableFuture.failedFuture(
                      fenceBehind(
                          lease, stored, "the stored fence is too large to re-fence above", null));
                }
                return refence(lease, stored)
                    .thenCompose(
                        renewed ->
                            renewed.isPresent()
                                ? writeMark(
                                    renewed.get(), leaseEnd, base, request, requestTimeout, true)
                                : lostRace(lease, outcome));
              });
    }

    /**
     * Asks the lock for a fence above {@code stored}; empty if the lease ran out. A lock that
     * cannot re-fence fails the attempt with a typed, permanent error naming the cause.
     */
    private CompletionStage<Optional<Held>> refence(Held lease, long stored) {
      return lease
          .advancePast(stored)
          .handle(
              (renewed, error) -> {
                if (error == null) {
                  renewed.ifPresent(
                      next ->
                          log.warn(
                              "credential '{}': the lock's fence counter went back (lease fence"
                                  + " {} is not above the stored fence {} while the lock is"
                                  + " held: its key was lost, evicted or rolled back); re-fenced"
                                  + " to {}",
                              key,
                              lease.fence(),
                              stored,
                              next.fence()));
                  return CompletableFuture.completedFuture(renewed);
                }
                Throwable cause = unwrap(error);
                if (cause instanceof UnsupportedOperationException) {
                  return CompletableFuture.<Optional<Held>>failedFuture(
                      fenceBehind(lease, stored, String.valueOf(cause.getMessage()), cause));
                }
                return CompletableFuture.<Optional<Held>>failedFuture(cause);
              })
          .thenCompose(stage -> stage);
    }

    /**
     * Sends the request, if it can end within the lease: the last check before sending, after the
     * mark (and any re-fence) was written. A holder that stalled on the way here (a pause, a slow
     * store) past that point does not send; it takes its mark back and starts over. The time
     * between this check and the request leaving the process is the one window no lock or store can
     * close (the authorization server does not check fences); the slack between the request's
     * backstop and the lease's end is what covers it.
     */
    private CompletionStage<Optional<Entry>> call(
        Held lease,
        Instant leaseEnd,
        @Nullable TokenRecord marked,
        TokenRequest planned,
        Duration plannedTimeout) {
      // The herd-wide cap on requests in flight. A refresh queued here holds its lease (and its
      // mark holds the fleet off), so it waits only as long as its lease could still cover a
      // request afterwards; the check below then sees the time spent queued.
      Duration queueFor =
          Duration.between(now(), leaseEnd)
              .minus(sendMargin().multipliedBy(2))
              .minus(minimumTimeout());
      TokenSet replaced = marked == null ? null : marked.tokens();
      return env.gate()
          .acquire(replaced == null ? Instant.MIN : replaced.expiresAt(), queueFor)
          .thenCompose(
              permit -> {
                if (permit.isEmpty() || closed) {
                  permit.ifPresent(RequestGate.Permit::release);
                  log.debug(
                      "credential '{}': no token request slot came before the lease under fence {}"
                          + " ran short: not sending",
                      key,
                      lease.fence());
                  return takeBack(marked);
                }
                return send(lease, leaseEnd, marked, planned, plannedTimeout, permit.get());
              });
    }

    /** Below this a token request is not worth sending: a quarter of the endpoint timeout. */
    private Duration minimumTimeout() {
      return policy.endpointTimeout().dividedBy(4);
    }

    /** Takes this attempt's mark back (its request was not sent); the attempt starts over. */
    private CompletionStage<Optional<Entry>> takeBack(@Nullable TokenRecord marked) {
      CompletionStage<?> undone =
          marked == null
              ? CompletableFuture.completedFuture(null)
              : env.store().compareAndSet(key, marked.version(), unmarked(marked));
      return undone.handle((ignored, error) -> Optional.<Entry>empty());
    }

    private CompletionStage<Optional<Entry>> send(
        Held lease,
        Instant leaseEnd,
        @Nullable TokenRecord marked,
        TokenRequest planned,
        Duration plannedTimeout,
        RequestGate.Permit permit) {
      // The request must end, backstop included, a send margin before the lease does. What the
      // mark's write took (a slow store, WAIT for replicas that are gone, a pause) and the time
      // queued for a request slot come off the request's timeout; below a quarter of the endpoint
      // timeout it is not worth sending.
      Duration room = Duration.between(now(), leaseEnd).minus(sendMargin().multipliedBy(2));
      Duration timeout = room.compareTo(plannedTimeout) < 0 ? room : plannedTimeout;
      if (timeout.compareTo(minimumTimeout()) < 0) {
        permit.release();
        log.warn(
            "credential '{}': {} of the lease under fence {} left after the refresh mark's write,"
                + " too little for a token request (a pause, or a slow store: a lease time of at"
                + " least the endpoint timeout plus the store's write time, WAIT included, avoids"
                + " it): not sending",
            key,
            room.isNegative() ? Duration.ZERO : room,
            lease.fence());
        return takeBack(marked);
      }
      TokenRequest request =
          timeout.equals(plannedTimeout)
              ? planned
              : new TokenRequest(
                  planned.grantType(), planned.refreshToken(), planned.scopes(), timeout);
      counters.tokenRequests.increment();
      CompletableFuture<Void> settled = new CompletableFuture<>();
      requestSettled = settled;
      // The token set's lifetime starts no later than this, on the fleet's clock: whatever clock
      // the endpoint stamped its response with, the expiry stored is this instant plus the
      // lifetime the server gave.
      Instant sentAt = now();
      // Backstop: an endpoint that ignores the request timeout must not hold the lease past its
      // end; the margin left after it covers the moment between the check above and the request
      // leaving the process.
      return withTimeout(requestToken(request), timeout.plus(sendMargin()))
          .handle(
              (response, error) -> {
                // Every outcome counts: a timeout with the time it was given, a lower bound.
                env.latency().record(Duration.between(sentAt, now()));
                permit.release();
                return error == null
                    ? onResponse(lease, marked, response, sentAt)
                    : onEndpointFailure(lease, marked, error);
              })
          .thenCompose(stage -> stage)
          .whenComplete((done, error) -> settled.complete(null));
    }

    /**
     * Returns {@code marked} with this attempt's mark taken back (its request certainly did not
     * rotate): no mark if none was found, else this mark settled, which still tells the next holder
     * that the earlier attempt's rotation may have been lost. (Putting the found mark back would
     * carry another id, which the store refuses while this attempt's own mark is live.)
     */
    private TokenRecord unmarked(TokenRecord marked) {
      return found == null ? withMark(marked, null, marked.fence()) : settled(marked);
    }

    private CompletionStage<Optional<Entry>> onResponse(
        Held lease, @Nullable TokenRecord marked, TokenResponse response, Instant sentAt) {
      observeRoundTrip(Duration.between(sentAt, now()));
      TokenSet previous = marked == null ? null : marked.tokens();
      TokenSet merged = merge(previous, response, sentAt);
      long expected = marked == null ? 0 : marked.version();
      TokenRecord next =
          lease.stamp(
              TokenRecord.builder()
                  .version(expected + 1)
                  .tokens(merged)
                  .writer(env.workerId())
                  .writtenAt(now())
                  .generation(marked == null ? TokenRecord.newGeneration() : marked.generation())
                  .build());
      return storeRotation(expected, next)
          .thenCompose(
              outcome -> {
                if (!outcome.applied()) {
                  TokenRecord current = outcome.current();
                  if (current == null && outcome.result() == WriteOutcome.Result.VERSION_MOVED) {
                    return writeBack(lease, next);
                  }
                  log.warn(
                      "credential '{}': the token received under fence {} was not stored ({});"
                          + " the stored record (version {} by {}) is kept",
                      key,
                      lease.fence(),
                      outcome.result(),
                      current == null ? "?" : current.version(),
                      current == null ? "?" : current.writer());
                  return lostRace(lease, outcome);
                }
                return installRotation(lease, next, outcome);
              });
    }

    /**
     * The record vanished while the request was in flight (a {@code FLUSHALL}, a {@code DEL}, a
     * failover to an empty replica): the server has rotated, so the token set just received holds
     * the only refresh token it still honours. It is written back as a new record rather than
     * dropped; if the key was seeded again meanwhile, the seed wins (an operator's new login) and
     * the log says the rotation was dropped.
     */
    private CompletionStage<Optional<Entry>> writeBack(Held lease, TokenRecord received) {
      TokenRecord recreated =
          received.toBuilder()
              .version(1)
              .refreshing(null)
              .reauthReason(null)
              .errorCode(null)
              // a new life of the record: workers that cached the vanished one must tell it apart
              .generation(TokenRecord.newGeneration())
              .build();
      return storeRotation(0, recreated)
          .thenCompose(
              outcome -> {
                if (outcome.applied()) {
                  log.warn(
                      "credential '{}': the record vanished while a refresh was in flight; the"
                          + " token set received under fence {} is written back as version 1",
                      key,
                      lease.fence());
                  return installRotation(lease, recreated, outcome);
                }
                TokenRecord current = outcome.current();
                log.warn(
                    "credential '{}': the record vanished while a refresh was in flight and was"
                        + " created again ({}, version {} by {}); the token set received under"
                        + " fence {} is dropped",
                    key,
                    outcome.result(),
                    current == null ? "?" : current.version(),
                    current == null ? "?" : current.writer(),
                    lease.fence());
                return lostRace(lease, outcome);
              });
    }

    private CompletionStage<Optional<Entry>> installRotation(
        Held lease, TokenRecord next, WriteOutcome outcome) {
      counters.refreshes.increment();
      reportDurability(next.version(), outcome.durability());
      reportUnannounced(next.version(), outcome);
      Entry installed = install(next);
      AccessToken token = requireNonNull(installed.token);
      log.debug(
          "credential '{}': refreshed to version {} under fence {}, {}",
          key,
          next.version(),
          lease.fence(),
          token);
      notifyListener(l -> l.onRefreshed(key, token));
      return CompletableFuture.completedFuture(Optional.of(installed));
    }

    /**
     * Stores a rotation the server has already made. Its refresh token is now the only valid one,
     * so a store that cannot be reached is retried with backoff (resilience4j, as the attempts are)
     * until a lease time after the lease's end (within the refresh mark's window, which holds every
     * other holder off until then), rather than dropping the rotation and, on the next attempt,
     * presenting the rotated-away refresh token again. Retrying is safe at any time: the store
     * applies the write only if the version did not move and no higher fence wrote since; a
     * definite answer (applied or rejected) or a typed store error ends the retries. Closing does
     * not stop them: close() waits for them (closeTimeout).
     */
    private CompletionStage<WriteOutcome> storeRotation(long expected, TokenRecord next) {
      RotationWrite write = new RotationWrite(next.version());
      RetryConfig config =
          RetryConfig.<WriteOutcome>custom()
              .maxAttempts(Integer.MAX_VALUE) // bounded by time: RotationWrite.shouldRetry
              .retryOnException(write::shouldRetry)
              .intervalBiFunction((attempt, outcome) -> write.pause(attempt).toMillis())
              .build();
      Retry retry = Retry.of("tokenherd-store:" + key.name(), config);
      expectOwnNotice(next.version());
      return Retry.decorateCompletionStage(
              retry, env.scheduler(), () -> env.store().compareAndSet(key, expected, next))
          .get()
          .whenComplete(
              (outcome, error) -> ownWriteDone(next.version(), error == null && outcome.applied()));
    }

    /** The retry budget and the log lines of one {@link #storeRotation}. */
    private final class RotationWrite {
      private final long version;
      private @Nullable Instant giveUpAt;
      private int failures;

      RotationWrite(long version) {
        this.version = version;
      }

      boolean shouldRetry(Throwable error) {
        Throwable cause = unwrap(error);
        if (cause instanceof PermanentRefreshException) {
          // Unreadable record, misconfigured store: no retry can succeed. Transient typed errors
          // (an ambiguous write) are retried like the store's own exceptions.
          log.error(
              "credential '{}': the rotation of version {} cannot be stored ({}); the refresh token"
                  + " it holds is lost",
              key,
              version,
              cause.getMessage());
          return false;
        }
        failures++;
        if (giveUpAt == null) {
          // Within the mark's window, which holds every other holder off until then.
          giveUpAt = rotationDeadline(leaseEnd).minus(sendMargin());
          log.warn(
              "credential '{}': storing the rotation of version {} failed ({}); retrying until {}",
              key,
              version,
              cause.getClass().getSimpleName(),
              giveUpAt);
        }
        if (now().isBefore(requireNonNull(giveUpAt))) {
          return true;
        }
        log.error(
            "credential '{}': could not store the rotation of version {} after {} attempts; the"
                + " refresh token it holds is lost unless the store comes back before another"
                + " worker refreshes",
            key,
            version,
            failures);
        return false;
      }

      Duration pause(int attempt) {
        Duration pause = policy.retryBackoff().delay(attempt, env.random());
        Duration left = Duration.between(now(), requireNonNull(giveUpAt));
        return left.isNegative() ? Duration.ZERO : (pause.compareTo(left) > 0 ? left : pause);
      }
    }

    private CompletionStage<Optional<Entry>> onEndpointFailure(
        Held lease, @Nullable TokenRecord marked, Throwable error) {
      TokenEndpointException failure = classify(error);
      switch (failure.kind()) {
        case PERMANENT -> {
          counters.permanentFailures.increment();
          return onPermanentFailure(lease, marked, failure);
        }
        case TRANSIENT -> {
          counters.transientFailures.increment();
          TransientRefreshException typedFailure =
              new TransientRefreshException(
                  key,
                  "token endpoint failed transiently: " + failure.getMessage(),
                  failure.retryAfter(),
                  failure);
          reportFailure(typedFailure);
          // The server certainly did not rotate: take the mark back so that nobody suspects
          // a lost rotation later.
          CompletionStage<?> cleared =
              marked == null
                  ? CompletableFuture.completedFuture(null)
                  : env.store().compareAndSet(key, marked.version(), unmarked(marked));
          return cleared.handle(
              (ignored, clearError) -> {
                throw new CompletionException(typedFailure);
              });
        }
        case AMBIGUOUS, INVALID_RESPONSE -> {
          counters.ambiguousFailures.increment();
          AmbiguousRefreshException typedFailure =
              new AmbiguousRefreshException(
                  key,
                  "token request may have reached the server: " + failure.getMessage(),
                  failure);
          reportFailure(typedFailure);
          // The mark stays, settled: if the server did rotate, the next holder's invalid_grant
          // will be recognised as a lost rotation instead of a revocation; and as the request is
          // over, the next holder need not wait out the mark's window.
          CompletionStage<?> kept =
              marked == null
                  ? CompletableFuture.completedFuture(null)
                  : env.store().compareAndSet(key, marked.version(), settled(marked));
          return kept.handle(
              (ignored, settleError) -> {
                throw new CompletionException(typedFailure);
              });
        }
      }
      throw new AssertionError(failure.kind());
    }

    private CompletionStage<Optional<Entry>> onPermanentFailure(
        Held lease, @Nullable TokenRecord marked, TokenEndpointException failure) {
      long expected = marked == null ? 0 : marked.version();
      return read()
          .thenCompose(
              current -> {
                if (current.isPresent() && current.get().version() > expected) {
                  // invalid_grant after someone else stored a newer token is a race (our
                  // refresh token was already rotated), not a revocation: adopt theirs.
                  log.info(
                      "credential '{}': {} but a newer version {} is stored; adopting it",
                      key,
                      failure.getMessage(),
                      current.get().version());
                  return CompletableFuture.completedFuture(Optional.<Entry>empty());
                }
                OAuth2Error error = failure.error();
                boolean grantRejected =
                    error != null && OAuth2Error.INVALID_GRANT.equals(error.error());
                Reason reason =
                    !grantRejected
                        ? Reason.CLIENT_REJECTED
                        : sawForeignMark ? Reason.LOST_ROTATION : Reason.REVOKED;
                if (marked == null) {
                  return markReauthAt(lease, 0, null, reason, error);
                }
                return markReauth(lease, marked, reason, error);
              });
    }

    private CompletionStage<Optional<Entry>> markReauth(
        Held lease, TokenRecord base, Reason reason, @Nullable OAuth2Error error) {
      return markReauthAt(lease, base.version(), base, reason, error);
    }

    private CompletionStage<Optional<Entry>> markReauthAt(
        Held lease,
        long expected,
        @Nullable TokenRecord base,
        Reason reason,
        @Nullable OAuth2Error error) {
      TokenRecord next =
          lease.stamp(
              TokenRecord.builder()
                  .schemaVersion(base == null ? TokenRecord.CURRENT_SCHEMA : base.schemaVersion())
                  .version(expected + 1)
                  .status(TokenStatus.REAUTH_REQUIRED)
                  .reauthReason(reason)
                  .errorCode(error == null ? null : error.error())
                  .writer(env.workerId())
                  .writtenAt(now())
                  .generation(base == null ? TokenRecord.newGeneration() : base.generation())
                  .build());
      return env.store()
          .compareAndSet(key, expected, next)
          .thenCompose(
              outcome -> {
                if (!outcome.applied()) {
                  return lostRace(lease, outcome);
                }
                reportUnannounced(next.version(), outcome);
                ReauthenticationRequiredException failure = requireNonNull(install(next).failure);
                log.error("{}", failure.getMessage());
                if (failure instanceof LostRotationException lost) {
                  counters.lostRotations.increment();
                  notifyListener(l -> l.onLostRotation(key, lost));
                }
                return CompletableFuture.failedFuture(failure);
              });
    }

    private CompletionStage<Optional<Entry>> lostRace(Held lease, WriteOutcome outcome) {
      return switch (outcome.result()) {
        case FENCE_REJECTED -> {
          counters.fencedWritesRejected.increment();
          notifyListener(l -> l.onFencedWriteRejected(key, lease.fence()));
          yield CompletableFuture.completedFuture(Optional.empty());
        }
        case SCHEMA_NEWER -> CompletableFuture.failedFuture(schemaTooNew(outcome.current()));
        case APPLIED, VERSION_MOVED, MARK_HELD ->
            CompletableFuture.completedFuture(Optional.empty());
      };
    }

    private TokenSet merge(@Nullable TokenSet previous, TokenResponse response, Instant sentAt) {
      boolean selfRenewing = renewal.grantType() == GrantType.CLIENT_CREDENTIALS;
      String refreshToken = response.refreshToken();
      if (selfRenewing) {
        refreshToken = null; // never stored: client_credentials renews without one
      } else if (refreshToken == null && previous != null) {
        refreshToken = previous.refreshToken(); // RFC 6749 sec. 6: keep the old one
      }
      Set<String> scopes = response.scopes();
      if (scopes == null) {
        scopes = previous != null ? previous.scopes() : renewal.scopes(); // sec. 3.3 / 5.1
      }
      return new TokenSet(
          response.accessToken(),
          response.tokenType(),
          refreshToken,
          scopes,
          sentAt,
          sentAt.plus(Duration.between(response.issuedAt(), response.expiresAt())));
    }

    private void reportDurability(long version, WriteOutcome.Durability durability) {
      if (durability.isShort()) {
        counters.underReplicatedWrites.increment();
        log.warn(
            "credential '{}': version {} confirmed by {} of {} replicas; a failover now could lose"
                + " this rotation",
            key,
            version,
            durability.acknowledged(),
            durability.requested());
        notifyListener(
            l ->
                l.onUnderReplicatedWrite(
                    key, version, durability.requested(), durability.acknowledged()));
      }
    }

    private void reportFailure(TransientRefreshException failure) {
      lastFailure = failure;
      boolean willRetry = shouldRetry(failure);
      log.warn(
          "credential '{}': {}{}",
          key,
          failure.getMessage(),
          willRetry ? "; retrying" : "; giving up");
      notifyListener(l -> l.onRefreshFailed(key, failure, willRetry));
    }
  }

  // ---------------------------------------------------------------------------------------------
  // The near-cache: install records, move phases with timers, follow the change feed.

  /** Installs a stored record unless a newer one is cached; returns what is cached now. */
  private Entry install(TokenRecord record) {
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
      Instant now = now();
      if (current.version != 0 && record.version() > current.version) {
        observePropagation(record, now);
      }
      double draw = env.random().nextDouble();
      installed = Entry.of(key, record, now, policy, roundTrip(), draw);
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
      notifyListener(l -> l.onReauthenticationRequired(key, failure));
    }
    return installed;
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
    return env.scheduler().schedule(task, delay, TimeUnit.NANOSECONDS);
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
    // divergedAfterFailover); the writer's own notice is told apart until a gap (onGap), which
    // such a failover causes. Lower: a notice that arrived late (one read wasted), or a record
    // created again from version 1 (another generation), which must be adopted now rather than
    // when the cached token runs out.
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
      announced = new Announced(version, now().plus(window));
    }
  }

  /** A refresh of {@code version} another worker announced, which may run until {@code until}. */
  private record Announced(long version, Instant until) {}

  /**
   * Whether another worker announced a refresh of {@code version} that may still be running, and no
   * version at or above it was noticed since (which ends it, whatever its window said: a notice of
   * a record created again at that version included).
   */
  private boolean othersRefreshing(long version) {
    Announced running = announced;
    return running != null && running.version() == version && now().isBefore(running.until());
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
   * A rotation of this worker's, from the moment its write is sent: its version, whether the store
   * applied it, and whether a notice of that version arrived meanwhile.
   */
  private record OwnWrite(long version, boolean applied, boolean noticed) {}

  /** Notes that a write of {@code version} is being sent: its notice is this worker's own. */
  private void expectOwnNotice(long version) {
    synchronized (ownWriteLock) {
      ownWrite = new OwnWrite(version, /* applied= */ false, /* noticed= */ false);
    }
  }

  /**
   * Settles the write of {@code version}. Applied: its notice, if still to come, is skipped once.
   * Not applied: a notice of that version that arrived meanwhile was someone else's (or an
   * ambiguous one's) and is read now.
   */
  private void ownWriteDone(long version, boolean applied) {
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

  /** Re-reads the store in the background and installs what it finds; one at a time. */
  private void sync() {
    if (closed || !syncing.compareAndSet(false, true)) {
      return;
    }
    try {
      env.executor()
          .execute(
              () -> {
                noticed.set(false);
                read()
                    .whenComplete(
                        (stored, error) -> {
                          syncing.set(false);
                          if (error != null) {
                            log.debug("credential '{}': re-reading the store failed", key, error);
                            return;
                          }
                          stored
                              .filter(r -> r.schemaVersion() <= TokenRecord.CURRENT_SCHEMA)
                              .ifPresent(this::install);
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

  /**
   * While the credential is marked re-authentication-required, callers fail at once; this re-reads
   * at most once a second in case the seed that cleared the mark was announced to nobody here.
   */
  private void resyncFailedNow() {
    Instant now = now();
    if (now.isAfter(nextFailedResync)) {
      nextFailedResync = now.plus(policy.pollBackoff().max());
      sync();
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Store errors that are not the token's: a misconfigured store, a write nobody was told of.

  /** A store misconfiguration and until when new flights fail with it without asking the store. */
  private record HeldFailure(StoreMisconfiguredException error, Instant until) {}

  /**
   * Holds a store misconfiguration for the longest poll pause, and reports it once: an operator
   * must fix the store, and until then each call gets the same error.
   */
  private void holdMisconfigured(StoreMisconfiguredException error) {
    HeldFailure previous = misconfigured;
    misconfigured = new HeldFailure(error, now().plus(policy.pollBackoff().max()));
    if (previous != null
        && String.valueOf(previous.error().getMessage()).equals(error.getMessage())) {
      log.debug("credential '{}': the store is still misconfigured", key);
      return;
    }
    log.error("{}", error.getMessage());
    notifyListener(l -> l.onRefreshFailed(key, error, /* willRetry= */ false));
  }

  private void clearMisconfigured() {
    if (misconfigured != null) {
      misconfigured = null;
      log.info("credential '{}': the store answers again", key);
    }
  }

  /** Reports an applied write the store could not announce: workers learn of it by polling. */
  private void reportUnannounced(long version, WriteOutcome outcome) {
    String reason = outcome.announcementFailure();
    if (reason == null) {
      return;
    }
    counters.unannouncedWrites.increment();
    log.warn(
        "credential '{}': version {} was stored but not announced to other workers ({}); they"
            + " find it when they next read the store",
        key,
        version,
        reason);
    notifyListener(l -> l.onUnannouncedWrite(key, version, reason));
  }

  // ---------------------------------------------------------------------------------------------
  // Helpers.

  private CompletionStage<Optional<TokenRecord>> read() {
    try {
      return env.store().read(key);
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
  }

  private CompletionStage<TokenResponse> requestToken(TokenRequest request) {
    try {
      return endpoint.requestToken(request);
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
  }

  private IllegalStateException closedError() {
    return new ClosedException(key);
  }

  /** A call on a coordinator that no longer serves: its herd was closed or its key removed. */
  private static final class ClosedException extends IllegalStateException {
    private static final long serialVersionUID = 1L;

    ClosedException(TokenKey key) {
      super(
          "credential '"
              + key
              + "' is no longer served by this coordinator: its herd was closed or the credential"
              + " removed (TokenHerd.remove); ask the herd for a new one");
    }
  }

  private <T> CompletableFuture<T> withTimeout(CompletionStage<T> stage, Duration timeout) {
    CompletableFuture<T> result = new CompletableFuture<>();
    ScheduledFuture<?> timer =
        env.scheduler()
            .schedule(
                () ->
                    result.completeExceptionally(
                        TokenEndpointException.builder()
                            .kind(TokenEndpointException.Kind.AMBIGUOUS)
                            .message("no answer within " + timeout)
                            .build()),
                timeout.toNanos(),
                TimeUnit.NANOSECONDS);
    stage.whenComplete(
        (value, error) -> {
          timer.cancel(false);
          if (error != null) {
            result.completeExceptionally(error);
          } else {
            result.complete(value);
          }
        });
    return result;
  }

  private static TokenEndpointException classify(Throwable error) {
    Throwable cause = unwrap(error);
    if (cause instanceof TokenEndpointException endpointError) {
      return endpointError;
    }
    // An endpoint that does not classify its failures: assume the worst that is still
    // retryable, that the request may have reached the server.
    return TokenEndpointException.builder()
        .kind(TokenEndpointException.Kind.AMBIGUOUS)
        .message("unclassified failure " + cause.getClass().getName())
        .cause(cause)
        .build();
  }

  private TokenRefreshException typed(Throwable error) {
    Throwable cause = unwrap(error);
    if (cause instanceof TokenRefreshException refreshError) {
      return refreshError;
    }
    if (cause instanceof TokenEndpointException endpointError) {
      return new AmbiguousRefreshException(
          key, String.valueOf(endpointError.getMessage()), endpointError);
    }
    return new StoreUnavailableException(
        key, "store, lock or change feed failed: " + cause.getClass().getName(), cause);
  }

  private <T> T rethrowTyped(@Nullable T value, @Nullable Throwable error) {
    if (error != null) {
      throw new CompletionException(typed(error));
    }
    return requireNonNull(value);
  }

  private static Throwable unwrap(Throwable error) {
    Throwable current = error;
    while ((current instanceof CompletionException || current instanceof ExecutionException)
        && current.getCause() != null) {
      current = requireNonNull(current.getCause());
    }
    return current;
  }

  private static CompletionException asCompletion(Throwable error) {
    return error instanceof CompletionException completion
        ? completion
        : new CompletionException(error);
  }

  private UnreadableRecordException schemaTooNew(@Nullable TokenRecord record) {
    return new UnreadableRecordException(
        key,
        UnreadableRecordException.Problem.SCHEMA_TOO_NEW,
        "schema "
            + (record == null ? "?" : record.schemaVersion())
            + " is newer than "
            + TokenRecord.CURRENT_SCHEMA,
        null);
  }

  /**
   * Returns {@code base} with {@code mark} and the mark's own fence: never the stored fence, which
   * would let a lease whose fence is lower pass the store's check.
   */
  private static TokenRecord withMark(TokenRecord base, RefreshMark mark) {
    return withMark(base, mark, mark.fence());
  }

  private static TokenRecord withMark(TokenRecord base, @Nullable RefreshMark mark, long fence) {
    return base.toBuilder().fence(fence).refreshing(mark).build();
  }

  private PermanentRefreshException fenceBehind(
      Held lease, long stored, String why, @Nullable Throwable cause) {
    return new PermanentRefreshException(
        key,
        "the refresh lock's fence counter is behind the store (lease fence "
            + lease.fence()
            + " is not above the stored fence "
            + stored
            + " while the lock is held) and "
            + why
            + ": set the lock's counter above "
            + stored
            + " to resume; no token request was sent",
        null,
        cause);
  }

  /** Returns {@code marked} with its mark settled: the request is over, the mark stays. */
  private static TokenRecord settled(TokenRecord marked) {
    return withMark(marked, requireNonNull(marked.refreshing()).settled());
  }

  private static boolean isAnotherGeneration(Entry current, TokenRecord record) {
    return current.phase != Phase.EMPTY && !record.generation().equals(current.generation);
  }

  /**
   * Until when a holder whose lease ends at {@code leaseEnd} may still store a rotation it
   * received: a lease time after its lease (the budget of storeRotation's retries).
   */
  private Instant rotationDeadline(Instant leaseEnd) {
    return leaseEnd.plus(policy.leaseTime());
  }

  /**
   * What a holder keeps between a request's backstop and its lease's end, and between its last
   * store write and its mark's end: a sixteenth of the lease.
   */
  private Duration sendMargin() {
    return policy.leaseTime().dividedBy(16);
  }

  /** A new mark id: random, so that no two attempts share one, whatever their fences. */
  private static String markId() {
    return UUID.randomUUID().toString();
  }

  private Instant now() {
    return env.clock().instant();
  }

  /**
   * Returns how long this worker's token requests have been taking: the expiry margin and the
   * refresh-ahead point make room for it (see {@link RefreshPolicy#expireAt(Instant, Instant,
   * Duration)}). Zero until one answered.
   */
  private Duration roundTrip() {
    return Duration.ofNanos(roundTripNanos.get());
  }

  /**
   * Takes in one request's round trip: a slower one at once (a margin too small serves expired
   * tokens), a faster one a quarter at a time (one quick answer does not undo a slow endpoint).
   */
  private void observeRoundTrip(Duration taken) {
    long sample = Math.max(0, taken.toNanos());
    var unused =
        roundTripNanos.getAndUpdate(
            current -> sample >= current ? sample : current - (current - sample) / 4);
  }

  /**
   * Takes in what a refresh by another worker took to reach this one: from when its request was
   * sent (the token set's issue instant, on the fleet's clock) to now, when its record is installed
   * here. Every worker then leaves room for the whole refresh, propagation included, not only the
   * one that sends. Records older than half their lifetime (a worker that was not listening, a seed
   * of an old login) say nothing about a refresh and are skipped.
   */
  private void observePropagation(TokenRecord record, Instant now) {
    TokenSet tokens = record.tokens();
    if (tokens == null) {
      return;
    }
    Duration age = Duration.between(tokens.issuedAt(), now);
    if (!age.isNegative() && age.compareTo(tokens.lifetime().dividedBy(2)) < 0) {
      observeRoundTrip(age);
    }
  }

  private void notifyListener(Consumer<RefreshListener> event) {
    try {
      env.executor()
          .execute(
              () -> {
                try {
                  event.accept(env.listener());
                } catch (RuntimeException e) {
                  log.warn("credential '{}': refresh listener failed", key, e);
                }
              });
    } catch (RejectedExecutionException e) {
      log.debug("credential '{}': listener event dropped, executor rejected it", key);
    }
  }

  /**
   * Stops this coordinator: no new attempt starts, callers fail at once.
   *
   * @return completes when no token request of this coordinator is still waiting to store its
   *     answer
   */
  CompletableFuture<Void> close() {
    closed = true;
    subscription.close();
    synchronized (stateLock) {
      cancelTimers();
      // Off the hot path too (it reads no flag): every later call takes the slow path, which
      // fails closed; and the cached token is not kept alive by a coordinator nobody serves.
      entry = Entry.EMPTY;
    }
    CompletableFuture<Entry> running = flight.get();
    if (running != null) {
      running.completeExceptionally(closedError());
    }
    return requestSettled;
  }

  @Override
  public String toString() {
    return "TokenCoordinator[" + key + ", " + entry + "]";
  }

  private static final class Counters {
    final LongAdder tokenRequests = new LongAdder();
    final LongAdder refreshes = new LongAdder();
    final LongAdder adoptions = new LongAdder();
    final LongAdder lockContended = new LongAdder();
    final LongAdder transientFailures = new LongAdder();
    final LongAdder ambiguousFailures = new LongAdder();
    final LongAdder permanentFailures = new LongAdder();
    final LongAdder fencedWritesRejected = new LongAdder();
    final LongAdder lostRotations = new LongAdder();
    final LongAdder callerTimeouts = new LongAdder();
    final LongAdder underReplicatedWrites = new LongAdder();
    final LongAdder unannouncedWrites = new LongAdder();

    CoordinatorStats snapshot() {
      return new CoordinatorStats(
          tokenRequests.sum(),
          refreshes.sum(),
          adoptions.sum(),
          lockContended.sum(),
          transientFailures.sum(),
          ambiguousFailures.sum(),
          permanentFailures.sum(),
          fencedWritesRejected.sum(),
          lostRotations.sum(),
          callerTimeouts.sum(),
          underReplicatedWrites.sum(),
          unannouncedWrites.sum());
    }
  }
}

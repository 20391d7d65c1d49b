package dev.tokenherd.coordinator.internal;

import static java.util.Objects.requireNonNull;

import dev.tokenherd.coordinator.AccessToken;
import dev.tokenherd.coordinator.CoordinatorStats;
import dev.tokenherd.coordinator.RefreshPolicy;
import dev.tokenherd.coordinator.RefreshTimeoutException;
import dev.tokenherd.coordinator.Renewal;
import dev.tokenherd.coordinator.StoreMisconfiguredException;
import dev.tokenherd.coordinator.TokenCoordinator;
import dev.tokenherd.coordinator.TokenKey;
import dev.tokenherd.coordinator.TokenRefreshException;
import dev.tokenherd.coordinator.TokenSet;
import dev.tokenherd.coordinator.TransientRefreshException;
import dev.tokenherd.coordinator.internal.Decision.Trigger;
import dev.tokenherd.coordinator.spi.TokenEndpoint;
import dev.tokenherd.coordinator.spi.TokenRecord;
import dev.tokenherd.coordinator.spi.WriteOutcome;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Serves one credential: the near-cache on the hot path, one refresh in flight per process, and the
 * fleet-wide refresh protocol of DESIGN.md on top of the store, lock and feed.
 */
final class CredentialCoordinator extends NearCache implements TokenCoordinator {
  private static final Logger log = LoggerFactory.getLogger(CredentialCoordinator.class);

  /** Extra real time a blocking caller waits beyond the policy's wait timeout. */
  private static final Duration BLOCKING_GRACE = Duration.ofSeconds(1);

  /** How many times a seed re-reads after losing a race before giving up. */
  private static final int SEED_ATTEMPTS = 16;

  private final TokenKey key;
  private final TokenEndpoint endpoint;
  private final Renewal renewal;
  private final Environment env;
  private final RefreshPolicy policy;

  private final CredentialContext context;
  private final Counters counters;

  private final RequestSender sender;

  /** The refresh in flight in this process, if any (single-flight). */
  private final AtomicReference<@Nullable CompletableFuture<Entry>> flight =
      new AtomicReference<>();

  /** The store's last misconfiguration, held so that callers fail at once (see startFlight). */
  private volatile @Nullable HeldFailure misconfigured;

  private final FeedFollower feed;
  private final RotationWriter writer;
  private final RefreshProtocol protocol;

  CredentialCoordinator(TokenKey key, TokenEndpoint endpoint, Renewal renewal, Environment env) {
    this(
        new CredentialContext(key, endpoint, renewal, env),
        new RoundTrips(),
        new VersionWaiters(env.scheduler()));
  }

  private CredentialCoordinator(
      CredentialContext context, RoundTrips roundTrips, VersionWaiters waiters) {
    super(context, roundTrips, waiters);
    this.context = context;
    this.key = context.key();
    this.endpoint = context.endpoint();
    this.renewal = context.renewal();
    this.env = context.env();
    this.policy = context.policy();
    this.counters = context.counters();
    // The feed subscribes at once: its notices only reach the near cache, initialized by now.
    this.feed = new FeedFollower(context, this, waiters);
    this.writer = new RotationWriter(context, feed);
    RequestSender sender = new RequestSender(context, roundTrips, writer);
    this.protocol = new RefreshProtocol(context, this, waiters, feed, writer, sender);
    this.sender = sender;
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
    Entry e = entry();
    AccessToken token = e.token;
    if (e.phase == Phase.FRESH && token != null) {
      return token.value();
    }
    return await(slowPath(e)).value();
  }

  @Override
  public AccessToken token() {
    Entry e = entry();
    AccessToken token = e.token;
    if (e.phase == Phase.FRESH && token != null) {
      return token;
    }
    return await(slowPath(e));
  }

  @Override
  public CompletableFuture<AccessToken> tokenAsync() {
    Entry e = entry();
    CompletableFuture<AccessToken> done = e.completed;
    if (e.phase == Phase.FRESH && done != null) {
      return done;
    }
    return slowPath(e);
  }

  private CompletableFuture<AccessToken> slowPath(Entry e) {
    if (context.closed()) {
      return CompletableFuture.failedFuture(Failures.closed(key));
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
        if (!feed.othersRefreshing(e.version)) {
          CompletableFuture<Entry> unused = startFlight(e, Trigger.STALE, null);
        }
        yield requireNonNull(done);
      }
      case FAILED -> {
        feed.resyncWhileFailed();
        yield CompletableFuture.failedFuture(requireNonNull(e.failure));
      }
      case EMPTY, EXPIRED -> awaitFlight(startFlight(e, Trigger.EXPIRED, null));
    };
  }

  @Override
  public CompletableFuture<AccessToken> rejected(String accessToken) {
    requireNonNull(accessToken, "accessToken");
    Entry e = entry();
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
                    ? awaitFlight(startFlight(entry(), Trigger.REJECTED, accessToken))
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
    return context
        .read()
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
                          writer.reportUnannounced(next.version(), outcome);
                          return CompletableFuture.completedFuture(
                              requireNonNull(install(next).token));
                        }
                        if (outcome.result() == WriteOutcome.Result.SCHEMA_NEWER) {
                          throw Failures.schemaTooNew(key, outcome.current());
                        }
                        if (attempt >= SEED_ATTEMPTS) {
                          throw new TransientRefreshException(
                              key, "seed kept losing races to other writers", null, null);
                        }
                        return seedAttempt(tokens, attempt + 1);
                      });
            })
        .handle((value, error) -> Failures.rethrowTyped(key, value, error));
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
                      new RefreshTimeoutException(key, wait, context.lastFailure()))) {
                    counters.callerTimeouts.increment();
                  }
                },
                wait.toNanos(),
                TimeUnit.NANOSECONDS);
    CompletableFuture<Entry> unused =
        running.whenComplete(
            (done, error) -> {
              deadline.cancel(false);
              if (error != null) {
                result.completeExceptionally(Failures.typed(key, error));
              } else if (done.token != null && now().isBefore(done.servableUntil)) {
                // The token this caller waited for, even if a slow refresh (a loaded machine)
                // brought it back inside its expiry skew: it has not expired, even on a server
                // that counts whole seconds.
                result.complete(done.token);
              } else if (done.token != null) {
                // The token had expired when it came back: the server issued it expired
                // (expires_in 0 or negative), or the refresh took longer than the token lives.
                // Its rotation is stored; the caller is not served it, and its next call
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
    return result;
  }

  private AccessToken await(CompletableFuture<AccessToken> pending) {
    long bound = policy.waitTimeout().plus(BLOCKING_GRACE).toNanos();
    try {
      return pending.get(bound, TimeUnit.NANOSECONDS);
    } catch (ExecutionException e) {
      Throwable cause = Failures.unwrap(requireNonNull(e.getCause()));
      if (Failures.isClosed(cause)) {
        throw Failures.closed(key); // not a store failure: a misuse, with this caller's stack
      }
      throw Failures.typed(key, cause);
    } catch (TimeoutException e) {
      counters.callerTimeouts.increment();
      throw new RefreshTimeoutException(key, policy.waitTimeout(), context.lastFailure());
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
                    protocol
                        .fly(seen, trigger, rejectedToken)
                        .whenComplete(
                            (result, failed) -> {
                              // The record is installed before the flight completes, so that
                              // callers woken by the completion find it cached.
                              Entry done = result == null ? null : install(result.record());
                              Throwable error = result == null ? failed : result.failure();
                              // Unregister before completing, so that callers woken by the
                              // completion and finding a stale entry start a new flight.
                              flight.compareAndSet(mine, null);
                              if (error != null) {
                                TokenRefreshException failure = Failures.typed(key, error);
                                context.lastFailure(failure);
                                if (failure instanceof StoreMisconfiguredException store) {
                                  holdMisconfigured(store);
                                }
                                mine.completeExceptionally(failure);
                              } else {
                                clearMisconfigured();
                                mine.complete(requireNonNull(done));
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
    context.notifyListener(l -> l.onRefreshFailed(key, error, /* willRetry= */ false));
  }

  private void clearMisconfigured() {
    if (misconfigured != null) {
      misconfigured = null;
      log.info("credential '{}': the store answers again", key);
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Helpers.

  private Instant now() {
    return context.now();
  }

  /**
   * Stops this coordinator: no new attempt starts, callers fail at once.
   *
   * @return completes when no token request of this coordinator is still waiting to store its
   *     answer
   */
  CompletableFuture<Void> close() {
    context.close();
    feed.close();
    // Off the hot path too (it reads no flag): every later call takes the slow path.
    clear();
    CompletableFuture<Entry> running = flight.get();
    if (running != null) {
      running.completeExceptionally(Failures.closed(key));
    }
    return sender.settled();
  }

  @Override
  public String toString() {
    return "TokenCoordinator[" + key + ", " + entry() + "]";
  }
}

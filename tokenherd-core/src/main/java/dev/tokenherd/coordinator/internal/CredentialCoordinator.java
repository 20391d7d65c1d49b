package dev.tokenherd.coordinator.internal;

import static java.util.Objects.requireNonNull;

import dev.tokenherd.coordinator.AccessToken;
import dev.tokenherd.coordinator.CoordinatorStats;
import dev.tokenherd.coordinator.CredentialState;
import dev.tokenherd.coordinator.ReauthenticationRequiredException;
import dev.tokenherd.coordinator.RefreshPolicy;
import dev.tokenherd.coordinator.RefreshTimeoutException;
import dev.tokenherd.coordinator.Renewal;
import dev.tokenherd.coordinator.TokenCoordinator;
import dev.tokenherd.coordinator.TokenKey;
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
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@link TokenCoordinator} of one credential: what a caller holds, and the entry point to the
 * engine. The hot path is here and is one volatile read of the {@link NearCache} entry (this class
 * extends it; the near cache says why) and one field compare: no clock, no lock, no allocation.
 * Everything else is delegated, one role per class:
 *
 * <ul>
 *   <li>{@link NearCache}: the cached entry and its phases (FRESH, STALE, EXPIRED, FAILED);
 *   <li>{@link SingleFlight}: one refresh per process, and the callers that wait for it;
 *   <li>{@link RefreshProtocol}: the fleet-wide protocol a flight runs ({@link Decision}, {@link
 *       FencedLease}, {@link RequestSender}, {@link RotationWriter});
 *   <li>{@link FeedFollower}: the change feed's notices and other workers' announcements.
 * </ul>
 *
 * <p>docs/architecture.md ("The engine, class by class") draws how a token request walks through
 * them, and the order in which to read them.
 */
final class CredentialCoordinator extends NearCache implements TokenCoordinator {
  private static final Logger log = LoggerFactory.getLogger(CredentialCoordinator.class);

  /** Extra real time a blocking caller waits beyond the policy's wait timeout. */
  private static final Duration BLOCKING_GRACE = Duration.ofSeconds(1);

  /** How many times a seed re-reads after losing a race before giving up. */
  private static final int SEED_ATTEMPTS = 16;

  private final CredentialContext context;
  private final TokenKey key;
  private final Environment env;
  private final RefreshPolicy policy;
  private final FeedFollower feed;
  private final RotationWriter writer;
  private final RequestSender sender;
  private final SingleFlight flights;

  /**
   * When this worker last refreshed because a resource server rejected the current token, and the
   * version that token came from.
   */
  private volatile @Nullable RejectionRefresh lastRejection;

  private record RejectionRefresh(Instant at, long rejectedVersion) {}

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
    this.env = context.env();
    this.policy = context.policy();
    // The feed subscribes at once: its notices only reach the near cache, initialized by now.
    this.feed = new FeedFollower(context, this, waiters);
    this.writer = new RotationWriter(context, feed);
    this.sender = new RequestSender(context, roundTrips, writer);
    RefreshProtocol protocol = new RefreshProtocol(context, this, waiters, feed, writer, sender);
    this.flights = new SingleFlight(context, this, protocol);
  }

  TokenEndpoint endpoint() {
    return context.endpoint();
  }

  Renewal renewal() {
    return context.renewal();
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
        if (!context.now().isBefore(e.expireAt)) {
          // The expiry timer is late (a starved machine): on this slow path, and only here, the
          // clock decides, so a token is never served past its expiry (I4).
          yield flights.join(e, Trigger.EXPIRED, null);
        }
        // Refresh ahead: serve the still-valid token now; the flight runs in the background and
        // reports its own failures (log, listener), so its future is deliberately not awaited.
        // Not while another worker's announced refresh of this version may still be running: its
        // notice brings the new version for one read, where a flight of ours would read, ask for
        // the lock it holds and poll.
        if (!feed.othersRefreshing(e.version)) {
          CompletableFuture<Entry> unused = flights.start(e, Trigger.STALE, null);
        }
        yield requireNonNull(done);
      }
      case FAILED -> {
        feed.resyncWhileFailed();
        yield CompletableFuture.failedFuture(requireNonNull(e.failure));
      }
      case EMPTY, EXPIRED -> flights.join(e, Trigger.EXPIRED, null);
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
    Instant now = context.now();
    RejectionRefresh last = lastRejection;
    if (e.phase.usable()
        && last != null
        && e.version > last.rejectedVersion()
        && now.isBefore(last.at().plus(TokenCoordinator.REJECTION_COOLDOWN))) {
      // The token a rejection brought moments ago is rejected too: the resource server refuses
      // every token (a wrong audience, its clock), and refreshing on each call would rotate the
      // refresh token on each call. The caller gets the current token and its 401. (Callers that
      // reject the same token as the refresh under way join that refresh below.)
      return requireNonNull(e.completed);
    }
    if (last == null || e.version > last.rejectedVersion()) {
      lastRejection = new RejectionRefresh(now, e.version);
    }
    // A flight already under way may have been started for another reason and may adopt the very
    // token that was rejected; then one more flight, triggered by the rejection, is needed.
    return flights
        .join(e, Trigger.REJECTED, accessToken)
        .thenCompose(
            token ->
                token.value().equals(accessToken)
                    ? flights.join(entry(), Trigger.REJECTED, accessToken)
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
                  TokenRecord.seeded(
                      tokens, version + 1, fence, env.workerId(), context.now(), generation);
              return env.store()
                  .compareAndSet(key, version, next)
                  .thenCompose(
                      outcome -> {
                        if (outcome.applied()) {
                          log.info("credential '{}': seeded at version {}", key, next.version());
                          flights.storeAnswers();
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
    return context.counters().snapshot();
  }

  @Override
  public CredentialState state() {
    Entry e = entry();
    AccessToken token = e.token;
    ReauthenticationRequiredException failed = e.failure;
    Throwable last = context.failureSinceSuccess();
    return new CredentialState(
        key,
        context.closed() ? CredentialState.Status.CLOSED : status(e.phase),
        token == null ? null : token.expiresAt(),
        token == null ? null : e.refreshAt,
        e.version,
        flights.inFlight(),
        failed == null ? null : failed.reason(),
        last == null ? null : Failures.typed(key, last),
        stats());
  }

  private static CredentialState.Status status(Phase phase) {
    return switch (phase) {
      case EMPTY -> CredentialState.Status.EMPTY;
      case FRESH -> CredentialState.Status.FRESH;
      case STALE -> CredentialState.Status.STALE;
      case EXPIRED -> CredentialState.Status.EXPIRED;
      case FAILED -> CredentialState.Status.REAUTHENTICATION_REQUIRED;
    };
  }

  /** Waits for {@code pending} on the caller's thread, bounded, and rethrows its typed failure. */
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
      context.counters().callerTimeouts.increment();
      throw new RefreshTimeoutException(key, policy.waitTimeout(), context.lastFailure());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new TransientRefreshException(key, "interrupted while waiting for a token", null, e);
    }
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
    flights.close();
    return sender.settled();
  }

  @Override
  public String toString() {
    return "TokenCoordinator[" + key + ", " + entry() + "]";
  }
}

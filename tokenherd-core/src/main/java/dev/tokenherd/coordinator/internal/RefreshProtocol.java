package dev.tokenherd.coordinator.internal;

import static java.util.Objects.requireNonNull;

import dev.tokenherd.coordinator.GrantType;
import dev.tokenherd.coordinator.ReauthenticationReason;
import dev.tokenherd.coordinator.RefreshPolicy;
import dev.tokenherd.coordinator.RefreshTimeoutException;
import dev.tokenherd.coordinator.Renewal;
import dev.tokenherd.coordinator.TokenKey;
import dev.tokenherd.coordinator.TokenRefreshException;
import dev.tokenherd.coordinator.TokenSet;
import dev.tokenherd.coordinator.internal.Decision.Trigger;
import dev.tokenherd.coordinator.spi.RefreshMark;
import dev.tokenherd.coordinator.spi.TokenRecord;
import dev.tokenherd.coordinator.spi.TokenRequest;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The fleet-wide refresh protocol of DESIGN.md, for one credential: read the record, {@linkplain
 * Decision decide}, and either adopt what is stored, fail, or ask the lock. A worker that gets no
 * lease waits for a newer version (change feed, or a poll with backoff) and reads again: waiters
 * never touch the endpoint. So does a worker behind another holder's announced refresh of the
 * version it would refresh ({@link FeedFollower#othersRefreshing}): it does not ask for the lock
 * that holder holds, nor, on a flight's first step, read the version still being refreshed. A
 * worker that gets one reads again under it (the double-check), plans the token request and hands
 * it to the {@link RequestSender}; the lease is released whatever happens.
 *
 * <p>It returns records and never installs them: a flight completes with the {@link FlightResult}
 * that the {@link SingleFlight} hands to the {@link NearCache}, like a cache loader whose cache
 * installs what it loaded. One exception, and why: a record of another generation (deleted and
 * created again) is installed the moment it is read, because the {@link VersionWaiters} this flight
 * may wait on next must start counting from its version first (else a waiter that saw version 7
 * takes version 1 as already passed and polls in a tight loop).
 */
final class RefreshProtocol {
  private static final Logger log = LoggerFactory.getLogger(RefreshProtocol.class);

  private final CredentialContext context;
  private final TokenKey key;
  private final RefreshPolicy policy;
  private final Renewal renewal;
  private final NearCache cache;
  private final VersionWaiters waiters;
  private final FeedFollower feed;
  private final RotationWriter writer;
  private final RequestSender sender;

  RefreshProtocol(
      CredentialContext context,
      NearCache cache,
      VersionWaiters waiters,
      FeedFollower feed,
      RotationWriter writer,
      RequestSender sender) {
    this.context = context;
    this.key = context.key();
    this.policy = context.policy();
    this.renewal = context.renewal();
    this.cache = cache;
    this.waiters = waiters;
    this.feed = feed;
    this.writer = writer;
    this.sender = sender;
  }

  /**
   * Runs one flight: attempts, retried on transient failures until its deadline.
   *
   * @param seen the entry cached when the flight started
   * @param trigger why it started
   * @param rejectedToken the access token a resource server rejected, for {@link Trigger#REJECTED}
   * @return the record to install, or a typed failure
   */
  CompletionStage<FlightResult> fly(Entry seen, Trigger trigger, @Nullable String rejectedToken) {
    Flight flight = new Flight(context, seen, trigger, rejectedToken);
    return flight.run(() -> attempt(flight));
  }

  /** One attempt, failing only with typed exceptions so that the retry predicate can judge. */
  private CompletionStage<FlightResult> attempt(Flight flight) {
    return step(flight, 0).handle((value, error) -> Failures.rethrowTyped(key, value, error));
  }

  private CompletionStage<FlightResult> step(Flight flight, int polls) {
    if (context.closed()) {
      return CompletableFuture.failedFuture(Failures.closed(key));
    }
    Instant now = context.now();
    if (!now.isBefore(flight.deadline())) {
      return CompletableFuture.failedFuture(
          new RefreshTimeoutException(
              key, Duration.between(flight.started(), now), context.lastFailure()));
    }
    long seenVersion = flight.seen().version;
    if (polls == 0 && feed.othersRefreshing(seenVersion)) {
      // Another worker announced a refresh of the version this flight started from: what a read
      // would show now is that version, still being refreshed. Its notice is read instead.
      return waitForHolder(flight, seenVersion, polls);
    }
    return context
        .read()
        .thenCompose(
            record -> {
              // Another life of the record (created again from version 1) is installed first,
              // so that waits judged by versions start counting again from it.
              record
                  .filter(
                      r ->
                          cache.isAnotherGeneration(r)
                              && r.schemaVersion() <= TokenRecord.CURRENT_SCHEMA)
                  .ifPresent(cache::install);
              Decision decision = decide(flight, record);
              return switch (decision.action()) {
                case ADOPT ->
                    CompletableFuture.completedFuture(adopt(flight, record.orElseThrow()));
                case FAIL -> fail(record, requireNonNull(decision.failure()));
                case REFRESH -> {
                  if (feed.othersRefreshing(version(record))) {
                    // Another worker announced its refresh of this very version: it holds the
                    // lock, and asking for it would only be refused. Wait for its notice.
                    yield waitForHolder(flight, version(record), polls);
                  }
                  // The lease's end, by this worker's clock, counted from before the lock was
                  // asked for: no later than the lock's own expiry.
                  Instant leaseEnd = context.now().plus(policy.leaseTime());
                  flight.leaseStarts(leaseEnd);
                  yield context
                      .env()
                      .lock()
                      .tryAcquire(key, policy.leaseTime())
                      .thenCompose(
                          lease ->
                              lease.isPresent()
                                  ? holdLease(
                                          flight,
                                          new FencedLease(
                                              lease.get(), context.env().workerId(), feed),
                                          leaseEnd)
                                      .thenCompose(
                                          done ->
                                              done.isPresent()
                                                  ? CompletableFuture.completedFuture(done.get())
                                                  : flight.wasHeldOff()
                                                      ? waitForHolder(
                                                          flight, version(record), polls)
                                                      : step(flight, polls))
                                  : waitForHolder(flight, version(record), polls));
                }
              };
            });
  }

  private Decision decide(Flight flight, Optional<TokenRecord> stored) {
    return Decision.of(
        key, stored, flight.trigger(), flight.rejectedToken(), renewal.grantType(), cache::phaseOf);
  }

  private FlightResult adopt(Flight flight, TokenRecord record) {
    if (record.version() > flight.seen().version
        && !record.writer().equals(context.env().workerId())) {
      context.counters().adoptions.increment();
    }
    return FlightResult.of(record);
  }

  /**
   * Fails with {@code failure}; a record that says re-authentication is required comes back with
   * it, for the near cache to install, so that every later caller fails at once.
   */
  private CompletionStage<FlightResult> fail(
      Optional<TokenRecord> stored, TokenRefreshException failure) {
    Optional<TokenRecord> inactive = stored.filter(r -> !r.isActive());
    return inactive.isPresent()
        ? CompletableFuture.completedFuture(new FlightResult(inactive.get(), failure))
        : CompletableFuture.failedFuture(failure);
  }

  private static long version(Optional<TokenRecord> stored) {
    return stored.map(TokenRecord::version).orElse(0L);
  }

  private CompletionStage<FlightResult> waitForHolder(Flight flight, long version, int polls) {
    if (flight.contended()) {
      context.counters().lockContended.increment();
    }
    Duration left = Duration.between(context.now(), flight.deadline());
    Duration pause = policy.pollBackoff().delay(polls + 1, context.env().random());
    Instant announcedUntil = feed.announcedUntil(version);
    if (announcedUntil != null) {
      // Behind a holder that announced its refresh: wait for its notice (or its announcement
      // that it is over) rather than poll. A refresh ahead, whose token is still valid, waits
      // until the holder's mark runs out; callers who need a token (theirs expired) poll once
      // the holder's request has taken as long as this worker's slow requests do, so that a
      // lost notice costs them no more than that.
      Duration toEnd = Duration.between(context.now(), announcedUntil);
      if (flight.trigger() != Trigger.STALE) {
        Duration slow = context.env().latency().highPercentile();
        toEnd = slow.compareTo(toEnd) < 0 ? slow : toEnd;
      }
      pause = toEnd.compareTo(pause) > 0 ? toEnd : pause;
    }
    if (pause.compareTo(left) > 0) {
      pause = left.isNegative() ? Duration.ZERO : left;
    }
    return waiters.awaitAbove(version, pause).thenCompose(ignored -> step(flight, polls + 1));
  }

  /**
   * Runs the protocol under a lease and always releases it. Completes empty when the attempt lost a
   * race and must start over (the next step re-reads and usually adopts).
   */
  private CompletionStage<Optional<FlightResult>> holdLease(
      Flight flight, FencedLease lease, Instant leaseEnd) {
    CompletionStage<Optional<FlightResult>> work =
        context.read().thenCompose(stored -> underLease(flight, lease, leaseEnd, stored));
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
                            throw Failures.asCompletion(error);
                          }
                          return result;
                        }))
        .thenCompose(stage -> stage);
  }

  private CompletionStage<Optional<FlightResult>> underLease(
      Flight flight, FencedLease lease, Instant leaseEnd, Optional<TokenRecord> stored) {
    if (context.closed()) {
      // Closing: do not send a request whose answer might have nowhere to go.
      return CompletableFuture.failedFuture(Failures.closed(key));
    }
    // Double-check under the lock: another worker may have refreshed since we looked.
    Decision decision = decide(flight, stored);
    if (decision.action() == Decision.Action.ADOPT) {
      return CompletableFuture.completedFuture(Optional.of(adopt(flight, stored.orElseThrow())));
    }
    if (decision.action() == Decision.Action.FAIL) {
      return fail(stored, requireNonNull(decision.failure())).thenApply(Optional::of);
    }
    TokenRecord base = stored.orElse(null);
    TokenSet tokens = base == null ? null : base.tokens();
    String refreshToken = tokens == null ? null : tokens.refreshToken();
    if (renewal.grantType() == GrantType.REFRESH_TOKEN && refreshToken == null) {
      // Seeded without a refresh token: nothing can renew it. Tell the fleet once.
      return writer.markReauth(
          lease, requireNonNull(base), ReauthenticationReason.NOT_RENEWABLE, null);
    }
    Duration left = Duration.between(context.now(), leaseEnd);
    if (left.compareTo(policy.leaseTime().dividedBy(4)) < 0) {
      // Reading took most of the lease: do not send a request we may not be able to store.
      return CompletableFuture.completedFuture(Optional.empty());
    }
    // The configured timeout, raised to follow the endpoint's observed latency (a loaded server
    // answers slowly, and a timeout that fires while it processes is an ambiguous failure).
    Duration timeout = context.env().latency().timeout(policy.endpointTimeout());
    // A first bound; the sender trims it to what the lease has left once the mark is written.
    Duration leaseBound = left.multipliedBy(3).dividedBy(4);
    if (timeout.compareTo(leaseBound) > 0) {
      timeout = leaseBound;
    }
    TokenRequest request =
        renewal.grantType() == GrantType.CLIENT_CREDENTIALS
            ? TokenRequest.clientCredentials(renewal.scopes(), timeout)
            : TokenRequest.refresh(requireNonNull(refreshToken), renewal.scopes(), timeout);
    if (base == null) {
      return sender.send(flight, lease, leaseEnd, null, request, timeout);
    }
    RefreshMark previous = base.refreshing();
    if (flight.found(previous)) {
      // Every mark stored now is another attempt's (ours are new with each attempt): told apart
      // by id, not by fence, which a counter that went back can repeat. Logged once per mark.
      RefreshMark mark = requireNonNull(previous);
      log.warn(
          "credential '{}': found the refresh mark of fence {} by {} from {}; its rotation may"
              + " have been lost",
          key,
          mark.fence(),
          mark.holder(),
          mark.startedAt());
    }
    return sender.send(flight, lease, leaseEnd, base, request, timeout);
  }
}

package dev.tokenherd.coordinator.internal;

import static java.util.Objects.requireNonNull;

import dev.tokenherd.coordinator.AmbiguousRefreshException;
import dev.tokenherd.coordinator.Redaction;
import dev.tokenherd.coordinator.RefreshPolicy;
import dev.tokenherd.coordinator.TokenKey;
import dev.tokenherd.coordinator.TokenSet;
import dev.tokenherd.coordinator.TransientRefreshException;
import dev.tokenherd.coordinator.spi.LockLease;
import dev.tokenherd.coordinator.spi.RefreshMark;
import dev.tokenherd.coordinator.spi.TokenEndpointException;
import dev.tokenherd.coordinator.spi.TokenRecord;
import dev.tokenherd.coordinator.spi.TokenRequest;
import dev.tokenherd.coordinator.spi.TokenResponse;
import dev.tokenherd.coordinator.spi.WriteOutcome;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends the token request of a holder, behind its refresh mark: writes the mark (re-fencing the
 * lease once if the lock's counter went back), waits for a slot under the herd-wide cap ({@link
 * RequestGate}), checks that the request can still end within the lease, sends it with a backstop,
 * and hands the answer to the {@link RotationWriter}. It owns the mark's whole life: written before
 * the request, taken back when the request was not sent or certainly not processed (a transient
 * failure), left settled when the server may have rotated (an ambiguous one), so that the next
 * holder's {@code invalid_grant} is recognised as a lost rotation.
 *
 * <p>The three rules of docs/architecture.md ("A live mark holds off every other sender") are here:
 * a holder sends only if its request can end within its lease, by its own clock, checked after the
 * mark is stored; the mark's window covers the lease plus the rotation budget that follows it,
 * which the store enforces by refusing any other mark while it is live; and the request carries a
 * send-by deadline ({@link TokenRequest#sendByNanos}) past which the endpoint does not send it, so
 * that a pause between the check and the socket cannot make it leave after the lease.
 */
final class RequestSender {
  private static final Logger log = LoggerFactory.getLogger(RequestSender.class);

  private final CredentialContext context;
  private final TokenKey key;
  private final RefreshPolicy policy;
  private final RoundTrips roundTrips;
  private final RotationWriter writer;

  /** Completes when the latest token request's answer was stored or given up (close waits). */
  private volatile CompletableFuture<Void> requestSettled = CompletableFuture.completedFuture(null);

  RequestSender(CredentialContext context, RoundTrips roundTrips, RotationWriter writer) {
    this.context = context;
    this.key = context.key();
    this.policy = context.policy();
    this.roundTrips = roundTrips;
    this.writer = writer;
  }

  /**
   * Marks {@code base} (if there is a record to mark) and sends {@code request} under {@code
   * lease}. Completes empty when the attempt must start over (the mark was refused, the lease ran
   * short, the holder lost a race); with a result when the answer was stored.
   *
   * @param leaseEnd the lease's end by this worker's clock
   * @param timeout the request's timeout before it is trimmed to what the lease has left
   */
  CompletionStage<Optional<FlightResult>> send(
      Flight flight,
      FencedLease lease,
      Instant leaseEnd,
      @Nullable TokenRecord base,
      TokenRequest request,
      Duration timeout) {
    return base == null
        ? call(flight, lease, leaseEnd, null, request, timeout)
        : writeMark(flight, lease, leaseEnd, base, request, timeout, /* refenced= */ false);
  }

  /** Completes when no token request of this credential is still waiting to store its answer. */
  CompletableFuture<Void> settled() {
    return requestSettled;
  }

  /**
   * Writes the refresh mark, stamped with this lease's own fence, and sends the request only if the
   * store took it. The store refuses a mark whose fence is below the stored one: either this lease
   * ran out and another worker has written since (this worker must not send: it adopts or waits),
   * or the lock still holds and the lock's fence counter went back (its key deleted or evicted, a
   * restore, a failover to a lagging replica). Only the lock can tell the two apart, atomically:
   * {@link LockLease#advancePast} re-fences the lease if it still holds the lock ({@link
   * FencedLease#refence}), once per attempt, and the mark is written again under the new fence. The
   * store also refuses a mark while another holder's mark is live (MARK_HELD): that holder may be
   * sending now, whatever the lock says (its key evicted, lost in a failover); this worker then
   * waits.
   */
  private CompletionStage<Optional<FlightResult>> writeMark(
      Flight flight,
      FencedLease lease,
      Instant leaseEnd,
      TokenRecord base,
      TokenRequest request,
      Duration requestTimeout,
      boolean refenced) {
    TokenSet tokens = base.tokens();
    String refreshToken = tokens == null ? null : tokens.refreshToken(); // none: client_credentials
    Instant now = context.now();
    // The mark promises that this holder sends nothing after its lease and stores nothing after
    // the rotation budget that follows it (RotationRetry): until then no other holder may
    // present the refresh token this one may already have had rotated. Whole milliseconds: the
    // store keeps no finer window.
    Duration window =
        Duration.between(now, RefreshMarks.rotationDeadline(leaseEnd, policy))
            .truncatedTo(ChronoUnit.MILLIS);
    RefreshMark mark =
        lease.mark(
            now, Redaction.fingerprint(refreshToken), window.isNegative() ? Duration.ZERO : window);
    TokenRecord marked = RefreshMarks.marked(base, mark);
    return context
        .env()
        .store()
        .compareAndSet(key, base.version(), marked)
        .thenCompose(
            outcome -> {
              if (outcome.applied()) {
                if (outcome.durability().isShort()) {
                  return unconfirmedMark(flight, marked, outcome.durability());
                }
                return call(flight, lease, leaseEnd, marked, request, requestTimeout);
              }
              if (outcome.result() == WriteOutcome.Result.MARK_HELD) {
                RefreshMark held = requireNonNull(outcome.current()).refreshing();
                if (flight.heldOff()) {
                  log.info(
                      "credential '{}': the refresh mark of fence {} by {} is live (its holder"
                          + " may be sending now); not sending under fence {}; waiting for its"
                          + " answer or the end of its window",
                      key,
                      held == null ? "?" : held.fence(),
                      held == null ? "?" : held.holder(),
                      lease.fence());
                }
                return writer.lostRace(lease, outcome);
              }
              if (outcome.result() != WriteOutcome.Result.FENCE_REJECTED || refenced) {
                return writer.lostRace(lease, outcome);
              }
              return lease
                  .refence(key, requireNonNull(outcome.current()).fence())
                  .thenCompose(
                      renewed ->
                          renewed.isPresent()
                              ? writeMark(
                                  flight,
                                  renewed.get(),
                                  leaseEnd,
                                  base,
                                  request,
                                  requestTimeout,
                                  true)
                              : writer.lostRace(lease, outcome));
            });
  }

  /**
   * Sends the request, if it can end within the lease: the last check before sending, after the
   * mark (and any re-fence) was written. A holder that stalled on the way here (a pause, a slow
   * store) past that point does not send; it takes its mark back and starts over. The time between
   * this check and the request leaving the process is the one window no lock or store can close
   * (the authorization server does not check fences); the request's send-by deadline, which the
   * endpoint checks just before its socket, narrows it, and the slack between the request's
   * backstop and the lease's end covers what is left.
   */
  private CompletionStage<Optional<FlightResult>> call(
      Flight flight,
      FencedLease lease,
      Instant leaseEnd,
      @Nullable TokenRecord marked,
      TokenRequest planned,
      Duration plannedTimeout) {
    // The herd-wide cap on requests in flight. A refresh queued here holds its lease (and its
    // mark holds the fleet off), so it waits only as long as its lease could still cover a
    // request afterwards; the check below then sees the time spent queued.
    Duration queueFor =
        Duration.between(context.now(), leaseEnd)
            .minus(RefreshMarks.sendMargin(policy).multipliedBy(2))
            .minus(minimumTimeout());
    TokenSet replaced = marked == null ? null : marked.tokens();
    return context
        .env()
        .gate()
        .acquire(replaced == null ? Instant.MIN : replaced.expiresAt(), queueFor)
        .thenCompose(
            permit -> {
              if (permit.isEmpty() || context.closed()) {
                permit.ifPresent(RequestGate.Permit::release);
                log.debug(
                    "credential '{}': no token request slot came before the lease under fence {}"
                        + " ran short: not sending",
                    key,
                    lease.fence());
                return takeBack(flight, marked);
              }
              return sendNow(
                  flight, lease, leaseEnd, marked, planned, plannedTimeout, permit.get());
            });
  }

  /** Below this a token request is not worth sending: a quarter of the endpoint timeout. */
  private Duration minimumTimeout() {
    return policy.endpointTimeout().dividedBy(4);
  }

  /**
   * A mark fewer replicas confirmed than the store waited for: a failover to a replica without it
   * would let the next holder present the same refresh token, unaware that this one may have. So
   * nothing is sent: the mark is taken back and the attempt fails transiently, so that the flight's
   * retry backoff paces the next one (and the caller's timeout, if it comes, says why).
   */
  private CompletionStage<Optional<FlightResult>> unconfirmedMark(
      Flight flight, TokenRecord marked, WriteOutcome.Durability durability) {
    writer.reportDurability(
        marked.version(),
        durability,
        " (its refresh mark, written before a token request): not sending");
    TransientRefreshException failure =
        new TransientRefreshException(
            key,
            "the refresh mark was confirmed by "
                + durability.acknowledged()
                + " of the "
                + durability.requested()
                + " replicas the store waits for, so no token request was sent (a failover to a"
                + " replica without the mark could let another worker present the same refresh"
                + " token); retrying",
            null,
            null);
    context.lastFailure(failure);
    return rewrite(marked, m -> RefreshMarks.takenBack(m, flight.found()))
        .handle(
            (ignored, takeBackError) -> {
              throw new CompletionException(failure);
            });
  }

  /** Takes this attempt's mark back (its request was not sent); the attempt starts over. */
  private CompletionStage<Optional<FlightResult>> takeBack(
      Flight flight, @Nullable TokenRecord marked) {
    return rewrite(marked, m -> RefreshMarks.takenBack(m, flight.found()))
        .handle((ignored, error) -> Optional.<FlightResult>empty());
  }

  /** Writes {@code marked} as {@code change} makes it; nothing if there is no marked record. */
  private CompletionStage<?> rewrite(
      @Nullable TokenRecord marked, UnaryOperator<TokenRecord> change) {
    return marked == null
        ? CompletableFuture.completedFuture(null)
        : context.env().store().compareAndSet(key, marked.version(), change.apply(marked));
  }

  private CompletionStage<Optional<FlightResult>> sendNow(
      Flight flight,
      FencedLease lease,
      Instant leaseEnd,
      @Nullable TokenRecord marked,
      TokenRequest planned,
      Duration plannedTimeout,
      RequestGate.Permit permit) {
    // The request must end, backstop included, a send margin before the lease does. What the
    // mark's write took (a slow store, WAIT for replicas that are gone, a pause) and the time
    // queued for a request slot come off the request's timeout; below a quarter of the endpoint
    // timeout it is not worth sending.
    Duration margin = RefreshMarks.sendMargin(policy);
    Duration room = Duration.between(context.now(), leaseEnd).minus(margin.multipliedBy(2));
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
      return takeBack(flight, marked);
    }
    // Rule 3, the send-by deadline: the check above holds only if the request leaves soon after
    // it. A request that leaves at most a send margin plus (room - timeout) from now, its timeout
    // counted from when it leaves, ends by leaseEnd - margin: within the lease whatever held it
    // up on the way (a pause, a slow hand-off). It is also no later than the backstop (timeout +
    // margin from now), so no request leaves after the engine has given it up as unanswered. The
    // endpoint checks it just before the socket (OAuth2TokenEndpoint); nanoTime because the
    // endpoint runs in this JVM on real time, whatever clock the engine was given.
    Duration slack = room.minus(timeout);
    Duration sendWithin = margin.plus(slack.compareTo(timeout) < 0 ? slack : timeout);
    TokenRequest request =
        new TokenRequest(planned.grantType(), planned.refreshToken(), planned.scopes(), timeout)
            .withSendBy(System.nanoTime() + sendWithin.toNanos());
    context.counters().tokenRequests.increment();
    CompletableFuture<Void> settled = new CompletableFuture<>();
    requestSettled = settled;
    // The token set's lifetime starts no later than this, on the fleet's clock: whatever clock
    // the endpoint stamped its response with, the expiry stored is this instant plus the
    // lifetime the server gave.
    Instant sentAt = context.now();
    // Backstop: an endpoint that ignores the request timeout must not hold the lease past its
    // end; the margin left after it covers the moment between the check above and the request
    // leaving the process. It starts once requestToken has returned: an endpoint that does its
    // exchange in the calling thread keeps its answer however long it took (what it sent before
    // returning, it sent within its send-by deadline if it checks one; OAuth2TokenEndpoint does).
    return withTimeout(requestToken(request), timeout.plus(margin))
        .handle(
            (response, error) -> {
              // Every outcome counts: a timeout with the time it was given, a lower bound.
              context.env().latency().record(Duration.between(sentAt, context.now()));
              permit.release();
              if (error != null) {
                return onEndpointFailure(flight, lease, marked, error);
              }
              roundTrips.observe(Duration.between(sentAt, context.now()));
              return writer.onResponse(flight, lease, marked, response, sentAt);
            })
        .thenCompose(stage -> stage)
        .whenComplete((done, error) -> settled.complete(null));
  }

  /**
   * Settles the mark after a failed request, by what the failure says about the server: a permanent
   * one goes to the {@link RotationWriter} (a race, a revocation or a lost rotation); a transient
   * one (certainly not processed) takes the mark back; an ambiguous one (the server may have
   * rotated) leaves it, settled.
   */
  private CompletionStage<Optional<FlightResult>> onEndpointFailure(
      Flight flight, FencedLease lease, @Nullable TokenRecord marked, Throwable error) {
    TokenEndpointException failure = Failures.classify(error);
    switch (failure.kind()) {
      case PERMANENT -> {
        context.counters().permanentFailures.increment();
        return writer.onPermanentFailure(flight, lease, marked, failure);
      }
      case TRANSIENT -> {
        context.counters().transientFailures.increment();
        TransientRefreshException typedFailure = Failures.transientFailure(key, failure);
        reportFailure(flight, typedFailure);
        // The server certainly did not rotate: take the mark back so that nobody suspects
        // a lost rotation later.
        return rewrite(marked, m -> RefreshMarks.takenBack(m, flight.found()))
            .handle(
                (ignored, clearError) -> {
                  throw new CompletionException(typedFailure);
                });
      }
      case AMBIGUOUS, INVALID_RESPONSE -> {
        context.counters().ambiguousFailures.increment();
        AmbiguousRefreshException typedFailure = Failures.ambiguousFailure(key, failure);
        reportFailure(flight, typedFailure);
        // The mark stays, settled: if the server did rotate, the next holder's invalid_grant
        // will be recognised as a lost rotation instead of a revocation; and as the request is
        // over, the next holder need not wait out the mark's window.
        return rewrite(marked, RefreshMarks::settled)
            .handle(
                (ignored, settleError) -> {
                  throw new CompletionException(typedFailure);
                });
      }
    }
    throw new AssertionError(failure.kind());
  }

  private void reportFailure(Flight flight, TransientRefreshException failure) {
    context.lastFailure(failure);
    boolean willRetry = flight.willRetry(failure);
    log.warn(
        "credential '{}': {}{}",
        key,
        failure.getMessage(),
        willRetry ? "; retrying" : "; giving up");
    context.notifyListener(l -> l.onRefreshFailed(key, failure, willRetry));
  }

  private CompletionStage<TokenResponse> requestToken(TokenRequest request) {
    try {
      return context.endpoint().requestToken(request);
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
  }

  /** Fails {@code stage} as ambiguous (no answer) unless it completes within {@code timeout}. */
  private <T> CompletableFuture<T> withTimeout(CompletionStage<T> stage, Duration timeout) {
    CompletableFuture<T> result = new CompletableFuture<>();
    ScheduledFuture<?> timer =
        context
            .env()
            .scheduler()
            .schedule(
                () -> result.completeExceptionally(Failures.noAnswer(timeout)),
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
}

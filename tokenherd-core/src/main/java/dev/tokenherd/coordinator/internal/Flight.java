package dev.tokenherd.coordinator.internal;

import static java.util.Objects.requireNonNull;

import dev.tokenherd.coordinator.AmbiguousRefreshException;
import dev.tokenherd.coordinator.RefreshPolicy;
import dev.tokenherd.coordinator.RefreshTimeoutException;
import dev.tokenherd.coordinator.TransientRefreshException;
import dev.tokenherd.coordinator.internal.Decision.Trigger;
import dev.tokenherd.coordinator.spi.RefreshMark;
import io.github.resilience4j.retry.Retry;
import io.github.resilience4j.retry.RetryConfig;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;

/**
 * One refresh of this process, from its trigger to a {@link FlightResult} or a typed failure: why
 * it started, until when it may try, its retries, and what its attempts have learned so far.
 *
 * <p>Attempts are retried by resilience4j on transient failures, with backoff (and at least a
 * {@code Retry-After}, or the endpoint's slow latency after an ambiguous failure), until the
 * deadline: the cached token's expiry for a refresh ahead, whose callers are still served, else the
 * wait timeout that its callers wait. The lock is held per attempt, never across a backoff.
 *
 * <p>Its state is written and read along one attempt's chain of stages, one after the other, so it
 * needs no lock: {@link RefreshProtocol} notes the lease and the mark it found, {@link
 * RequestSender} whether another holder's mark held it off, {@link RotationWriter} reads whether a
 * foreign mark was seen (a later {@code invalid_grant} is then a lost rotation).
 */
final class Flight {
  private final CredentialContext context;
  private final RefreshPolicy policy;
  private final Entry seen;
  private final Trigger trigger;
  private final @Nullable String rejectedToken;
  private final Instant started;
  private final Instant deadline;

  /** An attempt of this flight found a mark it did not write: its rotation may have been lost. */
  private boolean sawForeignMark;

  /** The last mark this flight tried to write was refused: another holder's mark is live. */
  private boolean heldOff;

  /** Whether being held off was logged: once per flight. */
  private boolean heldOffBefore;

  /** The end of the current attempt's lease, by this worker's clock. */
  private Instant leaseEnd = Instant.MIN;

  /** The mark found under the current lease (another attempt's), to put back if ours is undone. */
  private @Nullable RefreshMark found;

  /** The last foreign mark this flight logged, so that waiting on a live one logs it once. */
  private @Nullable RefreshMark lastFoundMark;

  private boolean countedContention;

  Flight(CredentialContext context, Entry seen, Trigger trigger, @Nullable String rejectedToken) {
    this.context = context;
    this.policy = context.policy();
    this.seen = seen;
    this.trigger = trigger;
    this.rejectedToken = rejectedToken;
    this.started = context.now();
    Instant waitDeadline = started.plus(policy.waitTimeout());
    this.deadline =
        trigger == Trigger.STALE && seen.expireAt.isAfter(waitDeadline)
            ? seen.expireAt
            : waitDeadline;
  }

  /** Runs {@code attempt} until it succeeds, fails in a way no retry can mend, or time is up. */
  CompletionStage<FlightResult> run(Supplier<CompletionStage<FlightResult>> attempt) {
    RetryConfig config =
        RetryConfig.<FlightResult>custom()
            .maxAttempts(policy.maxAttempts())
            .retryOnException(this::willRetry)
            .intervalBiFunction(
                (count, outcome) ->
                    retryDelay(count, outcome.isLeft() ? outcome.getLeft() : null).toMillis())
            .build();
    Retry retry = Retry.of("tokenherd:" + context.key().name(), config);
    return Retry.decorateCompletionStage(retry, context.env().scheduler(), attempt).get();
  }

  /** Whether an attempt that failed with {@code error} is followed by another. */
  boolean willRetry(Throwable error) {
    Throwable cause = Failures.unwrap(error);
    if (context.closed()
        || !(cause instanceof TransientRefreshException transientError)
        || cause instanceof RefreshTimeoutException) {
      return false;
    }
    Duration retryAfter = transientError.retryAfter();
    Instant now = context.now();
    Instant earliest = retryAfter == null ? now : now.plus(retryAfter);
    return earliest.isBefore(deadline);
  }

  private Duration retryDelay(int attempt, @Nullable Throwable error) {
    Duration delay = policy.retryBackoff().delay(attempt, context.env().random());
    if (error != null
        && Failures.unwrap(error) instanceof TransientRefreshException transientError
        && transientError.retryAfter() != null) {
      Duration retryAfter = requireNonNull(transientError.retryAfter());
      delay = retryAfter.compareTo(delay) > 0 ? retryAfter : delay;
    }
    if (error != null && Failures.unwrap(error) instanceof AmbiguousRefreshException) {
      // The request may still be processed (a loaded server answers late, or not at all to a
      // client that gave up): wait as long as the endpoint's slow answers take before the next
      // attempt re-reads the store and, only if nothing newer is stored, presents the refresh
      // token again.
      Duration slow = context.env().latency().highPercentile();
      delay = slow.compareTo(delay) > 0 ? slow : delay;
    }
    Duration left = Duration.between(context.now(), deadline);
    return left.isNegative() ? Duration.ZERO : (delay.compareTo(left) > 0 ? left : delay);
  }

  /** The entry cached when the flight started. */
  Entry seen() {
    return seen;
  }

  Trigger trigger() {
    return trigger;
  }

  /** The access token a resource server rejected, for {@link Trigger#REJECTED}. */
  @Nullable String rejectedToken() {
    return rejectedToken;
  }

  Instant started() {
    return started;
  }

  /** After this instant no attempt starts and none waits. */
  Instant deadline() {
    return deadline;
  }

  /** Notes the start of an attempt under a lease that ends at {@code end}, by this clock. */
  void leaseStarts(Instant end) {
    leaseEnd = end;
    heldOff = false;
  }

  /** The end of the current attempt's lease, by this worker's clock. */
  Instant leaseEnd() {
    return leaseEnd;
  }

  /**
   * Notes the mark found in the record under the current lease ({@code null}: none).
   *
   * @return whether it is a mark this flight has not logged yet
   */
  boolean found(@Nullable RefreshMark mark) {
    found = mark;
    sawForeignMark |= mark != null;
    if (mark == null || mark.equals(lastFoundMark)) {
      return false;
    }
    lastFoundMark = mark;
    return true;
  }

  /** The mark found under the current lease, if any. */
  @Nullable RefreshMark found() {
    return found;
  }

  /** Whether an attempt of this flight found a mark it did not write. */
  boolean sawForeignMark() {
    return sawForeignMark;
  }

  /**
   * Notes that another holder's live mark refused this attempt's.
   *
   * @return whether that is the first time in this flight (it is logged once)
   */
  boolean heldOff() {
    heldOff = true;
    if (heldOffBefore) {
      return false;
    }
    heldOffBefore = true;
    return true;
  }

  /** Whether the current attempt was held off by another holder's live mark. */
  boolean wasHeldOff() {
    return heldOff;
  }

  /**
   * Notes that the lock was held by another worker.
   *
   * @return whether that is the first time in this flight (it is counted once)
   */
  boolean contended() {
    if (countedContention) {
      return false;
    }
    countedContention = true;
    return true;
  }
}

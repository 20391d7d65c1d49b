package dev.tokenherd.coordinator.internal;

import static java.util.Objects.requireNonNull;

import dev.tokenherd.coordinator.PermanentRefreshException;
import dev.tokenherd.coordinator.RefreshPolicy;
import dev.tokenherd.coordinator.TokenKey;
import dev.tokenherd.coordinator.spi.TokenRecord;
import dev.tokenherd.coordinator.spi.WriteOutcome;
import io.github.resilience4j.retry.Retry;
import io.github.resilience4j.retry.RetryConfig;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.CompletionStage;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One write of a rotation the server has already made, retried through a store outage. Its refresh
 * token is now the only valid one, so a store that cannot be reached is retried with backoff
 * (resilience4j, as a flight's attempts are) until a lease time after the lease's end, within the
 * refresh mark's window, which holds every other holder off until then, rather than dropping the
 * rotation and, on the next attempt, presenting the rotated-away refresh token again. Retrying is
 * safe at any time: the store applies the write only if the version did not move and no higher
 * fence wrote since; a definite answer (applied or rejected) or a typed permanent store error ends
 * the retries. Closing does not stop them: close() waits for them (closeTimeout).
 *
 * <p>It also tells the {@link FeedFollower} that the change notice of this version is this worker's
 * own, so that it is not read back.
 */
final class RotationRetry {
  private static final Logger log = LoggerFactory.getLogger(RotationRetry.class);

  private final CredentialContext context;
  private final TokenKey key;
  private final RefreshPolicy policy;
  private final long version;
  private final Instant leaseEnd;
  private @Nullable Instant giveUpAt;
  private int failures;

  private RotationRetry(CredentialContext context, long version, Instant leaseEnd) {
    this.context = context;
    this.key = context.key();
    this.policy = context.policy();
    this.version = version;
    this.leaseEnd = leaseEnd;
  }

  /**
   * Writes {@code next} over version {@code expected}, retrying store failures until the rotation
   * deadline of a lease that ends at {@code leaseEnd}.
   */
  static CompletionStage<WriteOutcome> store(
      CredentialContext context,
      FeedFollower feed,
      Instant leaseEnd,
      long expected,
      TokenRecord next) {
    RotationRetry write = new RotationRetry(context, next.version(), leaseEnd);
    RetryConfig config =
        RetryConfig.<WriteOutcome>custom()
            .maxAttempts(Integer.MAX_VALUE) // bounded by time: shouldRetry
            .retryOnException(write::shouldRetry)
            .intervalBiFunction((attempt, outcome) -> write.pause(attempt).toMillis())
            .build();
    Retry retry = Retry.of("tokenherd-store:" + context.key().name(), config);
    feed.expectOwnNotice(next.version());
    return Retry.decorateCompletionStage(
            retry,
            context.env().scheduler(),
            () -> context.env().store().compareAndSet(context.key(), expected, next))
        .get()
        .whenComplete(
            (outcome, error) ->
                feed.ownWriteDone(next.version(), error == null && outcome.applied()));
  }

  private boolean shouldRetry(Throwable error) {
    Throwable cause = Failures.unwrap(error);
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
      giveUpAt =
          RefreshMarks.rotationDeadline(leaseEnd, policy).minus(RefreshMarks.sendMargin(policy));
      log.warn(
          "credential '{}': storing the rotation of version {} failed ({}); retrying until {}",
          key,
          version,
          cause.getClass().getSimpleName(),
          giveUpAt);
    }
    if (context.now().isBefore(requireNonNull(giveUpAt))) {
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

  private Duration pause(int attempt) {
    Duration pause = policy.retryBackoff().delay(attempt, context.env().random());
    Duration left = Duration.between(context.now(), requireNonNull(giveUpAt));
    return left.isNegative() ? Duration.ZERO : (pause.compareTo(left) > 0 ? left : pause);
  }
}

package dev.tokenherd.coordinator.internal;

import static java.util.Objects.requireNonNull;

import dev.tokenherd.coordinator.AccessToken;
import dev.tokenherd.coordinator.RefreshPolicy;
import dev.tokenherd.coordinator.RefreshTimeoutException;
import dev.tokenherd.coordinator.StoreMisconfiguredException;
import dev.tokenherd.coordinator.TokenKey;
import dev.tokenherd.coordinator.TokenRefreshException;
import dev.tokenherd.coordinator.TransientRefreshException;
import dev.tokenherd.coordinator.internal.Decision.Trigger;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * At most one refresh of one credential in flight in this process, and the callers that wait for
 * it. Every caller that finds the cached token stale or expired joins the flight in progress, or
 * starts one ({@link #start}); the flight runs the {@link RefreshProtocol} on the herd's executor,
 * hands the record it brings back to the {@link NearCache}, and only then completes, so that the
 * callers it wakes find the new entry cached. A failed flight fails every caller with the same
 * typed error. Each waiting caller gets its own future with its own deadline ({@link #join}), never
 * the shared one, so that one caller's cancel cannot poison the others. A caller whose refreshed
 * token ran out before it got it (a refresh slower than the token lives) follows one more shared
 * flight within its wait.
 *
 * <p>It also holds a misconfigured store (an ACL refusal, a key of the wrong type) for a poll
 * pause: until an operator acts, asking the store again on every call would change nothing.
 */
final class SingleFlight {
  private static final Logger log = LoggerFactory.getLogger(SingleFlight.class);

  /**
   * The shortest stated lifetime for which a token that ran out before its waiting caller got it is
   * taken for a late refresh (and refreshed once more) rather than a token the server issued
   * already expired (expires_in 0, negative, or a fraction of a millisecond).
   */
  private static final Duration LATE_TOKEN_LIFETIME = Duration.ofMillis(1);

  private final CredentialContext context;
  private final TokenKey key;
  private final RefreshPolicy policy;
  private final NearCache cache;
  private final RefreshProtocol protocol;

  /** The refresh in flight in this process, if any. */
  private final AtomicReference<@Nullable CompletableFuture<Entry>> flight =
      new AtomicReference<>();

  /** The store's last misconfiguration, held so that callers fail at once (see start). */
  private volatile @Nullable HeldFailure misconfigured;

  SingleFlight(CredentialContext context, NearCache cache, RefreshProtocol protocol) {
    this.context = context;
    this.key = context.key();
    this.policy = context.policy();
    this.cache = cache;
    this.protocol = protocol;
  }

  /**
   * Returns the flight in progress, or starts one. Its future completes with the entry cached once
   * the flight's record is installed, and must not be handed to callers (see {@link #join}).
   *
   * @param seen the entry the caller found cached
   * @param trigger why a refresh is needed
   * @param rejectedToken the access token a resource server rejected, for {@link Trigger#REJECTED}
   */
  CompletableFuture<Entry> start(Entry seen, Trigger trigger, @Nullable String rejectedToken) {
    HeldFailure held = misconfigured;
    if (held != null && context.now().isBefore(held.until())) {
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
        context
            .env()
            .executor()
            .execute(
                () ->
                    protocol
                        .fly(seen, trigger, rejectedToken)
                        .whenComplete((result, error) -> land(mine, result, error)));
      } catch (RejectedExecutionException e) {
        flight.compareAndSet(mine, null);
        mine.completeExceptionally(
            new TransientRefreshException(key, "the executor rejected the refresh", null, e));
      }
      return mine;
    }
  }

  /**
   * Ends the flight {@code mine}: installs the record it brought back, unregisters it, then
   * completes it with what is cached or with its typed failure.
   */
  private void land(
      CompletableFuture<Entry> mine, @Nullable FlightResult result, @Nullable Throwable failed) {
    Entry done = null;
    Throwable error = failed;
    if (result != null) {
      try {
        // Installed before the flight completes, so that callers woken by it find it cached.
        done = cache.install(result.record());
        error = result.failure();
      } catch (RuntimeException e) {
        error = e;
      }
    }
    TokenRefreshException failure = error == null ? null : Failures.typed(key, error);
    // Recorded before the flight is unregistered: a next flight's outcome then always comes later.
    if (failure != null) {
      context.lastFailure(failure);
    } else {
      context.succeeded();
    }
    // Unregister before completing, so that callers woken by the completion and finding a stale
    // entry start a new flight.
    flight.compareAndSet(mine, null);
    if (failure != null) {
      if (failure instanceof StoreMisconfiguredException store) {
        holdMisconfigured(store);
      }
      mine.completeExceptionally(failure);
    } else {
      storeAnswers();
      mine.complete(requireNonNull(done));
    }
  }

  /** Whether a flight is in progress in this process. */
  boolean inFlight() {
    return flight.get() != null;
  }

  /**
   * Joins the flight in progress, or starts one, for a caller that waits: its own future, which
   * fails with a {@link RefreshTimeoutException} after the policy's wait timeout.
   */
  CompletableFuture<AccessToken> join(Entry seen, Trigger trigger, @Nullable String rejectedToken) {
    return await(start(seen, trigger, rejectedToken));
  }

  private CompletableFuture<AccessToken> await(CompletableFuture<Entry> running) {
    CompletableFuture<AccessToken> result = new CompletableFuture<>();
    Duration wait = policy.waitTimeout();
    ScheduledFuture<?> deadline =
        context
            .env()
            .scheduler()
            .schedule(
                () -> {
                  if (result.completeExceptionally(
                      new RefreshTimeoutException(key, wait, context.lastFailure()))) {
                    context.counters().callerTimeouts.increment();
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
                result.completeExceptionally(Failures.typed(key, error));
              } else if (done.token != null && context.now().isBefore(done.servableUntil)) {
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
                follow(start(cache.entry(), Trigger.EXPIRED, null), result, lateRefreshes - 1);
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

  /** Notes that the store answered (a flight or a seed succeeded): a held misconfiguration ends. */
  void storeAnswers() {
    if (misconfigured != null) {
      misconfigured = null;
      log.info("credential '{}': the store answers again", key);
    }
  }

  /** Fails the flight in progress, if any, for the coordinator closes. */
  void close() {
    CompletableFuture<Entry> running = flight.get();
    if (running != null) {
      running.completeExceptionally(Failures.closed(key));
    }
  }

  /** A store misconfiguration and until when new flights fail with it without asking the store. */
  private record HeldFailure(StoreMisconfiguredException error, Instant until) {}

  /**
   * Holds a store misconfiguration for the longest poll pause, and reports it once: an operator
   * must fix the store, and until then each call gets the same error.
   */
  private void holdMisconfigured(StoreMisconfiguredException error) {
    HeldFailure previous = misconfigured;
    misconfigured = new HeldFailure(error, context.now().plus(policy.pollBackoff().max()));
    if (previous != null
        && String.valueOf(previous.error().getMessage()).equals(error.getMessage())) {
      log.debug("credential '{}': the store is still misconfigured", key);
      return;
    }
    log.error("{}", error.getMessage());
    context.notifyListener(l -> l.onRefreshFailed(key, error, /* willRetry= */ false));
  }
}

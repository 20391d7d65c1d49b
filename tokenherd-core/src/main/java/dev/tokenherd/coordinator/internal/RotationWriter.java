package dev.tokenherd.coordinator.internal;

import static java.util.Objects.requireNonNull;

import dev.tokenherd.coordinator.AccessToken;
import dev.tokenherd.coordinator.GrantType;
import dev.tokenherd.coordinator.LostRotationException;
import dev.tokenherd.coordinator.OAuth2Error;
import dev.tokenherd.coordinator.ReauthenticationReason;
import dev.tokenherd.coordinator.ReauthenticationRequiredException;
import dev.tokenherd.coordinator.Renewal;
import dev.tokenherd.coordinator.TokenKey;
import dev.tokenherd.coordinator.TokenSet;
import dev.tokenherd.coordinator.spi.TokenEndpointException;
import dev.tokenherd.coordinator.spi.TokenRecord;
import dev.tokenherd.coordinator.spi.TokenResponse;
import dev.tokenherd.coordinator.spi.TokenStatus;
import dev.tokenherd.coordinator.spi.WriteOutcome;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Stores what the token endpoint answered a holder, and what a refusal means. A rotation is stored
 * with the lease's fence (compare-and-set on the version it replaces), retried through a store
 * outage within the mark's window, because its refresh token is now the only one the server honours
 * ({@link RotationRetry}); a record that vanished meanwhile is written back as a new one. A
 * permanent refusal is, after one re-read, either a race (a newer version is stored: adopt it), a
 * revocation, a client the server rejects, or a <b>lost rotation</b> (a mark of another attempt was
 * found, so the server had rotated an answer that never reached the store): the credential is then
 * marked re-authentication-required for the whole fleet, once (I6).
 *
 * <p>Every outcome is returned as a {@link FlightResult} (or a typed failure); nothing is installed
 * here. The listener is told of a rotation or a lost rotation as it is stored.
 */
final class RotationWriter {
  private static final Logger log = LoggerFactory.getLogger(RotationWriter.class);

  private final CredentialContext context;
  private final TokenKey key;
  private final Renewal renewal;
  private final FeedFollower feed;

  RotationWriter(CredentialContext context, FeedFollower feed) {
    this.context = context;
    this.key = context.key();
    this.renewal = context.renewal();
    this.feed = feed;
  }

  /**
   * Stores the token set the server answered to the request sent at {@code sentAt}, merged into the
   * record it replaces ({@code marked}; {@code null} for a client_credentials grant of an empty
   * key). Completes empty if the stored record is kept instead (the holder lost a race).
   */
  CompletionStage<Optional<FlightResult>> onResponse(
      Flight flight,
      FencedLease lease,
      @Nullable TokenRecord marked,
      TokenResponse response,
      Instant sentAt) {
    TokenSet previous = marked == null ? null : marked.tokens();
    TokenSet merged = merge(previous, response, sentAt);
    long expected = marked == null ? 0 : marked.version();
    TokenRecord next =
        lease.stamp(
            TokenRecord.builder()
                .version(expected + 1)
                .tokens(merged)
                .writer(context.env().workerId())
                .writtenAt(context.now())
                .generation(marked == null ? TokenRecord.newGeneration() : marked.generation())
                .build());
    return RotationRetry.store(context, feed, flight.leaseEnd(), expected, next)
        .thenCompose(
            outcome -> {
              if (!outcome.applied()) {
                TokenRecord current = outcome.current();
                if (current == null && outcome.result() == WriteOutcome.Result.VERSION_MOVED) {
                  return writeBack(flight, lease, next);
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
              return stored(lease, next, outcome);
            });
  }

  /**
   * The record vanished while the request was in flight (a {@code FLUSHALL}, a {@code DEL}, a
   * failover to an empty replica): the server has rotated, so the token set just received holds the
   * only refresh token it still honours. It is written back as a new record rather than dropped; if
   * the key was seeded again meanwhile, the seed wins (an operator's new login) and the log says
   * the rotation was dropped.
   */
  private CompletionStage<Optional<FlightResult>> writeBack(
      Flight flight, FencedLease lease, TokenRecord received) {
    TokenRecord recreated =
        received.toBuilder()
            .version(1)
            .refreshing(null)
            .reauthReason(null)
            .errorCode(null)
            // a new life of the record: workers that cached the vanished one must tell it apart
            .generation(TokenRecord.newGeneration())
            .build();
    return RotationRetry.store(context, feed, flight.leaseEnd(), 0, recreated)
        .thenCompose(
            outcome -> {
              if (outcome.applied()) {
                log.warn(
                    "credential '{}': the record vanished while a refresh was in flight; the"
                        + " token set received under fence {} is written back as version 1",
                    key,
                    lease.fence());
                return stored(lease, recreated, outcome);
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

  /** Counts and reports a stored rotation, and returns it for the near cache. */
  private CompletionStage<Optional<FlightResult>> stored(
      FencedLease lease, TokenRecord next, WriteOutcome outcome) {
    context.counters().refreshes.increment();
    reportDurability(next.version(), outcome.durability());
    reportUnannounced(next.version(), outcome);
    AccessToken token = Entry.tokenOf(next, requireNonNull(next.tokens()));
    log.debug(
        "credential '{}': refreshed to version {} under fence {}, {}",
        key,
        next.version(),
        lease.fence(),
        token);
    context.notifyListener(l -> l.onRefreshed(key, token));
    return CompletableFuture.completedFuture(Optional.of(FlightResult.of(next)));
  }

  /**
   * Handles a permanent refusal of the request that replaced {@code marked}: a race if a newer
   * version is stored by now (empty: the next step adopts it), else a re-authentication record for
   * the whole fleet, whose reason says whether it was a lost rotation.
   */
  CompletionStage<Optional<FlightResult>> onPermanentFailure(
      Flight flight,
      FencedLease lease,
      @Nullable TokenRecord marked,
      TokenEndpointException failure) {
    long expected = marked == null ? 0 : marked.version();
    return context
        .read()
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
                return CompletableFuture.completedFuture(Optional.<FlightResult>empty());
              }
              OAuth2Error error = failure.error();
              boolean grantRejected =
                  error != null && OAuth2Error.INVALID_GRANT.equals(error.error());
              ReauthenticationReason reason =
                  !grantRejected
                      ? ReauthenticationReason.CLIENT_REJECTED
                      : flight.sawForeignMark()
                          ? ReauthenticationReason.LOST_ROTATION
                          : ReauthenticationReason.REVOKED;
              if (marked == null) {
                return markReauthAt(lease, 0, null, reason, error);
              }
              return markReauth(lease, marked, reason, error);
            });
  }

  /** Marks the credential re-authentication-required over {@code base}, for the whole fleet. */
  CompletionStage<Optional<FlightResult>> markReauth(
      FencedLease lease,
      TokenRecord base,
      ReauthenticationReason reason,
      @Nullable OAuth2Error error) {
    return markReauthAt(lease, base.version(), base, reason, error);
  }

  private CompletionStage<Optional<FlightResult>> markReauthAt(
      FencedLease lease,
      long expected,
      @Nullable TokenRecord base,
      ReauthenticationReason reason,
      @Nullable OAuth2Error error) {
    TokenRecord next =
        lease.stamp(
            TokenRecord.builder()
                .schemaVersion(base == null ? TokenRecord.CURRENT_SCHEMA : base.schemaVersion())
                .version(expected + 1)
                .status(TokenStatus.REAUTH_REQUIRED)
                .reauthReason(reason)
                .errorCode(error == null ? null : error.error())
                .writer(context.env().workerId())
                .writtenAt(context.now())
                .generation(base == null ? TokenRecord.newGeneration() : base.generation())
                .build());
    return context
        .env()
        .store()
        .compareAndSet(key, expected, next)
        .thenCompose(
            outcome -> {
              if (!outcome.applied()) {
                return lostRace(lease, outcome);
              }
              reportUnannounced(next.version(), outcome);
              ReauthenticationRequiredException failure = Entry.reauthFailure(key, next);
              log.error("{}", failure.getMessage());
              if (failure instanceof LostRotationException lost) {
                context.counters().lostRotations.increment();
                context.notifyListener(l -> l.onLostRotation(key, lost));
              }
              return CompletableFuture.completedFuture(
                  Optional.of(new FlightResult(next, failure)));
            });
  }

  /**
   * A write of this holder's that the store did not apply: counted and reported if a higher fence
   * wrote; a newer schema fails the attempt; anything else starts the attempt over (empty).
   */
  CompletionStage<Optional<FlightResult>> lostRace(FencedLease lease, WriteOutcome outcome) {
    return switch (outcome.result()) {
      case FENCE_REJECTED -> {
        context.counters().fencedWritesRejected.increment();
        context.notifyListener(l -> l.onFencedWriteRejected(key, lease.fence()));
        yield CompletableFuture.completedFuture(Optional.empty());
      }
      case SCHEMA_NEWER ->
          CompletableFuture.failedFuture(Failures.schemaTooNew(key, outcome.current()));
      case APPLIED, VERSION_MOVED, MARK_HELD -> CompletableFuture.completedFuture(Optional.empty());
    };
  }

  /** Reports an applied write the store could not announce: workers learn of it by polling. */
  void reportUnannounced(long version, WriteOutcome outcome) {
    String reason = outcome.announcementFailure();
    if (reason == null) {
      return;
    }
    context.counters().unannouncedWrites.increment();
    log.warn(
        "credential '{}': version {} was stored but not announced to other workers ({}); they"
            + " find it when they next read the store",
        key,
        version,
        reason);
    context.notifyListener(l -> l.onUnannouncedWrite(key, version, reason));
  }

  private void reportDurability(long version, WriteOutcome.Durability durability) {
    reportDurability(version, durability, "; a failover now could lose this rotation");
  }

  /**
   * Counts, logs and reports a write confirmed by fewer replicas than the store waited for; {@code
   * consequence} says what that means for this write. Does nothing for a confirmed write.
   */
  void reportDurability(long version, WriteOutcome.Durability durability, String consequence) {
    if (durability.isShort()) {
      context.counters().underReplicatedWrites.increment();
      log.warn(
          "credential '{}': version {} confirmed by {} of {} replicas{}",
          key,
          version,
          durability.acknowledged(),
          durability.requested(),
          consequence);
      context.notifyListener(
          l ->
              l.onUnderReplicatedWrite(
                  key, version, durability.requested(), durability.acknowledged()));
    }
  }

  /**
   * Merges the server's answer into the token set it replaces: an omitted refresh token or scope
   * keeps the old one (RFC 6749 sec. 6, 5.1), and the lifetime starts when the request was sent.
   */
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
}

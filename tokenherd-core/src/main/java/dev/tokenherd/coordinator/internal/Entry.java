package dev.tokenherd.coordinator.internal;

import dev.tokenherd.coordinator.AccessToken;
import dev.tokenherd.coordinator.LostRotationException;
import dev.tokenherd.coordinator.OAuth2Error;
import dev.tokenherd.coordinator.ReauthenticationReason;
import dev.tokenherd.coordinator.ReauthenticationRequiredException;
import dev.tokenherd.coordinator.RefreshPolicy;
import dev.tokenherd.coordinator.TokenKey;
import dev.tokenherd.coordinator.TokenSet;
import dev.tokenherd.coordinator.spi.TokenRecord;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import org.jspecify.annotations.Nullable;

/**
 * The near-cache of one credential: an immutable snapshot that the hot path reads with one volatile
 * load. Everything a caller may need (the token, a completed future of it, the failure) is built
 * once here, so serving allocates nothing.
 */
final class Entry {
  static final Entry EMPTY = withoutToken(0, "", Phase.EMPTY, null);

  final long version;

  /** The cached record's {@linkplain TokenRecord#generation() generation}. */
  final String generation;

  final Phase phase;
  final @Nullable AccessToken token;
  final @Nullable CompletableFuture<AccessToken> completed;
  final @Nullable ReauthenticationRequiredException failure;
  final Instant refreshAt;
  final Instant expireAt;

  /**
   * The last instant a caller that waited for this token may still be handed it: its expiry minus
   * the policy's expiry precision, not the whole skew (see {@link RefreshPolicy#servableUntil}).
   */
  final Instant servableUntil;

  /** How long the token lives as the server stated it (zero: issued expired, or no token). */
  final Duration lifetime;

  private Entry(
      long version,
      String generation,
      Phase phase,
      @Nullable AccessToken token,
      @Nullable CompletableFuture<AccessToken> completed,
      @Nullable ReauthenticationRequiredException failure,
      Instant refreshAt,
      Instant expireAt,
      Instant servableUntil,
      Duration lifetime) {
    this.version = version;
    this.generation = generation;
    this.phase = phase;
    this.token = token;
    this.completed = completed;
    this.failure = failure;
    this.refreshAt = refreshAt;
    this.expireAt = expireAt;
    this.servableUntil = servableUntil;
    this.lifetime = lifetime;
  }

  /**
   * Returns the entry for a stored record, in the phase that {@code now} gives it; {@code
   * roundTrip} is how long this worker's refreshes have been taking (see {@link
   * RefreshPolicy#expireAt(Instant, Instant, Duration)}) and {@code draw} its jitter draw for the
   * token set ({@link RefreshPolicy#refreshAt(Instant, Instant, Duration, double)}).
   */
  static Entry of(
      TokenKey key,
      TokenRecord record,
      Instant now,
      RefreshPolicy policy,
      Duration roundTrip,
      double draw) {
    if (!record.isActive()) {
      return withoutToken(
          record.version(), record.generation(), Phase.FAILED, reauthFailure(key, record));
    }
    TokenSet tokens = record.tokens();
    if (tokens == null) {
      return withoutToken(record.version(), record.generation(), Phase.EMPTY, null);
    }
    Instant refreshAt = policy.refreshAt(tokens.issuedAt(), tokens.expiresAt(), roundTrip, draw);
    Instant expireAt = policy.expireAt(tokens.issuedAt(), tokens.expiresAt(), roundTrip);
    AccessToken token = tokenOf(record, tokens);
    return new Entry(
        record.version(),
        record.generation(),
        phaseAt(now, refreshAt, expireAt),
        token,
        CompletableFuture.completedFuture(token),
        null,
        refreshAt,
        expireAt,
        policy.servableUntil(tokens.issuedAt(), tokens.expiresAt()),
        lifetime(tokens));
  }

  private static Duration lifetime(TokenSet tokens) {
    Duration lifetime = Duration.between(tokens.issuedAt(), tokens.expiresAt());
    return lifetime.isNegative() ? Duration.ZERO : lifetime;
  }

  /** An entry with no token to serve: nothing stored yet, or re-authentication required. */
  private static Entry withoutToken(
      long version,
      String generation,
      Phase phase,
      @Nullable ReauthenticationRequiredException failure) {
    return new Entry(
        version,
        generation,
        phase,
        null,
        null,
        failure,
        Instant.MIN,
        Instant.MIN,
        Instant.MIN,
        Duration.ZERO);
  }

  /**
   * Returns the access token that callers are handed for {@code tokens}, the record's token set.
   */
  static AccessToken tokenOf(TokenRecord record, TokenSet tokens) {
    return new AccessToken(
        tokens.accessToken(),
        tokens.tokenType(),
        tokens.expiresAt(),
        tokens.scopes(),
        record.version());
  }

  /**
   * Returns the phase of a token set at {@code now} for a worker that observed {@code roundTrip}
   * and drew {@code draw}.
   */
  static Phase phaseOf(
      TokenSet tokens, Instant now, RefreshPolicy policy, Duration roundTrip, double draw) {
    return phaseAt(
        now,
        policy.refreshAt(tokens.issuedAt(), tokens.expiresAt(), roundTrip, draw),
        policy.expireAt(tokens.issuedAt(), tokens.expiresAt(), roundTrip));
  }

  private static Phase phaseAt(Instant now, Instant refreshAt, Instant expireAt) {
    if (now.isBefore(refreshAt)) {
      return Phase.FRESH;
    }
    return now.isBefore(expireAt) ? Phase.STALE : Phase.EXPIRED;
  }

  /** Returns the exception that callers get for a record marked re-authentication-required. */
  static ReauthenticationRequiredException reauthFailure(TokenKey key, TokenRecord record) {
    ReauthenticationReason reason =
        Objects.requireNonNullElse(record.reauthReason(), ReauthenticationReason.REVOKED);
    String code = record.errorCode();
    OAuth2Error error = code == null ? null : OAuth2Error.of(code);
    return reason == ReauthenticationReason.LOST_ROTATION
        ? new LostRotationException(key, error)
        : new ReauthenticationRequiredException(key, reason, error);
  }

  Entry withPhase(Phase next) {
    return new Entry(
        version,
        generation,
        next,
        token,
        completed,
        failure,
        refreshAt,
        expireAt,
        servableUntil,
        lifetime);
  }

  @Override
  public String toString() {
    return "Entry[version=" + version + ", phase=" + phase + ", token=" + token + "]";
  }
}

package dev.tokenherd.coordinator;

import static java.util.Objects.requireNonNull;

import java.time.Duration;
import java.time.Instant;
import org.jspecify.annotations.Nullable;

/**
 * A snapshot of one credential as this worker serves it: for health checks, metrics and dashboards.
 * Taking it reads a few fields (no lock, no I/O, no token request); {@link #toString()} never
 * reveals a token.
 *
 * @param key the credential
 * @param status where its token stands in this worker
 * @param expiresAt when the served token expires, on the fleet's clock; {@code null} when none is
 *     cached
 * @param refreshAt when this worker starts refreshing ahead of expiry; {@code null} when no token
 *     is cached
 * @param version the version of the stored record the served token came from; 0 when none
 * @param refreshing whether this worker has a refresh in flight for it
 * @param reauthenticationReason why it needs re-authentication, when {@link
 *     Status#REAUTHENTICATION_REQUIRED}
 * @param lastFailure the last failure of a refresh in this worker since its last success; {@code
 *     null} when the last refresh succeeded or none failed
 * @param stats this worker's counters for the credential
 */
public record CredentialState(
    TokenKey key,
    Status status,
    @Nullable Instant expiresAt,
    @Nullable Instant refreshAt,
    long version,
    boolean refreshing,
    @Nullable ReauthenticationReason reauthenticationReason,
    @Nullable TokenRefreshException lastFailure,
    CoordinatorStats stats) {

  /** Where a credential's token stands in this worker. */
  public enum Status {
    /** No token cached yet (none stored, or none read yet): callers wait for one. */
    EMPTY,
    /** A token is served, and no refresh is due. */
    FRESH,
    /** A token is served while it is refreshed ahead of its expiry. */
    STALE,
    /** The cached token expired: callers wait for a refresh. */
    EXPIRED,
    /** The credential cannot be renewed until a new token set is seeded; callers fail at once. */
    REAUTHENTICATION_REQUIRED,
    /** The coordinator was closed or removed from its herd. */
    CLOSED;

    /**
     * Whether callers get a token at once in this status.
     *
     * @return true for {@link #FRESH} and {@link #STALE}
     */
    public boolean serving() {
      return this == FRESH || this == STALE;
    }
  }

  /**
   * Validates the components.
   *
   * @param key the credential
   * @param status where its token stands
   * @param expiresAt when the served token expires
   * @param refreshAt when the refresh ahead starts
   * @param version the record's version
   * @param refreshing whether a refresh is in flight
   * @param reauthenticationReason why re-authentication is needed
   * @param lastFailure the last failure since the last success
   * @param stats the counters
   */
  public CredentialState {
    requireNonNull(key, "key");
    requireNonNull(status, "status");
    requireNonNull(stats, "stats");
  }

  /**
   * Returns how long the served token has left.
   *
   * @param now the fleet's time now (the herd's clock plus {@link ClockOffset#offset()})
   * @return the time to expiry, negative once expired; {@code null} when no token is cached
   */
  public @Nullable Duration timeToExpiry(Instant now) {
    return expiresAt == null ? null : Duration.between(now, expiresAt);
  }
}

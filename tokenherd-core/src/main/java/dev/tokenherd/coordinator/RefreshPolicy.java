package dev.tokenherd.coordinator;

import static java.util.Objects.requireNonNull;

import com.google.errorprone.annotations.CanIgnoreReturnValue;
import java.time.Duration;
import java.time.Instant;

/**
 * When to refresh, how long to wait and how to retry. Immutable; build one with {@link #builder()}
 * or start from {@link #ofDefaults()}.
 *
 * <p>A token set issued at {@code i} and expiring at {@code e} (lifetime {@code L = e - i}) is
 * <b>fresh</b> until {@code i + refreshAheadFraction * L}, <b>stale</b> (served at once while one
 * background refresh runs) until {@code e - skew}, and <b>expired</b> after that (callers wait for
 * a refresh, up to {@code waitTimeout}). The skew is {@code min(expirySkew, L * (1 -
 * refreshAheadFraction) / 2)}, so that a short-lived token still has a refresh window; it also
 * covers a late timer, because the hot path never reads the clock.
 *
 * <p>The skew is never below {@code expiryPrecision} plus the observed refresh round trip, unless
 * that is more than half the lifetime (then half the lifetime: every token is served for at least
 * half its stated life): most authorization servers count lifetimes from an issue time rounded down
 * to the whole second, so a "4 s" token may live 3.0 s from when the request was sent. And a token
 * refreshed ahead must be stored and announced to the fleet before it stops being served, so the
 * stale point is also no later than the expiry point minus two round trips (one to refresh, one to
 * propagate), though not before half the lifetime unless the refresh-ahead fraction says so.
 *
 * <p>Each worker moves each credential's refresh-ahead point earlier by a random part of {@code
 * refreshJitter * L} (drawn by each worker for each token set of each credential), so that across a
 * fleet, and across the credentials of one worker, refreshes do not all start at the same instant:
 * the worker whose point comes first refreshes, and the others adopt its result from the change
 * feed before their own point comes.
 *
 * @param refreshAheadFraction the fraction of the lifetime after which a token is stale, in (0, 1)
 * @param expirySkew how long before its expiry a token stops being served
 * @param waitTimeout how long a caller waits for a token when the cached one has expired
 * @param leaseTime how long a refresh lock lease lasts
 * @param endpointTimeout the floor of the timeout of one token request, and its value until the
 *     endpoint's latency has been observed; at most 3/4 of {@code leaseTime}, so that a healthy
 *     holder always writes before its lease ends. The timeout actually given is {@code
 *     max(endpointTimeout, 3 x the 99th percentile of the latency of the worker's last 128 token
 *     requests)}, trimmed to what the holder's lease has left: under load it grows with the
 *     endpoint's latency instead of turning slow answers into ambiguous failures
 * @param retryBackoff the backoff between token requests after transient failures
 * @param pollBackoff the backoff between store reads while another worker refreshes
 * @param maxAttempts the most token requests one refresh makes before it gives up (its deadline
 *     usually ends it first)
 * @param expiryPrecision how much earlier than its stated lifetime a token may expire at the
 *     server, because the server counts whole seconds: the least skew
 * @param refreshJitter the largest fraction of the lifetime by which a worker moves a credential's
 *     refresh-ahead point earlier, in [0, {@code refreshAheadFraction}); 0 turns jitter off
 */
// Over 400 lines on purpose: about half are the documentation of each setting, the manual a user
// reads in the IDE, and the nested Builder is public API (Foo.Builder), so it cannot move out. The
// code is one role, about 250 lines.
public record RefreshPolicy(
    double refreshAheadFraction,
    Duration expirySkew,
    Duration waitTimeout,
    Duration leaseTime,
    Duration endpointTimeout,
    Backoff retryBackoff,
    Backoff pollBackoff,
    int maxAttempts,
    Duration expiryPrecision,
    double refreshJitter) {

  /** Default {@link #refreshAheadFraction()}: 0.75. */
  public static final double DEFAULT_REFRESH_AHEAD_FRACTION = 0.75;

  /** Default {@link #expirySkew()}: 10 s. */
  public static final Duration DEFAULT_EXPIRY_SKEW = Duration.ofSeconds(10);

  /** Default {@link #waitTimeout()}: 10 s. */
  public static final Duration DEFAULT_WAIT_TIMEOUT = Duration.ofSeconds(10);

  /** Default {@link #leaseTime()}: 30 s. */
  public static final Duration DEFAULT_LEASE_TIME = Duration.ofSeconds(30);

  /** Default {@link #endpointTimeout()}: 10 s. */
  public static final Duration DEFAULT_ENDPOINT_TIMEOUT = Duration.ofSeconds(10);

  /** Default {@link #maxAttempts()}: 100. */
  public static final int DEFAULT_MAX_ATTEMPTS = 100;

  /** Default {@link #expiryPrecision()}: 1 s, for servers that count whole seconds. */
  public static final Duration DEFAULT_EXPIRY_PRECISION = Duration.ofSeconds(1);

  /** Default {@link #refreshJitter()}: 0.1, a refresh-ahead point between 65% and 75% of L. */
  public static final double DEFAULT_REFRESH_JITTER = 0.1;

  private static final RefreshPolicy DEFAULTS = builder().build();

  /**
   * Validates the components.
   *
   * @param refreshAheadFraction the fraction of the lifetime after which a token is stale, in (0,
   *     1)
   * @param expirySkew how long before its expiry a token stops being served; not negative
   * @param waitTimeout how long a caller waits for a token when the cached one has expired;
   *     positive
   * @param leaseTime how long a refresh lock lease lasts; positive
   * @param endpointTimeout the floor and initial value of a token request's timeout; positive and
   *     at most 3/4 of {@code leaseTime}
   * @param retryBackoff the backoff between token requests after transient failures
   * @param pollBackoff the backoff between store reads while another worker refreshes
   * @param maxAttempts the most token requests one refresh makes; at least 1
   * @param expiryPrecision how much earlier than stated a token may expire at the server; not
   *     negative
   * @param refreshJitter the largest fraction of the lifetime by which a refresh-ahead point moves
   *     earlier; in [0, {@code refreshAheadFraction})
   * @throws IllegalArgumentException if a value is out of range or the endpoint timeout does not
   *     fit in the lease
   */
  public RefreshPolicy {
    requireNonNull(expirySkew, "expirySkew");
    requireNonNull(waitTimeout, "waitTimeout");
    requireNonNull(leaseTime, "leaseTime");
    requireNonNull(endpointTimeout, "endpointTimeout");
    requireNonNull(retryBackoff, "retryBackoff");
    requireNonNull(pollBackoff, "pollBackoff");
    requireNonNull(expiryPrecision, "expiryPrecision");
    requireNotNegative("expiryPrecision", expiryPrecision);
    if (!(refreshAheadFraction > 0.0 && refreshAheadFraction < 1.0)) {
      throw new IllegalArgumentException(
          "refreshAheadFraction must be within (0, 1): " + refreshAheadFraction);
    }
    requireNotNegative("expirySkew", expirySkew);
    requirePositive("waitTimeout", waitTimeout);
    requirePositive("leaseTime", leaseTime);
    requirePositive("endpointTimeout", endpointTimeout);
    if (endpointTimeout.multipliedBy(4).compareTo(leaseTime.multipliedBy(3)) > 0) {
      throw new IllegalArgumentException(
          "endpointTimeout "
              + endpointTimeout
              + " must be at most 3/4 of leaseTime "
              + leaseTime
              + ", so that a holder writes before its lease ends");
    }
    if (maxAttempts < 1) {
      throw new IllegalArgumentException("maxAttempts must be at least 1: " + maxAttempts);
    }
    if (!(refreshJitter >= 0.0 && refreshJitter < refreshAheadFraction)) {
      throw new IllegalArgumentException(
          "refreshJitter must be within [0, refreshAheadFraction "
              + refreshAheadFraction
              + "): "
              + refreshJitter);
    }
  }

  /**
   * Returns the default policy: every component at its {@code DEFAULT_*} value, and {@link
   * Backoff#DEFAULT_RETRY} and {@link Backoff#DEFAULT_POLL} as backoffs.
   *
   * @return the default policy; always the same instance
   */
  public static RefreshPolicy ofDefaults() {
    return DEFAULTS;
  }

  /**
   * Returns a builder holding the defaults.
   *
   * @return a new builder
   */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * Returns a builder that starts from this policy, to derive a policy that differs in a few
   * components.
   *
   * @return a new builder holding this policy's components
   */
  public Builder toBuilder() {
    return new Builder()
        .refreshAheadFraction(refreshAheadFraction)
        .expirySkew(expirySkew)
        .waitTimeout(waitTimeout)
        .leaseTime(leaseTime)
        .endpointTimeout(endpointTimeout)
        .retryBackoff(retryBackoff)
        .pollBackoff(pollBackoff)
        .maxAttempts(maxAttempts)
        .expiryPrecision(expiryPrecision)
        .refreshJitter(refreshJitter);
  }

  /**
   * Returns when a token set becomes stale, before any refresh was observed: {@link
   * #refreshAt(Instant, Instant, Duration)} with a zero round trip.
   *
   * @param issuedAt when the token set was issued
   * @param expiresAt when its access token expires
   * @return the instant from which the token is refreshed ahead
   */
  public Instant refreshAt(Instant issuedAt, Instant expiresAt) {
    return refreshAt(issuedAt, expiresAt, Duration.ZERO, 0.0);
  }

  /**
   * Returns when a token set becomes stale for a worker that observed {@code roundTrip} and drew no
   * jitter: {@link #refreshAt(Instant, Instant, Duration, double)} with a draw of 0.
   *
   * @param issuedAt when the token set was issued
   * @param expiresAt when its access token expires
   * @param roundTrip how long a refresh has been observed to take (zero if none was)
   * @return the instant from which the token is refreshed ahead
   */
  public Instant refreshAt(Instant issuedAt, Instant expiresAt, Duration roundTrip) {
    return refreshAt(issuedAt, expiresAt, roundTrip, 0.0);
  }

  /**
   * Returns when a token set becomes stale for a worker that drew {@code draw} and observed no
   * round trip: {@link #refreshAt(Instant, Instant, Duration, double)} with a zero round trip.
   *
   * @param issuedAt when the token set was issued
   * @param expiresAt when its access token expires
   * @param draw this worker's random draw for the token set, in [0, 1)
   * @return the instant from which this worker refreshes the token ahead
   * @throws IllegalArgumentException if {@code draw} is not within [0, 1)
   */
  public Instant refreshAt(Instant issuedAt, Instant expiresAt, double draw) {
    return refreshAt(issuedAt, expiresAt, Duration.ZERO, draw);
  }

  /**
   * Returns when a token set issued at {@code issuedAt} and expiring at {@code expiresAt} becomes
   * stale for a worker that observed {@code roundTrip} and drew {@code draw}: {@code issuedAt +
   * (refreshAheadFraction - refreshJitter * draw) * (expiresAt - issuedAt)}, but no later than
   * {@linkplain #expireAt(Instant, Instant, Duration) the expiry point} minus two round trips,
   * though not before the middle of the lifetime unless the jittered fraction itself is earlier.
   * Jitter only ever moves the point earlier.
   *
   * @param issuedAt when the token set was issued
   * @param expiresAt when its access token expires
   * @param roundTrip how long a refresh has been observed to take (zero if none was)
   * @param draw this worker's random draw for the token set, in [0, 1)
   * @return the instant from which this worker refreshes the token ahead
   * @throws IllegalArgumentException if {@code draw} is not within [0, 1)
   */
  public Instant refreshAt(Instant issuedAt, Instant expiresAt, Duration roundTrip, double draw) {
    if (!(draw >= 0.0 && draw < 1.0)) {
      throw new IllegalArgumentException("draw must be within [0, 1): " + draw);
    }
    long lifetimeNanos = Math.max(0, Duration.between(issuedAt, expiresAt).toNanos());
    double fraction = refreshAheadFraction - refreshJitter * draw;
    Instant ahead = issuedAt.plusNanos((long) (lifetimeNanos * fraction));
    Instant halfway = issuedAt.plusNanos(lifetimeNanos / 2);
    Instant earliest = ahead.isBefore(halfway) ? ahead : halfway;
    Instant latest = expireAt(issuedAt, expiresAt, roundTrip).minus(roundTrip.multipliedBy(2));
    if (latest.isBefore(earliest)) {
      latest = earliest;
    }
    return ahead.isBefore(latest) ? ahead : latest;
  }

  /**
   * Returns the instant after which a token is no longer served, before any refresh was observed:
   * {@link #expireAt(Instant, Instant, Duration)} with a zero round trip.
   *
   * @param issuedAt when the token set was issued
   * @param expiresAt when the access token expires
   * @return the instant from which callers wait for a refresh instead of getting this token
   */
  public Instant expireAt(Instant issuedAt, Instant expiresAt) {
    return expireAt(issuedAt, expiresAt, Duration.ZERO);
  }

  /**
   * Returns the instant after which a token expiring at {@code expiresAt} is no longer served:
   * {@code expiresAt} minus the skew, where the skew is {@code min(expirySkew, lifetime * (1 -
   * refreshAheadFraction) / 2)}, raised to at least {@code expiryPrecision + roundTrip} but not
   * above half the lifetime.
   *
   * @param issuedAt when the token set was issued; with {@code expiresAt}, it gives the lifetime
   *     that caps the skew
   * @param expiresAt when the access token expires
   * @param roundTrip how long a refresh has been observed to take (zero if none was)
   * @return the instant from which callers wait for a refresh instead of getting this token
   */
  public Instant expireAt(Instant issuedAt, Instant expiresAt, Duration roundTrip) {
    long lifetimeNanos = Math.max(0, Duration.between(issuedAt, expiresAt).toNanos());
    long windowCapNanos = (long) (lifetimeNanos * (1.0 - refreshAheadFraction) / 2.0);
    long skew = Math.min(expirySkew.toNanos(), windowCapNanos);
    long floor = Math.min(expiryPrecision.plus(roundTrip).toNanos(), lifetimeNanos / 2);
    return expiresAt.minusNanos(Math.max(skew, floor));
  }

  /**
   * Returns the last instant a token may be handed to a caller that waited for its refresh: {@code
   * expiresAt} minus the expiry precision, or half the lifetime if that is less. A token served
   * from the cache stops at {@link #expireAt} (the full skew, which also leaves room to refresh); a
   * caller that waited for a slow refresh on a loaded machine is still given the token it waited
   * for, but never one the server may already hold expired.
   *
   * @param issuedAt when the token set was issued
   * @param expiresAt when the access token expires
   * @return the last instant the token is handed over
   */
  public Instant servableUntil(Instant issuedAt, Instant expiresAt) {
    long lifetimeNanos = Math.max(0, Duration.between(issuedAt, expiresAt).toNanos());
    return expiresAt.minusNanos(Math.min(expiryPrecision.toNanos(), lifetimeNanos / 2));
  }

  private static void requirePositive(String name, Duration value) {
    if (value.isNegative() || value.isZero()) {
      throw new IllegalArgumentException(name + " must be positive: " + value);
    }
  }

  private static void requireNotNegative(String name, Duration value) {
    if (value.isNegative()) {
      throw new IllegalArgumentException(name + " must not be negative: " + value);
    }
  }

  /** Builds a {@link RefreshPolicy}; every setter checks its value, {@link #build()} the rest. */
  public static final class Builder {
    private double refreshAheadFraction = DEFAULT_REFRESH_AHEAD_FRACTION;
    private Duration expirySkew = DEFAULT_EXPIRY_SKEW;
    private Duration waitTimeout = DEFAULT_WAIT_TIMEOUT;
    private Duration leaseTime = DEFAULT_LEASE_TIME;
    private Duration endpointTimeout = DEFAULT_ENDPOINT_TIMEOUT;
    private Backoff retryBackoff = Backoff.DEFAULT_RETRY;
    private Backoff pollBackoff = Backoff.DEFAULT_POLL;
    private int maxAttempts = DEFAULT_MAX_ATTEMPTS;
    private Duration expiryPrecision = DEFAULT_EXPIRY_PRECISION;
    private double refreshJitter = DEFAULT_REFRESH_JITTER;

    private Builder() {}

    /**
     * Sets the fraction of a token's lifetime after which it is refreshed ahead (default {@value
     * #DEFAULT_REFRESH_AHEAD_FRACTION}).
     *
     * @param fraction the fraction, strictly between 0 and 1
     * @return this builder
     * @throws IllegalArgumentException if {@code fraction} is not within (0, 1)
     */
    @CanIgnoreReturnValue
    public Builder refreshAheadFraction(double fraction) {
      if (!(fraction > 0.0 && fraction < 1.0)) {
        throw new IllegalArgumentException(
            "refreshAheadFraction must be within (0, 1): " + fraction);
      }
      this.refreshAheadFraction = fraction;
      return this;
    }

    /**
     * Sets how long before its expiry a token stops being served (default 10 s). For short-lived
     * tokens the skew actually applied is smaller (see the class comment).
     *
     * @param skew the skew; zero or positive
     * @return this builder
     * @throws IllegalArgumentException if {@code skew} is negative
     */
    @CanIgnoreReturnValue
    public Builder expirySkew(Duration skew) {
      requireNotNegative("expirySkew", requireNonNull(skew, "expirySkew"));
      this.expirySkew = skew;
      return this;
    }

    /**
     * Sets how long a caller waits for a token when the cached one has expired (default 10 s).
     *
     * @param timeout the wait; positive
     * @return this builder
     * @throws IllegalArgumentException if {@code timeout} is zero or negative
     */
    @CanIgnoreReturnValue
    public Builder waitTimeout(Duration timeout) {
      requirePositive("waitTimeout", requireNonNull(timeout, "waitTimeout"));
      this.waitTimeout = timeout;
      return this;
    }

    /**
     * Sets the refresh lock's lease time (default 30 s): how long a holder may take to refresh
     * before another worker can take over.
     *
     * @param leaseTime the lease time; positive, and at least 4/3 of the endpoint timeout (checked
     *     by {@link #build()})
     * @return this builder
     * @throws IllegalArgumentException if {@code leaseTime} is zero or negative
     */
    @CanIgnoreReturnValue
    public Builder leaseTime(Duration leaseTime) {
      requirePositive("leaseTime", requireNonNull(leaseTime, "leaseTime"));
      this.leaseTime = leaseTime;
      return this;
    }

    /**
     * Sets the floor of a token request's timeout, and its value until the endpoint's latency has
     * been observed (default 10 s). The timeout given grows above it with the endpoint's observed
     * latency (see {@link RefreshPolicy#endpointTimeout()}), up to what the lease has left.
     *
     * @param timeout the timeout; positive, and at most 3/4 of the lease time (checked by {@link
     *     #build()})
     * @return this builder
     * @throws IllegalArgumentException if {@code timeout} is zero or negative
     */
    @CanIgnoreReturnValue
    public Builder endpointTimeout(Duration timeout) {
      requirePositive("endpointTimeout", requireNonNull(timeout, "endpointTimeout"));
      this.endpointTimeout = timeout;
      return this;
    }

    /**
     * Sets the backoff between token requests after transient failures (default {@link
     * Backoff#DEFAULT_RETRY}). A longer {@code Retry-After} from the server takes precedence.
     *
     * @param backoff the backoff
     * @return this builder
     */
    @CanIgnoreReturnValue
    public Builder retryBackoff(Backoff backoff) {
      this.retryBackoff = requireNonNull(backoff, "retryBackoff");
      return this;
    }

    /**
     * Sets the backoff between store reads while another worker refreshes (default {@link
     * Backoff#DEFAULT_POLL}). A change notification ends a wait early.
     *
     * @param backoff the backoff
     * @return this builder
     */
    @CanIgnoreReturnValue
    public Builder pollBackoff(Backoff backoff) {
      this.pollBackoff = requireNonNull(backoff, "pollBackoff");
      return this;
    }

    /**
     * Sets the most token requests one refresh makes before it gives up (default {@value
     * #DEFAULT_MAX_ATTEMPTS}).
     *
     * @param maxAttempts the limit; at least 1
     * @return this builder
     * @throws IllegalArgumentException if {@code maxAttempts} is below 1
     */
    @CanIgnoreReturnValue
    public Builder maxAttempts(int maxAttempts) {
      if (maxAttempts < 1) {
        throw new IllegalArgumentException("maxAttempts must be at least 1: " + maxAttempts);
      }
      this.maxAttempts = maxAttempts;
      return this;
    }

    /**
     * Sets how much earlier than its stated lifetime a token may expire at the server (default
     * {@link #DEFAULT_EXPIRY_PRECISION}, 1 s): most servers count a lifetime from an issue time
     * rounded down to the whole second, and some round {@code expires_in} too. It is the least skew
     * any token gets, with the observed refresh round trip added, unless that is more than half its
     * lifetime. Lower it only for a server known to count milliseconds from the moment it answers.
     *
     * @param precision the precision; zero or positive
     * @return this builder
     * @throws IllegalArgumentException if {@code precision} is negative
     */
    @CanIgnoreReturnValue
    public Builder expiryPrecision(Duration precision) {
      requireNotNegative("expiryPrecision", requireNonNull(precision, "expiryPrecision"));
      this.expiryPrecision = precision;
      return this;
    }

    /**
     * Sets the largest fraction of a token's lifetime by which each worker moves each credential's
     * refresh-ahead point earlier, at random (default {@value #DEFAULT_REFRESH_JITTER}): spreads
     * the refreshes of credentials that expire together, and lets one worker of a fleet refresh
     * while the others adopt its result.
     *
     * @param jitter the fraction; zero (no jitter) or positive, and below the refresh-ahead
     *     fraction (checked by {@link #build()})
     * @return this builder
     * @throws IllegalArgumentException if {@code jitter} is negative or not below 1
     */
    @CanIgnoreReturnValue
    public Builder refreshJitter(double jitter) {
      if (!(jitter >= 0.0 && jitter < 1.0)) {
        throw new IllegalArgumentException("refreshJitter must be within [0, 1): " + jitter);
      }
      this.refreshJitter = jitter;
      return this;
    }

    /**
     * Builds the policy.
     *
     * @return the policy
     * @throws IllegalArgumentException if the endpoint timeout does not fit in the lease, or the
     *     refresh jitter is not below the refresh-ahead fraction
     */
    public RefreshPolicy build() {
      return new RefreshPolicy(
          refreshAheadFraction,
          expirySkew,
          waitTimeout,
          leaseTime,
          endpointTimeout,
          retryBackoff,
          pollBackoff,
          maxAttempts,
          expiryPrecision,
          refreshJitter);
    }
  }
}

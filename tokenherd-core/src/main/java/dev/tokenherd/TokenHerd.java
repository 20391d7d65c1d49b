package dev.tokenherd;

import static java.util.Objects.requireNonNull;

import com.google.errorprone.annotations.CanIgnoreReturnValue;
import dev.tokenherd.coordinator.AccessToken;
import dev.tokenherd.coordinator.ClockOffset;
import dev.tokenherd.coordinator.RefreshListener;
import dev.tokenherd.coordinator.RefreshPolicy;
import dev.tokenherd.coordinator.Renewal;
import dev.tokenherd.coordinator.TokenCoordinator;
import dev.tokenherd.coordinator.TokenKey;
import dev.tokenherd.coordinator.internal.Herd;
import dev.tokenherd.coordinator.memory.InMemoryChangeFeed;
import dev.tokenherd.coordinator.memory.InMemoryRefreshLock;
import dev.tokenherd.coordinator.memory.InMemoryTokenStore;
import dev.tokenherd.coordinator.spi.ChangeFeed;
import dev.tokenherd.coordinator.spi.FleetTime;
import dev.tokenherd.coordinator.spi.RefreshLock;
import dev.tokenherd.coordinator.spi.TokenEndpoint;
import dev.tokenherd.coordinator.spi.TokenStore;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledExecutorService;
import java.util.random.RandomGenerator;
import org.jspecify.annotations.Nullable;

/**
 * A registry of credentials sharing one set of backends (store, lock, change feed): one per worker
 * process, serving any number of credentials or tenants.
 *
 * <pre>{@code
 * TokenHerd herd = TokenHerd.builder()
 *     .tokenStore(store).refreshLock(lock).changeFeed(feed)   // Redis ones for a fleet
 *     .build();
 * TokenCoordinator billing = herd.coordinator(TokenKey.of("billing-api"), endpoint);
 * String bearer = billing.accessToken();
 * }</pre>
 *
 * <p>With no store, lock and feed configured, the herd uses in-memory ones: one JVM, no Redis.
 */
// Over 400 lines on purpose: about half are the documentation of each setting, the manual a user
// reads in the IDE, and the nested Builder is public API (Foo.Builder), so it cannot move out. The
// code is one role, about 250 lines.
public final class TokenHerd implements AutoCloseable {
  private final Herd herd;

  private TokenHerd(Herd herd) {
    this.herd = herd;
  }

  /**
   * Returns a builder with the defaults: in-memory backends, the system clock, a scheduler and an
   * executor owned by the herd, and {@link RefreshPolicy#ofDefaults()}.
   *
   * @return a new builder
   */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * Returns the coordinator of a credential renewed with its refresh token, creating it on first
   * use. Equivalent to {@code coordinator(key, endpoint, Renewal.refreshToken())}.
   *
   * @param key the credential
   * @param endpoint its token endpoint
   * @return the coordinator; the same instance for the same key
   * @throws IllegalStateException if the key is already served with another endpoint or renewal, or
   *     the herd is closed
   */
  public TokenCoordinator coordinator(TokenKey key, TokenEndpoint endpoint) {
    return herd.coordinator(key, endpoint, Renewal.refreshToken());
  }

  /**
   * Returns the coordinator of a credential, creating it on first use.
   *
   * @param key the credential
   * @param endpoint its token endpoint
   * @param renewal how it is renewed
   * @return the coordinator; the same instance for the same key
   * @throws IllegalStateException if the key is already served with another endpoint or renewal, or
   *     the herd is closed
   */
  public TokenCoordinator coordinator(TokenKey key, TokenEndpoint endpoint, Renewal renewal) {
    return herd.coordinator(key, endpoint, renewal);
  }

  /**
   * Stops serving a credential in this worker, so that a worker whose tenants come and go does not
   * grow: its coordinator is closed as {@link #close()} closes each one (no new refresh starts,
   * timers and the change-feed subscription are cancelled, pending callers fail at once, and later
   * calls on that coordinator fail with {@link IllegalStateException}) and the herd forgets it. The
   * stored record is untouched: other workers go on serving the credential, and a later {@link
   * #coordinator} call for the key starts a new coordinator from the store.
   *
   * @param key the credential
   * @return a stage that completes when a token request this worker had already sent for it has
   *     settled (its answer stored, or given up); at once if there was none, or the key was not
   *     served
   */
  public CompletionStage<Void> remove(TokenKey key) {
    return herd.remove(key);
  }

  /**
   * Returns how this worker's clock relates to the fleet's shared clock, as last measured: every
   * expiry the herd stores, serves ({@link AccessToken#expiresAt()}) or waits for is on the fleet's
   * clock, this worker's own clock plus {@link ClockOffset#offset()}.
   *
   * @return the last measurement; {@link ClockOffset#NONE} without a {@linkplain Builder#fleetTime
   *     fleet time}
   */
  public ClockOffset clockOffset() {
    return herd.clockOffset();
  }

  /**
   * Stops every coordinator: no new refresh starts, timers and subscriptions are cancelled and
   * pending callers fail at once. A refresh whose token request was already sent is given up to
   * {@link Builder#closeTimeout} to store what the server answered (so a rotation is not lost in a
   * rolling deploy); then the scheduler is shut down if the herd created it. Backends passed to the
   * builder are not closed: close them after the herd.
   */
  @Override
  public void close() {
    herd.close();
  }

  /** Returns how many credentials this herd serves now. */
  int size() {
    return herd.size();
  }

  @Override
  public String toString() {
    return herd.toString();
  }

  /**
   * Builds a {@link TokenHerd}. Every setter checks its argument at once; {@link #build()} checks
   * the combination.
   */
  public static final class Builder {
    /** How often the offset to the fleet clock is measured again, unless configured. */
    public static final Duration DEFAULT_CLOCK_MEASUREMENT_INTERVAL = Duration.ofSeconds(30);

    /** The clock offset above which a measurement is logged and counted, unless configured. */
    public static final Duration DEFAULT_CLOCK_OFFSET_WARNING = Duration.ofSeconds(1);

    /** Default {@link #maxConcurrentTokenRequests(int)}: 64. */
    public static final int DEFAULT_MAX_CONCURRENT_TOKEN_REQUESTS = 64;

    private @Nullable TokenStore tokenStore;
    private @Nullable RefreshLock refreshLock;
    private @Nullable ChangeFeed changeFeed;
    private Clock clock = Clock.systemUTC();
    private @Nullable ScheduledExecutorService scheduler;
    private @Nullable Executor executor;
    private RefreshPolicy refreshPolicy = RefreshPolicy.ofDefaults();
    private RefreshListener listener = RefreshListener.NONE;
    private @Nullable String workerId;
    private RandomGenerator random = RandomGenerator.getDefault();
    private @Nullable Duration closeTimeout;
    private @Nullable FleetTime fleetTime;
    private Duration clockMeasurementInterval = DEFAULT_CLOCK_MEASUREMENT_INTERVAL;
    private Duration clockOffsetWarning = DEFAULT_CLOCK_OFFSET_WARNING;
    private int maxConcurrentTokenRequests = DEFAULT_MAX_CONCURRENT_TOKEN_REQUESTS;

    private Builder() {}

    /**
     * Sets the token store shared by the fleet. Set the refresh lock and the change feed of the
     * same backend with it.
     *
     * @param tokenStore the store; the herd does not close it
     * @return this builder
     */
    @CanIgnoreReturnValue
    public Builder tokenStore(TokenStore tokenStore) {
      this.tokenStore = requireNonNull(tokenStore, "tokenStore");
      return this;
    }

    /**
     * Sets the refresh lock shared by the fleet. Set the token store and the change feed of the
     * same backend with it.
     *
     * @param refreshLock the lock; the herd does not close it
     * @return this builder
     */
    @CanIgnoreReturnValue
    public Builder refreshLock(RefreshLock refreshLock) {
      this.refreshLock = requireNonNull(refreshLock, "refreshLock");
      return this;
    }

    /**
     * Sets the change feed shared by the fleet. Set the token store and the refresh lock of the
     * same backend with it.
     *
     * @param changeFeed the feed; the herd cancels its subscriptions on close but does not close it
     * @return this builder
     */
    @CanIgnoreReturnValue
    public Builder changeFeed(ChangeFeed changeFeed) {
      this.changeFeed = requireNonNull(changeFeed, "changeFeed");
      return this;
    }

    /**
     * Sets the time source (default {@link Clock#systemUTC()}); tests pass a mutable clock.
     *
     * @param clock the clock the herd reads the time from: for expiry timers, deadlines and the
     *     write time of records
     * @return this builder
     */
    @CanIgnoreReturnValue
    public Builder clock(Clock clock) {
      this.clock = requireNonNull(clock, "clock");
      return this;
    }

    /**
     * Sets the scheduler for expiry timers, retries, backoffs and deadlines. Default: one daemon
     * thread owned (and shut down) by the herd. Tests pass a virtual-time scheduler. The
     * scheduler's delays must be measured on the same time line as the {@linkplain #clock(Clock)
     * clock}.
     *
     * @param scheduler the scheduler; the herd does not shut down one passed here
     * @return this builder
     */
    @CanIgnoreReturnValue
    public Builder scheduler(ScheduledExecutorService scheduler) {
      this.scheduler = requireNonNull(scheduler, "scheduler");
      return this;
    }

    /**
     * Sets the executor that starts refreshes and runs listeners. Default: a pool of daemon threads
     * that the herd owns and shuts down on close. Not the common pool: a caller blocked in {@code
     * accessToken()} inside a common-pool task (a parallel stream, {@code supplyAsync}) would
     * otherwise hold the very thread its refresh needs (on 2 cores the common pool has 1).
     *
     * @param executor the executor; the herd does not shut down one passed here
     * @return this builder
     */
    @CanIgnoreReturnValue
    public Builder executor(Executor executor) {
      this.executor = requireNonNull(executor, "executor");
      return this;
    }

    /**
     * Sets when to refresh, how long callers wait and how to retry (default {@link
     * RefreshPolicy#ofDefaults()}).
     *
     * @param refreshPolicy the policy, shared by every credential of the herd
     * @return this builder
     */
    @CanIgnoreReturnValue
    public Builder refreshPolicy(RefreshPolicy refreshPolicy) {
      this.refreshPolicy = requireNonNull(refreshPolicy, "refreshPolicy");
      return this;
    }

    /**
     * Sets the listener for every credential's events (default {@link RefreshListener#NONE}).
     *
     * @param listener the listener; it is called on the {@linkplain #executor(Executor) executor}
     *     and must not block
     * @return this builder
     */
    @CanIgnoreReturnValue
    public Builder listener(RefreshListener listener) {
      this.listener = requireNonNull(listener, "listener");
      return this;
    }

    /**
     * Sets this worker's identity, recorded with every write (default {@code hostname/pid}, the
     * host name taken from the {@code HOSTNAME} environment variable).
     *
     * @param workerId the identity, 1 to 200 characters; operators read it in the store, so it must
     *     not contain a secret
     * @return this builder
     * @throws IllegalArgumentException if blank or longer than 200 characters
     */
    @CanIgnoreReturnValue
    public Builder workerId(String workerId) {
      requireNonNull(workerId, "workerId");
      if (workerId.isBlank() || workerId.length() > 200) {
        throw new IllegalArgumentException("workerId must be 1-200 characters: '" + workerId + "'");
      }
      this.workerId = workerId;
      return this;
    }

    /**
     * Sets the random source for jitter (default {@link RandomGenerator#getDefault()}).
     *
     * @param random the source of jitter (backoffs, and each credential's refresh-ahead point in
     *     this worker: see {@link RefreshPolicy#refreshJitter()}); tests pass a seeded one for
     *     repeatable delays
     * @return this builder
     */
    @CanIgnoreReturnValue
    public Builder random(RandomGenerator random) {
      this.random = requireNonNull(random, "random");
      return this;
    }

    /**
     * Sets how long {@link TokenHerd#close()} waits for refreshes whose token request was already
     * sent to store their result. Such a refresh holds the only copy of a rotated refresh token:
     * closing under it (a rolling deploy) would lose the rotation. Default: the refresh policy's
     * lease time, the longest a healthy holder takes; {@link Duration#ZERO} does not wait.
     *
     * @param closeTimeout the longest wait in {@code close()}; zero or positive
     * @return this builder
     * @throws IllegalArgumentException if {@code closeTimeout} is negative
     */
    @CanIgnoreReturnValue
    public Builder closeTimeout(Duration closeTimeout) {
      requireNonNull(closeTimeout, "closeTimeout");
      if (closeTimeout.isNegative()) {
        throw new IllegalArgumentException(
            "closeTimeout must not be negative, got " + closeTimeout);
      }
      this.closeTimeout = closeTimeout;
      return this;
    }

    /**
     * Sets the clock the whole fleet shares ({@code RedisBackend.configure} sets the Redis
     * server's). The herd measures this worker's offset to it when built (waiting up to 5 seconds)
     * and then every {@linkplain #clockMeasurementInterval interval}, and converts every expiry to
     * it: a worker whose clock is off by minutes or hours then serves no expired token and makes no
     * other worker serve one. Without it (the default, right for one JVM and for tests on virtual
     * time) the herd uses its {@linkplain #clock(Clock) clock} as it is, so every worker's clock
     * must then be synchronized.
     *
     * @param fleetTime the shared clock
     * @return this builder
     */
    @CanIgnoreReturnValue
    public Builder fleetTime(FleetTime fleetTime) {
      this.fleetTime = requireNonNull(fleetTime, "fleetTime");
      return this;
    }

    /**
     * Sets how often the offset to the {@linkplain #fleetTime fleet clock} is measured again
     * (default {@link #DEFAULT_CLOCK_MEASUREMENT_INTERVAL}): how long a step of this worker's clock
     * (a manual change, an NTP step) can go unnoticed.
     *
     * @param interval the period between measurements; positive
     * @return this builder
     * @throws IllegalArgumentException if {@code interval} is not positive
     */
    @CanIgnoreReturnValue
    public Builder clockMeasurementInterval(Duration interval) {
      this.clockMeasurementInterval = requirePositive("clockMeasurementInterval", interval);
      return this;
    }

    /**
     * Sets the offset to the fleet clock above which a measurement is logged (once per distinct
     * offset) and counted in {@link ClockOffset#largeOffsets()} (default {@link
     * #DEFAULT_CLOCK_OFFSET_WARNING}). The herd corrects any offset; a large one still means the
     * host's time synchronization is broken.
     *
     * @param threshold the offset that warrants a warning; positive
     * @return this builder
     * @throws IllegalArgumentException if {@code threshold} is not positive
     */
    @CanIgnoreReturnValue
    public Builder clockOffsetWarning(Duration threshold) {
      this.clockOffsetWarning = requirePositive("clockOffsetWarning", threshold);
      return this;
    }

    private static Duration requirePositive(String name, Duration value) {
      requireNonNull(value, name);
      if (value.isNegative() || value.isZero()) {
        throw new IllegalArgumentException(name + " must be positive: " + value);
      }
      return value;
    }

    /**
     * Sets how many token requests this worker sends at once, over all its credentials (default
     * {@value #DEFAULT_MAX_CONCURRENT_TOKEN_REQUESTS}). When many credentials expire together (a
     * storm), the rest wait in a queue ordered by the expiry of the token each one replaces, so
     * that the authorization server's latency, and with it the risk of ambiguous timeouts, stays
     * bounded. A queued refresh holds its lock lease: one that waited until its lease can no longer
     * cover a request sends nothing and starts over (the other workers of the fleet may have
     * refreshed meanwhile).
     *
     * @param maxConcurrentTokenRequests the cap; at least 1
     * @return this builder
     * @throws IllegalArgumentException if {@code maxConcurrentTokenRequests} is below 1
     */
    @CanIgnoreReturnValue
    public Builder maxConcurrentTokenRequests(int maxConcurrentTokenRequests) {
      if (maxConcurrentTokenRequests < 1) {
        throw new IllegalArgumentException(
            "maxConcurrentTokenRequests must be at least 1: " + maxConcurrentTokenRequests);
      }
      this.maxConcurrentTokenRequests = maxConcurrentTokenRequests;
      return this;
    }

    /**
     * Builds the herd. The builder can be used again afterwards; each call builds a separate herd.
     *
     * @return the herd; close it when the process no longer needs its tokens
     * @throws IllegalStateException if only some of store, lock and feed are set: they must come
     *     from the same backend
     */
    public TokenHerd build() {
      int configured =
          (tokenStore == null ? 0 : 1)
              + (refreshLock == null ? 0 : 1)
              + (changeFeed == null ? 0 : 1);
      if (configured != 0 && configured != 3) {
        throw new IllegalStateException(
            "set all of tokenStore, refreshLock and changeFeed (from one backend), or none for"
                + " in-memory ones");
      }
      ChangeFeed feed = changeFeed == null ? new InMemoryChangeFeed() : changeFeed;
      TokenStore store = tokenStore == null ? new InMemoryTokenStore(feed, clock) : tokenStore;
      RefreshLock lock = refreshLock == null ? new InMemoryRefreshLock(clock) : refreshLock;
      return new TokenHerd(
          new Herd(
              store,
              lock,
              feed,
              clock,
              scheduler,
              executor,
              refreshPolicy,
              listener,
              workerId == null ? Herd.defaultWorkerId() : workerId,
              random,
              closeTimeout == null ? refreshPolicy.leaseTime() : closeTimeout,
              fleetTime,
              clockMeasurementInterval,
              clockOffsetWarning,
              maxConcurrentTokenRequests));
    }
  }
}

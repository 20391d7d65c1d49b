package dev.tokenherd.examples;

import dev.tokenherd.coordinator.RefreshListener;
import dev.tokenherd.coordinator.spi.TokenEndpoint;
import dev.tokenherd.examples.strategies.LocalSingleFlightSource;
import dev.tokenherd.examples.strategies.LockPollSource;
import dev.tokenherd.examples.strategies.NaiveSource;
import dev.tokenherd.examples.strategies.TokenHerdSource;
import dev.tokenherd.examples.strategies.TokenSource;
import java.time.Clock;
import java.time.Duration;
import java.util.Arrays;
import java.util.Locale;
import java.util.function.UnaryOperator;
import java.util.stream.Collectors;
import org.jspecify.annotations.Nullable;

/** How the pods share the credential. */
enum Strategy {
  /** Tokenherd on Redis: fenced lock, compare-and-set store, change feed. */
  TOKENHERD(
      "Tokenherd: one fenced refresh for the fleet, refreshed ahead of expiry",
      "it refreshes ahead of expiry and the change feed brings the new token to every pod",
      "a caller waits only where its pod's cached token reaches its expired point (the expiry"
          + " minus a skew) before the refresh ahead has finished: short tokens leave a refresh"
          + " little time, and a busy machine's refresh can take longer",
      "a pod is told of a new token, nobody polls"),
  /** Every caller that sees an expired token refreshes it. */
  NAIVE(
      "naive: every caller that sees an expired token refreshes it",
      "no caller met the token expired",
      "every caller that meets the expired token sends its own token request",
      "every call reads the token from Redis"),
  /** One refresh in flight per pod, no lock across pods. */
  LOCAL(
      "per-process single-flight over the shared store, no cross-pod lock",
      "no caller met the token expired",
      "each pod's callers wait for that pod's own token request",
      "a pod reads the store when its copy expires"),
  /** A plain Redisson lock, store polling, no fence, no notification. */
  LOCKPOLL(
      "lock-and-poll: a plain Redisson lock, waiters poll the store, no fence",
      "no caller met the token expired",
      "it refreshes only once the token has expired, and the other callers sleep 100 ms between"
          + " store reads",
      "waiting callers poll the store");

  private final String description;
  private final String whyNoWait;
  private final String whyWait;
  private final String redisTraffic;

  Strategy(String description, String whyNoWait, String whyWait, String redisTraffic) {
    this.description = description;
    this.whyNoWait = whyNoWait;
    this.whyWait = whyWait;
    this.redisTraffic = redisTraffic;
  }

  /** Whether the strategy takes a lock (with a lease) before it refreshes. */
  boolean hasLock() {
    return this == TOKENHERD || this == LOCKPOLL;
  }

  /** Why no caller waited at an expiry, for the verdict. */
  String whyNoWait() {
    return whyNoWait;
  }

  /** Why callers waited at expiries, for the verdict. */
  String whyWait() {
    return whyWait;
  }

  /** What the strategy's Redis requests are, for the verdict. */
  String redisTraffic() {
    return redisTraffic;
  }

  String id() {
    return name().toLowerCase(Locale.ROOT);
  }

  String description() {
    return description;
  }

  static Strategy parse(String value) {
    for (Strategy strategy : values()) {
      if (strategy.id().equals(value.toLowerCase(Locale.ROOT))) {
        return strategy;
      }
    }
    throw new UsageException(
        "--strategy must be one of "
            + Arrays.stream(values()).map(Strategy::id).collect(Collectors.joining("|"))
            + ": "
            + value);
  }

  /** Opens one pod's token source. */
  TokenSource open(Target target, String podName) {
    return open(target, podName, null, UnaryOperator.identity());
  }

  /**
   * Opens one pod's token source.
   *
   * @param lease the refresh lock's lease of the strategies that have one; null: their default
   * @param endpoint wraps the pod's token endpoint client (the chaos runs' hook)
   */
  TokenSource open(
      Target target,
      String podName,
      @Nullable Duration lease,
      UnaryOperator<TokenEndpoint> endpoint) {
    Clock clock = Clock.systemUTC();
    TokenEndpoint client = endpoint.apply(target.endpoint());
    return switch (this) {
      case TOKENHERD ->
          new TokenHerdSource(
              target.redisUri(),
              target.namespace(),
              Target.KEY,
              client,
              podName,
              lease == null ? TokenHerdSource.POLICY : TokenHerdSource.policyWithLease(lease),
              RefreshListener.NONE);
      case NAIVE -> new NaiveSource(target.redisUri(), target.peerHash(), client, clock);
      case LOCAL ->
          new LocalSingleFlightSource(target.redisUri(), target.peerHash(), client, clock);
      case LOCKPOLL ->
          new LockPollSource(
              target.redisUri(),
              target.peerHash(),
              client,
              clock,
              lease == null ? LockPollSource.LEASE : lease);
    };
  }
}

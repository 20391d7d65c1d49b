package dev.tokenherd.benchmarks;

import dev.tokenherd.coordinator.RefreshListener;
import dev.tokenherd.coordinator.RefreshPolicy;
import dev.tokenherd.coordinator.spi.TokenEndpoint;
import dev.tokenherd.examples.strategies.LocalSingleFlightSource;
import dev.tokenherd.examples.strategies.LockPollSource;
import dev.tokenherd.examples.strategies.NaiveSource;
import dev.tokenherd.examples.strategies.TokenHerdSource;
import dev.tokenherd.examples.strategies.TokenSource;
import java.time.Clock;
import java.util.Arrays;
import java.util.List;

/**
 * The strategies the fleet benchmark compares: the fleet demo's four ({@code
 * dev.tokenherd.examples.strategies}), run unchanged, plus Tokenherd with refresh-ahead as good as
 * off.
 */
enum FleetStrategy {
  /** Tokenherd with the demo's policy: refresh-ahead from 75% of the lifetime. */
  TOKENHERD("tokenherd"),
  /**
   * Tokenherd with refresh-ahead as good as off. {@link RefreshPolicy} requires the fraction to be
   * below 1, so it is {@value #NO_AHEAD_FRACTION}: the token turns stale 0.1% of its lifetime
   * before it expires (2 ms of a 2 s token) and is no longer served 1 ms before, so callers wait
   * for almost every refresh, as with the peers.
   */
  TOKENHERD_NOAHEAD("tokenherd-noahead"),
  /** Every caller that sees an expired token refreshes it. */
  NAIVE("naive"),
  /** One refresh in flight per pod, no lock across pods. */
  LOCAL("local"),
  /** A plain Redisson lock, store polling, no fence, no notification. */
  LOCKPOLL("lockpoll");

  /** The largest refresh-ahead fraction below 1 that leaves a usable window on a 1-2 s token. */
  static final double NO_AHEAD_FRACTION = 0.999;

  /** The demo's policy with refresh-ahead as good as off. */
  static final RefreshPolicy NO_AHEAD_POLICY =
      TokenHerdSource.POLICY.toBuilder().refreshAheadFraction(NO_AHEAD_FRACTION).build();

  private final String id;

  FleetStrategy(String id) {
    this.id = id;
  }

  /** Returns the name used in the CSV and the charts. */
  String id() {
    return id;
  }

  /**
   * Returns whether this is one of the Tokenherd variants (which keep their record differently).
   */
  boolean isTokenHerd() {
    return this == TOKENHERD || this == TOKENHERD_NOAHEAD;
  }

  /** Parses a comma-separated list of ids; {@code all} or blank for every strategy. */
  static List<FleetStrategy> parseList(String value) {
    if (value.isBlank() || value.equals("all")) {
      return List.of(values());
    }
    return Arrays.stream(value.split(",", -1)).map(String::trim).map(FleetStrategy::parse).toList();
  }

  static FleetStrategy parse(String id) {
    for (FleetStrategy strategy : values()) {
      if (strategy.id.equals(id)) {
        return strategy;
      }
    }
    throw new IllegalArgumentException("unknown fleet strategy: " + id);
  }

  /**
   * Opens one pod's token source, with its own Redis clients.
   *
   * @param target the Redis and the credential's keys (a cluster for the Tokenherd variants only)
   * @param podName the pod's worker id
   * @param endpoint the pod's token endpoint client
   * @param listener Tokenherd's refresh events of this pod (ignored by the peers)
   */
  TokenSource open(
      FleetTarget target, String podName, TokenEndpoint endpoint, RefreshListener listener) {
    Clock clock = Clock.systemUTC();
    return switch (this) {
      case TOKENHERD, TOKENHERD_NOAHEAD ->
          new TokenHerdSource(
              target.backend(),
              FleetTarget.KEY,
              endpoint,
              podName,
              this == TOKENHERD ? TokenHerdSource.POLICY : NO_AHEAD_POLICY,
              listener);
      case NAIVE -> new NaiveSource(target.peerRedisUri(), target.peerHash(), endpoint, clock);
      case LOCAL ->
          new LocalSingleFlightSource(target.peerRedisUri(), target.peerHash(), endpoint, clock);
      case LOCKPOLL ->
          new LockPollSource(target.peerRedisUri(), target.peerHash(), endpoint, clock);
    };
  }
}

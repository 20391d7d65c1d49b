package dev.tokenherd.examples;

import dev.tokenherd.examples.strategies.LocalSingleFlightSource;
import dev.tokenherd.examples.strategies.LockPollSource;
import dev.tokenherd.examples.strategies.NaiveSource;
import dev.tokenherd.examples.strategies.TokenHerdSource;
import dev.tokenherd.examples.strategies.TokenSource;
import java.time.Clock;
import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/** How the pods share the credential. */
enum Strategy {
  /** Tokenherd on Redis: fenced lock, compare-and-set store, change feed. */
  TOKENHERD("Tokenherd: one fenced refresh for the fleet, refreshed ahead of expiry"),
  /** Every caller that sees an expired token refreshes it. */
  NAIVE("naive: every caller that sees an expired token refreshes it"),
  /** One refresh in flight per pod, no lock across pods. */
  LOCAL("per-process single-flight over the shared store, no cross-pod lock"),
  /** A plain Redisson lock, store polling, no fence, no notification. */
  LOCKPOLL("lock-and-poll: a plain Redisson lock, waiters poll the store, no fence");

  private final String description;

  Strategy(String description) {
    this.description = description;
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
    Clock clock = Clock.systemUTC();
    return switch (this) {
      case TOKENHERD ->
          new TokenHerdSource(
              target.redisUri(), target.namespace(), Target.KEY, target.endpoint(), podName);
      case NAIVE -> new NaiveSource(target.redisUri(), target.peerHash(), target.endpoint(), clock);
      case LOCAL ->
          new LocalSingleFlightSource(
              target.redisUri(), target.peerHash(), target.endpoint(), clock);
      case LOCKPOLL ->
          new LockPollSource(target.redisUri(), target.peerHash(), target.endpoint(), clock);
    };
  }
}

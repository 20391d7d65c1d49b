package dev.tokenherd.coordinator.internal;

import dev.tokenherd.coordinator.RefreshPolicy;
import dev.tokenherd.coordinator.TokenSet;
import dev.tokenherd.coordinator.spi.TokenRecord;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.atomic.AtomicLong;

/**
 * How long a refresh of one credential takes to reach this worker: its own token requests, and the
 * records other workers refreshed, from their request to their install here. The expiry margin and
 * the refresh-ahead point make room for it (see {@link RefreshPolicy#expireAt(Instant, Instant,
 * Duration)}). Zero until something was observed.
 */
final class RoundTrips {
  // Written by refreshes and by installs of other workers' records.
  private final AtomicLong roundTripNanos = new AtomicLong();

  /** Returns the current estimate. */
  Duration current() {
    return Duration.ofNanos(roundTripNanos.get());
  }

  /**
   * Takes in one request's round trip: a slower one at once (a margin too small serves expired
   * tokens), a faster one a quarter at a time (one quick answer does not undo a slow endpoint).
   */
  void observe(Duration taken) {
    long sample = Math.max(0, taken.toNanos());
    var unused =
        roundTripNanos.getAndUpdate(
            current -> sample >= current ? sample : current - (current - sample) / 4);
  }

  /**
   * Takes in what a refresh by another worker took to reach this one: from when its request was
   * sent (the token set's issue instant, on the fleet's clock) to now, when its record is installed
   * here. Every worker then leaves room for the whole refresh, propagation included, not only the
   * one that sends. Records older than half their lifetime (a worker that was not listening, a seed
   * of an old login) say nothing about a refresh and are skipped.
   */
  void observePropagation(TokenRecord record, Instant now) {
    TokenSet tokens = record.tokens();
    if (tokens == null) {
      return;
    }
    Duration age = Duration.between(tokens.issuedAt(), now);
    if (!age.isNegative() && age.compareTo(tokens.lifetime().dividedBy(2)) < 0) {
      observe(age);
    }
  }
}

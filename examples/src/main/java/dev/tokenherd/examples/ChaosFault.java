package dev.tokenherd.examples;

import java.time.Duration;
import java.util.Locale;

/**
 * The faults of {@code --chaos}, each landing on the pod that is about to send the token request
 * (it holds the refresh lock, where the strategy has one, and has passed its own checks).
 */
enum ChaosFault {
  /** {@code SIGKILL}: the pod dies before its request leaves; its lock is left to its lease. */
  KILL("killed (SIGKILL) just before its token request left"),
  /**
   * {@code SIGSTOP} for {@link #PAUSE_LEASES} leases, then {@code SIGCONT}: a long GC pause or a
   * frozen container; the pod then sends the request it was about to send.
   */
  PAUSE("paused (SIGSTOP) just before its token request left, past its lease, then resumed");

  /** The refresh lock's lease in the chaos runs, short against the token lifetime, as in life. */
  static final Duration LEASE = Duration.ofSeconds(2);

  /**
   * How long a pause lasts, in leases: well past the lease, so that another pod takes the lock and
   * refreshes before the victim resumes, even on a busy machine (and past Tokenherd's refresh mark,
   * which holds the others off for the rest of the lease plus one more).
   */
  static final double PAUSE_LEASES = 2.5;

  /** The token lifetime of the chaos runs unless {@code --ttl} says otherwise. */
  static final Duration TTL = Duration.ofSeconds(20);

  /**
   * How long each chaos run lasts unless {@code --duration} says otherwise: past the fault and the
   * recovery.
   */
  static final Duration DURATION = Duration.ofSeconds(30);

  private final String description;

  ChaosFault(String description) {
    this.description = description;
  }

  String id() {
    return name().toLowerCase(Locale.ROOT);
  }

  String description() {
    return description;
  }

  /** The description, without the lease and the lock where {@code strategy} has none. */
  String description(Strategy strategy) {
    return strategy.hasLock()
        ? description
        : description.replace(", past its lease", " for " + Durations.format(pause()));
  }

  /** How long the pause lasts. */
  static Duration pause() {
    return Duration.ofMillis(Math.round(LEASE.toMillis() * PAUSE_LEASES));
  }
}

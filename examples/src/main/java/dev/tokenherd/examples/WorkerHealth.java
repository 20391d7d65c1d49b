package dev.tokenherd.examples;

import static java.util.Objects.requireNonNull;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;

/**
 * A worker's health, for {@link HealthServer}: healthy while its pod has served a token within the
 * last {@code window}. Unhealthy while it waits for the credential to be seeded, once it stops, and
 * when its callers have got no token for a whole window (the credential was revoked, Redis or the
 * token endpoint is unreachable). Progress is sampled, not recorded per call: the callers never
 * touch this object; the worker's loop samples once a second and every probe samples too.
 * Thread-safe.
 */
final class WorkerHealth implements Supplier<HealthServer.Status> {
  private final Clock clock;
  private final Duration window;
  private @Nullable Supplier<PodHandle.Counts> counts;
  private boolean stopping;
  private long lastCalls;
  private Instant lastProgress;

  /**
   * @param clock the clock
   * @param window how long a worker may serve no token and still be healthy; positive
   */
  WorkerHealth(Clock clock, Duration window) {
    this.clock = requireNonNull(clock, "clock");
    this.window = requireNonNull(window, "window");
    if (window.isNegative() || window.isZero()) {
      throw new IllegalArgumentException("window must be positive: " + window);
    }
    this.lastProgress = clock.instant();
  }

  /** The pod has started calling; a new pod has one window to serve its first token. */
  synchronized void started(Supplier<PodHandle.Counts> podCounts) {
    this.counts = requireNonNull(podCounts, "podCounts");
    this.lastCalls = podCounts.get().calls();
    this.lastProgress = clock.instant();
  }

  /** The worker is stopping: unhealthy from now on. */
  synchronized void stopping() {
    stopping = true;
  }

  /** Notes whether the pod served calls since the last sample. */
  synchronized void sample() {
    Supplier<PodHandle.Counts> source = counts;
    if (source != null) {
      observe(source.get());
    }
  }

  private PodHandle.Counts observe(PodHandle.Counts now) {
    if (now.calls() != lastCalls) {
      lastCalls = now.calls();
      lastProgress = clock.instant();
    }
    return now;
  }

  @Override
  public synchronized HealthServer.Status get() {
    if (stopping) {
      return HealthServer.Status.down("stopping");
    }
    Supplier<PodHandle.Counts> source = counts;
    if (source == null) {
      return HealthServer.Status.down("waiting for the credential to be seeded in Redis");
    }
    PodHandle.Counts now = observe(source.get());
    Duration silence = Duration.between(lastProgress, clock.instant());
    String totals =
        String.format(
            "calls %d, errors %d, re-login required %d",
            now.calls(), now.errors(), now.reauthRequired());
    if (silence.compareTo(window) <= 0) {
      return HealthServer.Status.up(
          "served a token within the last " + text(window) + "; " + totals);
    }
    return HealthServer.Status.down("served no token for " + text(silence) + "; " + totals);
  }

  private static String text(Duration duration) {
    return duration.toMillis() % 1000 == 0
        ? duration.toSeconds() + "s"
        : duration.toMillis() + "ms";
  }
}

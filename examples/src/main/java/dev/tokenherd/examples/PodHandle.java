package dev.tokenherd.examples;

import org.HdrHistogram.Histogram;

/** A pod of the fleet: in this JVM ({@link Pod}) or a worker process ({@link WorkerProcess}). */
interface PodHandle {
  /** Counters of one pod: calls served, calls failed, and of those, re-authentication required. */
  record Counts(long calls, long errors, long reauthRequired) {
    static final Counts ZERO = new Counts(0, 0, 0);

    /** The counters of {@code pods}, added up. */
    static Counts of(java.util.Collection<? extends PodHandle> pods) {
      Counts total = ZERO;
      for (PodHandle pod : pods) {
        total = total.plus(pod.counts());
      }
      return total;
    }

    Counts plus(Counts other) {
      return new Counts(
          calls + other.calls, errors + other.errors, reauthRequired + other.reauthRequired);
    }
  }

  /** Returns the pod's name. */
  String name();

  /** Returns the counters so far. */
  Counts counts();

  /**
   * What a pod's calls took: every call's latency, and the slowest and waiting calls on the wall
   * clock.
   *
   * @param latencies every call's latency, microseconds
   * @param timeline the calls by when they started
   */
  record Waits(Histogram latencies, WaitTimeline timeline) {}

  /** Stops the pod and returns what its calls took. */
  Waits stop();
}

package dev.tokenherd.examples;

import org.HdrHistogram.Histogram;

/** A pod of the fleet: in this JVM ({@link Pod}) or a worker process ({@link WorkerProcess}). */
interface PodHandle {
  /** Counters of one pod: calls served, calls failed, and of those, re-authentication required. */
  record Counts(long calls, long errors, long reauthRequired) {
    static final Counts ZERO = new Counts(0, 0, 0);

    Counts plus(Counts other) {
      return new Counts(
          calls + other.calls, errors + other.errors, reauthRequired + other.reauthRequired);
    }
  }

  /** Returns the pod's name. */
  String name();

  /** Returns the counters so far. */
  Counts counts();

  /** Stops the pod and returns every call's latency in microseconds. */
  Histogram stop();
}

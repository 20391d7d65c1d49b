package dev.tokenherd.examples;

import static java.util.Objects.requireNonNull;

import dev.tokenherd.coordinator.ReauthenticationRequiredException;
import dev.tokenherd.examples.strategies.CredentialRevokedException;
import dev.tokenherd.examples.strategies.TokenSource;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import org.HdrHistogram.Histogram;

/**
 * One pod of the fleet in this JVM: caller threads that each ask the pod's {@link TokenSource} for
 * a token, "use" it for about a millisecond, and ask again, until stopped. Every call is timed,
 * failed ones too.
 */
final class Pod implements PodHandle {
  /** Latencies up to one minute, in microseconds, with three significant digits. */
  static Histogram newHistogram() {
    return new Histogram(TimeUnit.MINUTES.toMicros(1), 3);
  }

  private final String name;
  private final TokenSource source;
  private final CallerThreads<Caller> callers;
  private final LongAdder calls = new LongAdder();
  private final LongAdder errors = new LongAdder();
  private final LongAdder reauth = new LongAdder();
  private final java.util.concurrent.ConcurrentMap<String, String> firstErrors =
      new java.util.concurrent.ConcurrentHashMap<>();

  Pod(String name, TokenSource source, int threads) {
    this.name = requireNonNull(name, "name");
    this.source = requireNonNull(source, "source");
    this.callers = new CallerThreads<>(name, threads, Caller::new);
  }

  @Override
  public String name() {
    return name;
  }

  void start() {
    callers.start();
  }

  @Override
  public Counts counts() {
    return new Counts(calls.sum(), errors.sum(), reauth.sum());
  }

  /** Returns the first failure of each kind: exception class name to message. */
  java.util.Map<String, String> firstErrors() {
    return java.util.Map.copyOf(firstErrors);
  }

  /** Stops the callers, waits for them, closes the source and returns their merged waits. */
  @Override
  public Waits stop() {
    try {
      callers.stop(Duration.ofSeconds(20));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    Histogram merged = newHistogram();
    WaitTimeline timeline = new WaitTimeline();
    for (Caller caller : callers.calls()) {
      synchronized (caller.latencies) {
        merged.add(caller.latencies);
        timeline.add(caller.timeline);
      }
    }
    try {
      source.close();
    } catch (RuntimeException e) {
      // during JVM shutdown (SIGTERM) client libraries may refuse to close cleanly; the counts
      // and latencies are complete, and the process is ending anyway
      System.err.println(name + ": closing the token source failed: " + e);
    }
    return new Waits(merged, timeline);
  }

  private void call(Histogram latencies, WaitTimeline timeline) {
    long startMillis = System.currentTimeMillis();
    long start = System.nanoTime();
    try {
      String token = source.accessToken();
      requireNonNull(token, "token");
      calls.increment();
    } catch (ReauthenticationRequiredException | CredentialRevokedException e) {
      reauth.increment();
      errors.increment();
      firstErrors.putIfAbsent(e.getClass().getSimpleName(), String.valueOf(e.getMessage()));
    } catch (RuntimeException e) {
      errors.increment();
      firstErrors.putIfAbsent(e.getClass().getSimpleName(), String.valueOf(e.getMessage()));
    }
    long nanos = System.nanoTime() - start;
    long micros = Math.max(1, nanos / 1_000);
    synchronized (latencies) {
      latencies.recordValue(Math.min(micros, latencies.getHighestTrackableValue()));
      timeline.record(startMillis, nanos);
    }
  }

  /** One caller thread's call, with its own latencies and timeline (guarded by latencies). */
  private final class Caller implements Runnable {
    final Histogram latencies = newHistogram();
    final WaitTimeline timeline = new WaitTimeline();

    @Override
    public void run() {
      call(latencies, timeline);
    }
  }
}

package dev.tokenherd.benchmarks;

import static java.util.Objects.requireNonNull;

import dev.tokenherd.examples.CallerThreads;
import dev.tokenherd.examples.strategies.TokenSource;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import org.jspecify.annotations.Nullable;

/**
 * One pod of a cell's fleet, in this JVM with its own Redis clients: caller threads that ask the
 * pod's {@link TokenSource} for a token, "use" it for 0.5-1.5 ms, and ask again, as the fleet
 * demo's pods do. Every call's start and duration is logged (failed calls too), and the pod notes
 * when it first served each access token, for the propagation time.
 */
final class FleetPod {
  private final TokenSource source;
  private final FleetClock clock;
  private final CallerThreads<Caller> callers;
  private final ConcurrentHashMap<String, Long> firstServed = new ConcurrentHashMap<>();
  private final LongAdder errors = new LongAdder();
  private final ConcurrentHashMap<String, String> firstErrors = new ConcurrentHashMap<>();

  FleetPod(String name, TokenSource source, int threads, FleetClock clock) {
    this.source = requireNonNull(source, "source");
    this.clock = requireNonNull(clock, "clock");
    this.callers = new CallerThreads<>(name, threads, Caller::new);
  }

  void start() {
    callers.start();
  }

  /** Stops the callers and waits for them; the source stays open (see {@link #close()}). */
  void stop() throws InterruptedException {
    callers.stop(Duration.ofSeconds(30));
  }

  /** Closes the pod's token source and its clients. */
  void close() {
    try {
      source.close();
    } catch (RuntimeException e) {
      System.err.println("closing a pod's token source failed: " + e);
    }
  }

  /** Returns the callers' logs; call after {@link #stop()}. */
  List<CallLog> logs() {
    return callers.calls().stream().map(c -> c.log).toList();
  }

  /** Returns when (cell microseconds) this pod first served each access token. */
  Map<String, Long> firstServed() {
    return Map.copyOf(firstServed);
  }

  long errors() {
    return errors.sum();
  }

  /** Returns the first failure of each exception type: class name to message. */
  Map<String, String> firstErrors() {
    return Map.copyOf(firstErrors);
  }

  /** One caller thread's call, with its own log. */
  private final class Caller implements Runnable {
    final CallLog log = new CallLog();
    private @Nullable String lastServed;

    @Override
    public void run() {
      long start = System.nanoTime();
      try {
        String token = source.accessToken();
        long end = System.nanoTime();
        log.add(clock.toMicros(start), end - start);
        // String.equals compares identity first: Tokenherd hands every caller the same String
        if (!token.equals(lastServed)) {
          lastServed = token;
          firstServed.putIfAbsent(token, clock.toMicros(end));
        }
      } catch (RuntimeException e) {
        log.add(clock.toMicros(start), System.nanoTime() - start);
        errors.increment();
        firstErrors.putIfAbsent(e.getClass().getSimpleName(), String.valueOf(e.getMessage()));
      }
    }
  }
}

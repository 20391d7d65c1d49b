package dev.tokenherd.benchmarks;

import static java.util.Objects.requireNonNull;

import dev.tokenherd.examples.strategies.TokenSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;
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
  private final List<Caller> callers = new ArrayList<>();
  private final ConcurrentHashMap<String, Long> firstServed = new ConcurrentHashMap<>();
  private final LongAdder errors = new LongAdder();
  private final ConcurrentHashMap<String, String> firstErrors = new ConcurrentHashMap<>();
  private volatile boolean stopped;

  FleetPod(String name, TokenSource source, int threads, FleetClock clock) {
    this.source = requireNonNull(source, "source");
    this.clock = requireNonNull(clock, "clock");
    for (int i = 0; i < threads; i++) {
      callers.add(new Caller(name + "-caller-" + i));
    }
  }

  void start() {
    callers.forEach(Thread::start);
  }

  /** Stops the callers and waits for them; the source stays open (see {@link #close()}). */
  void stop() throws InterruptedException {
    stopped = true;
    for (Caller caller : callers) {
      caller.join(TimeUnit.SECONDS.toMillis(30));
    }
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
    return callers.stream().map(c -> c.log).toList();
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

  private final class Caller extends Thread {
    final CallLog log = new CallLog();
    private @Nullable String lastServed;

    Caller(String threadName) {
      super(threadName);
      setDaemon(true);
    }

    @Override
    public void run() {
      while (!stopped) {
        call();
        LockSupport.parkNanos(ThreadLocalRandom.current().nextLong(500_000, 1_500_000));
      }
    }

    private void call() {
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

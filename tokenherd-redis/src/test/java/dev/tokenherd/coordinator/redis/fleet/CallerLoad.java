package dev.tokenherd.coordinator.redis.fleet;

import dev.tokenherd.coordinator.AccessToken;
import dev.tokenherd.coordinator.TokenCoordinator;
import dev.tokenherd.coordinator.TokenRefreshException;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BiPredicate;

/**
 * Caller threads that ask one coordinator for its token in a loop, the way request handlers do, and
 * check every token they are served: it must have been valid when the caller asked, and the
 * versions one thread sees must never go back.
 */
public final class CallerLoad implements AutoCloseable {
  private final TokenCoordinator coordinator;
  private final Clock clock;
  private final BiPredicate<AccessToken, Instant> valid;
  private final List<Thread> threads = new ArrayList<>();
  private final AtomicBoolean running = new AtomicBoolean(true);
  private final LongAdder calls = new LongAdder();
  private final LongAdder expiredServed = new LongAdder();
  private final LongAdder versionRegressions = new LongAdder();
  private final Map<String, LongAdder> errors = new ConcurrentHashMap<>();

  /**
   * Starts the callers.
   *
   * @param name a prefix for the threads' names
   * @param coordinator the credential's coordinator
   * @param threadCount how many callers
   * @param clock the clock expiry is judged by
   * @param valid whether a token served to a caller that asked at an instant was valid then, beyond
   *     not having expired (for example by the authorization server's own ledger)
   */
  public CallerLoad(
      String name,
      TokenCoordinator coordinator,
      int threadCount,
      Clock clock,
      BiPredicate<AccessToken, Instant> valid) {
    this.coordinator = coordinator;
    this.clock = clock;
    this.valid = valid;
    for (int i = 0; i < threadCount; i++) {
      Thread thread = new Thread(this::callInALoop, name + "-caller-" + i);
      thread.setDaemon(true);
      threads.add(thread);
    }
    threads.forEach(Thread::start);
  }

  private void callInALoop() {
    long lastVersion = 0;
    while (running.get()) {
      Instant asked = clock.instant();
      try {
        AccessToken token = coordinator.token();
        calls.increment();
        if (!token.expiresAt().isAfter(asked) || !valid.test(token, asked)) {
          expiredServed.increment();
        }
        if (token.version() < lastVersion) {
          versionRegressions.increment();
        }
        lastVersion = token.version();
      } catch (TokenRefreshException e) {
        errors.computeIfAbsent(e.getClass().getSimpleName(), k -> new LongAdder()).increment();
      }
      // A request handler does other work between token lookups; 256 spinning threads on two
      // cores would otherwise starve the refresher and the HTTP client.
      LockSupport.parkNanos(TimeUnit.MICROSECONDS.toNanos(200));
    }
  }

  /** Returns how many tokens were served. */
  public long calls() {
    return calls.sum();
  }

  /** Returns how many served tokens had already expired. */
  public long expiredServed() {
    return expiredServed.sum();
  }

  /** Returns how many times a thread was served an older version than before. */
  public long versionRegressions() {
    return versionRegressions.sum();
  }

  /** Returns the failed calls by exception class. */
  public Map<String, Long> errors() {
    Map<String, Long> snapshot = new TreeMap<>();
    errors.forEach((type, count) -> snapshot.put(type, count.sum()));
    return snapshot;
  }

  /** Returns how many calls failed. */
  public long errorCount() {
    return errors.values().stream().mapToLong(LongAdder::sum).sum();
  }

  /** Stops the callers and waits for them. */
  @Override
  public void close() {
    running.set(false);
    for (Thread thread : threads) {
      try {
        thread.join(TimeUnit.SECONDS.toMillis(30));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
  }
}

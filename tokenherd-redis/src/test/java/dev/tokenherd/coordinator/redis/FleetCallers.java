package dev.tokenherd.coordinator.redis;

import dev.tokenherd.coordinator.AccessToken;
import dev.tokenherd.testkit.FakeAuthorizationServer;
import java.time.Instant;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReadWriteLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * Caller threads asking their workers for a token every 2-5 ms until closed, checking every token
 * served against the server's own ledger (I4) and timing every call (I5).
 */
final class FleetCallers implements AutoCloseable {
  final LongAdder served = new LongAdder();
  final Queue<RuntimeException> errors = new ConcurrentLinkedQueue<>();
  final Queue<String> expiredServes = new ConcurrentLinkedQueue<>();

  /** Tokens served with a lower version than one served before by the same caller (I3). */
  final Queue<String> versionRegressions = new ConcurrentLinkedQueue<>();

  final AtomicLong slowestCallNanos = new AtomicLong();
  private final FakeAuthorizationServer server;
  private final ExecutorService threads;
  private volatile boolean stopped;

  /**
   * Whether a served token must also be valid by the server's ledger; guarded by {@code ledger}.
   */
  private boolean ledgerCheck = true;

  private final ReadWriteLock ledger = new ReentrantReadWriteLock();

  FleetCallers(FakeAuthorizationServer server, List<FleetWorker> workers, int perWorker) {
    this.server = server;
    this.threads = Executors.newFixedThreadPool(workers.size() * perWorker);
    for (FleetWorker worker : workers) {
      for (int i = 0; i < perWorker; i++) {
        threads.execute(() -> call(worker));
      }
    }
  }

  private void call(FleetWorker worker) {
    long pause = TimeUnit.MILLISECONDS.toNanos(2 + Math.floorMod(worker.id.hashCode(), 4));
    long highest = 0;
    while (!stopped) {
      Instant asked = FleetWorker.CLOCK.instant();
      long start = System.nanoTime();
      try {
        AccessToken token = worker.coordinator.token();
        served.increment();
        if (!validByLedger(token, asked) || !token.expiresAt().isAfter(asked)) {
          expiredServes.add(worker.id + " " + token + " asked at " + asked);
        }
        if (token.version() < highest) {
          versionRegressions.add(worker.id + " served " + token + " after version " + highest);
        }
        highest = Math.max(highest, token.version());
      } catch (RuntimeException e) {
        if (!stopped) {
          errors.add(e);
        }
      }
      slowestCallNanos.accumulateAndGet(System.nanoTime() - start, Math::max);
      LockSupport.parkNanos(pause);
    }
  }

  private boolean validByLedger(AccessToken token, Instant asked) {
    ledger.readLock().lock();
    try {
      return !ledgerCheck || server.isAccessTokenValid(token.value(), asked);
    } finally {
      ledger.readLock().unlock();
    }
  }

  /**
   * Stops checking served tokens against the server's ledger; call it before revoking tokens there.
   * Workers keep serving a revoked access token until it expires or a resource server rejects it,
   * which is not a stale serve. When this returns, no check is under way any more.
   */
  void stopLedgerCheck() {
    ledger.writeLock().lock();
    try {
      ledgerCheck = false;
    } finally {
      ledger.writeLock().unlock();
    }
  }

  /** Returns how many errors of exactly this class were thrown. */
  long errorsOf(Class<?> type) {
    return errors.stream().filter(type::isInstance).count();
  }

  @Override
  public void close() throws InterruptedException {
    stopped = true;
    threads.shutdownNow();
    threads.awaitTermination(10, TimeUnit.SECONDS);
  }
}

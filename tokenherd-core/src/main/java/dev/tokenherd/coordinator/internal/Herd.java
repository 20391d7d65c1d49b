package dev.tokenherd.coordinator.internal;

import static java.util.Objects.requireNonNull;

import dev.tokenherd.coordinator.ClockOffset;
import dev.tokenherd.coordinator.RefreshListener;
import dev.tokenherd.coordinator.RefreshPolicy;
import dev.tokenherd.coordinator.Renewal;
import dev.tokenherd.coordinator.TokenCoordinator;
import dev.tokenherd.coordinator.TokenKey;
import dev.tokenherd.coordinator.spi.ChangeFeed;
import dev.tokenherd.coordinator.spi.FleetTime;
import dev.tokenherd.coordinator.spi.RefreshLock;
import dev.tokenherd.coordinator.spi.TokenEndpoint;
import dev.tokenherd.coordinator.spi.TokenStore;
import java.time.Clock;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.random.RandomGenerator;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What {@code dev.tokenherd.TokenHerd} stands for: a map of coordinators over one environment. The
 * public class delegates here, so that the engine never names the API entry point (no package
 * cycle).
 */
public final class Herd implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Herd.class);

  private final Environment env;
  private final @Nullable ScheduledExecutorService ownedScheduler;
  private final @Nullable ExecutorService ownedExecutor;
  private final ConcurrentMap<TokenKey, CredentialCoordinator> coordinators =
      new ConcurrentHashMap<>();
  private final Duration closeTimeout;
  private final FleetClock fleetClock;
  private volatile boolean closed;

  /** Creates a herd; {@code TokenHerd.Builder} is the way to call this. */
  @SuppressWarnings("TooManyParameters") // called from one place, the validating builder
  public Herd(
      TokenStore store,
      RefreshLock lock,
      ChangeFeed feed,
      Clock clock,
      @Nullable ScheduledExecutorService scheduler,
      @Nullable Executor executor,
      RefreshPolicy policy,
      RefreshListener listener,
      String workerId,
      RandomGenerator random,
      Duration closeTimeout,
      @Nullable FleetTime fleetTime,
      Duration clockMeasurementInterval,
      Duration clockOffsetWarning,
      int maxConcurrentTokenRequests) {
    this.closeTimeout = closeTimeout;
    this.fleetClock = new FleetClock(clock, fleetTime, clockOffsetWarning);
    this.ownedScheduler = scheduler == null ? newScheduler() : null;
    this.ownedExecutor = executor == null ? newExecutor() : null;
    ScheduledExecutorService timers =
        scheduler == null ? requireNonNull(ownedScheduler) : scheduler;
    Executor workers = executor == null ? requireNonNull(ownedExecutor) : executor;
    this.env =
        new Environment(
            store,
            lock,
            feed,
            fleetClock,
            timers,
            workers,
            policy,
            listener,
            workerId,
            random,
            new RequestGate(maxConcurrentTokenRequests, timers, workers),
            new EndpointLatency());
    fleetClock.start(env.scheduler(), clockMeasurementInterval);
  }

  private static ExecutorService newExecutor() {
    AtomicInteger count = new AtomicInteger();
    // Refreshes are asynchronous: a task here only starts one, or runs a listener. Threads are
    // created on demand and retire after a minute idle.
    return Executors.newCachedThreadPool(
        task -> {
          Thread thread = new Thread(task, "tokenherd-worker-" + count.incrementAndGet());
          thread.setDaemon(true);
          return thread;
        });
  }

  private static ScheduledExecutorService newScheduler() {
    ScheduledThreadPoolExecutor scheduler =
        new ScheduledThreadPoolExecutor(
            1,
            task -> {
              Thread thread = new Thread(task, "tokenherd-scheduler");
              thread.setDaemon(true);
              return thread;
            });
    // Every refresh schedules deadlines that are usually cancelled: do not let them pile up.
    scheduler.setRemoveOnCancelPolicy(true);
    return scheduler;
  }

  /** Returns {@code hostname/pid}, the default identity written with every record. */
  public static String defaultWorkerId() {
    String host = Objects.requireNonNullElse(System.getenv("HOSTNAME"), "localhost");
    return host + "/" + ProcessHandle.current().pid();
  }

  public TokenCoordinator coordinator(TokenKey key, TokenEndpoint endpoint) {
    return coordinator(key, endpoint, Renewal.refreshToken());
  }

  public TokenCoordinator coordinator(TokenKey key, TokenEndpoint endpoint, Renewal renewal) {
    requireNonNull(key, "key");
    requireNonNull(endpoint, "endpoint");
    requireNonNull(renewal, "renewal");
    if (closed) {
      throw new IllegalStateException("token herd is closed");
    }
    CredentialCoordinator coordinator =
        coordinators.computeIfAbsent(
            key, k -> new CredentialCoordinator(k, endpoint, renewal, env));
    if (coordinator.endpoint() != endpoint || !coordinator.renewal().equals(renewal)) {
      throw new IllegalStateException(
          "credential '" + key + "' is already served with another endpoint or renewal");
    }
    return coordinator;
  }

  public CompletionStage<Void> remove(TokenKey key) {
    requireNonNull(key, "key");
    CredentialCoordinator removed = coordinators.remove(key);
    return removed == null ? CompletableFuture.completedFuture(null) : removed.close();
  }

  public ClockOffset clockOffset() {
    return fleetClock.status();
  }

  /** Returns how many credentials this herd serves now. */
  public int size() {
    return coordinators.size();
  }

  @Override
  public void close() {
    closed = true;
    fleetClock.stop();
    CompletableFuture<?>[] settling =
        coordinators.values().stream()
            .map(CredentialCoordinator::close)
            .toArray(CompletableFuture<?>[]::new);
    coordinators.clear();
    awaitSettled(CompletableFuture.allOf(settling));
    if (ownedExecutor != null) {
      ownedExecutor.shutdown();
    }
    if (ownedScheduler != null) {
      ownedScheduler.shutdownNow();
    }
  }

  private void awaitSettled(CompletableFuture<Void> settling) {
    if (settling.isDone() || closeTimeout.isZero()) {
      return;
    }
    try {
      settling.get(closeTimeout.toNanos(), TimeUnit.NANOSECONDS);
    } catch (TimeoutException e) {
      log.warn(
          "closed with a refresh still unsettled after {}; if the server rotated, that rotation"
              + " is lost and will be reported as such",
          closeTimeout);
    } catch (ExecutionException e) {
      // Its failure was reported where it happened.
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public String toString() {
    return "TokenHerd[worker=" + env.workerId() + ", credentials=" + coordinators.keySet() + "]";
  }
}

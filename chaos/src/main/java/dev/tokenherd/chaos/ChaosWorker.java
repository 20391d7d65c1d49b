package dev.tokenherd.chaos;

import dev.tokenherd.TokenHerd;
import dev.tokenherd.coordinator.AccessToken;
import dev.tokenherd.coordinator.CoordinatorStats;
import dev.tokenherd.coordinator.LostRotationException;
import dev.tokenherd.coordinator.ReauthenticationRequiredException;
import dev.tokenherd.coordinator.Redaction;
import dev.tokenherd.coordinator.RefreshListener;
import dev.tokenherd.coordinator.RefreshPolicy;
import dev.tokenherd.coordinator.TokenCoordinator;
import dev.tokenherd.coordinator.TokenKey;
import dev.tokenherd.coordinator.TokenRefreshException;
import dev.tokenherd.coordinator.oauth2.OAuth2TokenEndpoint;
import dev.tokenherd.coordinator.redis.RedisBackend;
import dev.tokenherd.coordinator.spi.LockLease;
import dev.tokenherd.testkit.ProcessArguments;
import dev.tokenherd.testkit.StartupTimeout;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;
import org.jspecify.annotations.Nullable;

/**
 * One chaos worker in its own JVM: its own Redis clients (usually through a {@link TcpProxy}), its
 * own herd and caller threads on {@link ChaosSettings#KEY}, and a JSON-lines event log that the
 * {@link InvariantChecker} reads.
 *
 * <p>Arguments are {@code name=value} pairs: where Redis is, one of {@code redis} (a URI), {@code
 * sentinel} ({@code <master>@host:port,...}) and {@code cluster} ({@code host:port,...}), see
 * {@link WorkerTarget}; {@code tokenUri}, {@code clientId}, {@code clientSecret}, {@code
 * namespace}, {@code workerId}, {@code log} (the event log file), {@code threads} (default 3),
 * {@code seed}, {@code break} ({@code mark|endpoint|write|unlock}, see {@link Breakpoints}), {@code
 * waitForReplicas} (a replica count; default none), {@code endpointTimeoutMillis} and {@code
 * leaseMillis} (default {@link ChaosSettings#policy()}), {@code announcements} ({@code off}: the
 * worker ignores refresh announcements, as earlier versions do; see {@link UnannouncedFeed}),
 * {@code insecureHttp} ({@code true}: plain HTTP to a token endpoint off loopback, the fake server
 * on a Docker network's gateway).
 *
 * <p>Before it prints {@code ready} the worker warms up what a first refresh would otherwise pay
 * for on a loaded machine (class loading, JIT, TCP and TLS-less HTTP connection set-up, Redisson's
 * connection pool): one GET of the server's metadata through the endpoint's own {@code HttpClient},
 * one store read and one lock acquire/release on a key no scenario uses. None of it is a token
 * request, so the checker's I1 accounting is untouched.
 *
 * <p>Standard input carries commands, one a line: {@code disarm} (the breakpoint must not fire),
 * {@code go} (continue from the breakpoint), {@code arm <point>} (arm a breakpoint again, or
 * another one: the soak stops holders at {@code mark}); end of input stops the worker, which then
 * logs a {@code summary} event and prints {@code bye}. Standard output carries {@code ready} and
 * {@code BREAK <point>}.
 *
 * <p>Events: {@code served} and {@code served_last} (the first and the latest serve of each token,
 * see {@link ServeLog}), {@code version_regression}, {@code error} (each change of a caller's error
 * type), {@code slow_call}, {@code untyped_error}, {@code lock}/{@code refence}/{@code unlock},
 * {@code lock_failed}, {@code request}/{@code response}/{@code request_failed}, {@code write}, and
 * the {@link RefreshListener} events {@code refreshed}, {@code refresh_failed}, {@code reauth},
 * {@code lost_rotation}, {@code fence_rejected}, {@code under_replicated}.
 */
public final class ChaosWorker {
  private static final TokenKey WARM_UP_KEY = TokenKey.of("chaos-warm-up");

  private ChaosWorker() {}

  /**
   * Runs the worker until its standard input ends.
   *
   * @param args {@code name=value} pairs
   * @throws Exception if the worker cannot start
   */
  public static void main(String[] args) throws Exception {
    ProcessArguments options = ProcessArguments.parse(args);
    String workerId = options.get("workerId", "worker");
    int threads = Integer.parseInt(options.get("threads", "3"));
    long seed = Long.parseLong(options.get("seed", "1"));
    String armed = options.get("break");
    Clock clock = Clock.systemUTC();
    PrintStream stdout = System.out;
    try (EventLog log = new EventLog(Path.of(options.required("log")), workerId, clock)) {
      Breakpoints breakpoints =
          new Breakpoints(armed == null ? null : Breakpoints.Point.parse(armed), log, stdout);
      RedisBackend.Builder backendBuilder =
          WorkerTarget.parse(options)
              .aim(RedisBackend.builder())
              .namespace(options.get("namespace", "chaos"));
      String replicas = options.get("waitForReplicas");
      if (replicas != null) {
        backendBuilder.waitForReplicas(Integer.parseInt(replicas), Duration.ofSeconds(1));
      }
      try (RedisBackend redis =
          StartupTimeout.retry("connecting to Redis", backendBuilder::build)) {
        LoggingTokenStore store = new LoggingTokenStore(redis.tokenStore(), log, breakpoints);
        LoggingRefreshLock lock =
            new LoggingRefreshLock(redis.refreshLock(), log, breakpoints, store::lastContentFence);
        URI tokenUri = URI.create(options.required("tokenUri"));
        HttpClient httpClient = HttpClient.newHttpClient();
        warmUp(httpClient, tokenUri, redis);
        OAuth2TokenEndpoint http =
            OAuth2TokenEndpoint.builder()
                .httpClient(httpClient)
                .tokenUri(tokenUri)
                .clientId(options.required("clientId"))
                .clientSecret(options.required("clientSecret"))
                // the fake server on the Docker network's gateway (containers environment)
                .allowInsecureHttp(Boolean.parseBoolean(options.get("insecureHttp", "false")))
                .build();
        LoggingTokenEndpoint endpoint =
            new LoggingTokenEndpoint(http, log, breakpoints, lock::heldFence, lock::heldLease);
        try (TokenHerd herd =
            TokenHerd.builder()
                .tokenStore(store)
                .refreshLock(lock)
                .changeFeed(
                    "off".equals(options.get("announcements"))
                        ? new UnannouncedFeed(redis.changeFeed())
                        : redis.changeFeed())
                .workerId(workerId)
                .refreshPolicy(policy(options))
                .listener(new LoggingListener(log))
                .random(new Random(seed))
                .clock(clock)
                .build()) {
          TokenCoordinator coordinator = herd.coordinator(ChaosSettings.KEY, endpoint);
          Callers callers = new Callers(workerId, coordinator, threads, clock, log);
          stdout.println("ready");
          stdout.flush();
          readCommands(breakpoints);
          callers.close();
          // No wait for an in-flight lease here: TokenHerd.close() is graceful (a refresh whose
          // request was sent gets closeTimeout to store its answer), which every scenario's
          // checker now verifies on each worker's shutdown.
          CoordinatorStats stats = coordinator.stats();
          log.emit(
              "summary",
              e -> {
                e.put("calls", callers.calls.sum());
                e.put("errors", callers.errors.sum());
                e.put("tokenRequests", stats.tokenRequests());
                e.put("refreshes", stats.refreshes());
                e.put("lostRotations", stats.lostRotations());
                e.put("fencedWritesRejected", stats.fencedWritesRejected());
                e.put("ambiguousFailures", stats.ambiguousFailures());
                e.put("transientFailures", stats.transientFailures());
                e.put("underReplicatedWrites", stats.underReplicatedWrites());
              });
        }
      }
    }
    stdout.println("bye");
    stdout.flush();
  }

  private static RefreshPolicy policy(ProcessArguments options) {
    String timeout = options.get("endpointTimeoutMillis");
    String lease = options.get("leaseMillis");
    return ChaosSettings.policy(
        timeout == null
            ? ChaosSettings.ENDPOINT_TIMEOUT
            : Duration.ofMillis(Long.parseLong(timeout)),
        lease == null ? ChaosSettings.LEASE : Duration.ofMillis(Long.parseLong(lease)));
  }

  /**
   * Pays the cold-start costs before {@code ready}: a cold first refresh on two shared cores took
   * longer than the 1 s endpoint timeout (docs/chaos.md, Findings), which turned an unrelated
   * scenario into an (ambiguous-timeout) lost rotation.
   */
  private static void warmUp(HttpClient httpClient, URI tokenUri, RedisBackend redis)
      throws Exception {
    // Part of this worker's start: each step may take as long as the harness waits for "ready"
    // (the harness passes its -Dtokenherd.startupTimeout on).
    Duration timeout = StartupTimeout.get();
    HttpRequest metadata =
        HttpRequest.newBuilder(tokenUri.resolve("/.well-known/oauth-authorization-server"))
            .timeout(timeout)
            .GET()
            .build();
    httpClient.send(metadata, HttpResponse.BodyHandlers.discarding());
    redis
        .tokenStore()
        .read(ChaosSettings.KEY)
        .toCompletableFuture()
        .get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    Optional<LockLease> lease =
        redis
            .refreshLock()
            .tryAcquire(WARM_UP_KEY, Duration.ofSeconds(5))
            .toCompletableFuture()
            .get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    if (lease.isPresent()) {
      lease.get().release().toCompletableFuture().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }
  }

  private static void readCommands(Breakpoints breakpoints) throws java.io.IOException {
    BufferedReader in =
        new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    String line;
    while ((line = in.readLine()) != null) {
      String command = line.trim();
      switch (command) {
        case "disarm" -> breakpoints.disarm();
        case "go" -> breakpoints.release();
        default -> {
          if (command.startsWith("arm ")) {
            breakpoints.arm(Breakpoints.Point.parse(command.substring(4).trim()));
          }
          // Other commands are ignored: the parent may send blank lines.
        }
      }
    }
  }

  /** Caller threads asking for the token in a loop, checking what they are served. */
  private static final class Callers implements AutoCloseable {
    private final TokenCoordinator coordinator;
    private final Clock clock;
    private final EventLog log;
    private final List<Thread> threads = new ArrayList<>();
    private final AtomicBoolean running = new AtomicBoolean(true);
    private final ServeLog serves;
    final LongAdder calls = new LongAdder();
    final LongAdder errors = new LongAdder();

    Callers(String name, TokenCoordinator coordinator, int count, Clock clock, EventLog log) {
      this.coordinator = coordinator;
      this.clock = clock;
      this.log = log;
      this.serves = new ServeLog(log);
      for (int i = 0; i < count; i++) {
        Thread thread = new Thread(this::loop, name + "-caller-" + i);
        thread.setDaemon(true);
        threads.add(thread);
      }
      threads.forEach(Thread::start);
    }

    private void loop() {
      long lastVersion = 0;
      @Nullable String lastError = null;
      long hangLimit = ChaosSettings.WAIT_TIMEOUT.plus(ChaosSettings.HANG_SLACK).toNanos();
      while (running.get()) {
        long start = System.nanoTime();
        Instant asked = clock.instant();
        try {
          AccessToken token = coordinator.token();
          serves.served(token, clock.instant());
          calls.increment();
          if (token.version() < lastVersion) {
            long previous = lastVersion;
            log.emit(
                "version_regression",
                e -> e.put("version", token.version()).put("previous", previous));
          }
          lastVersion = token.version();
          if (lastError != null) {
            log.emit("recovered", e -> e.put("after", "error"));
          }
          lastError = null;
        } catch (TokenRefreshException e) {
          errors.increment();
          String type = e.getClass().getSimpleName();
          if (!type.equals(lastError)) {
            log.emit("error", ev -> ev.put("error", type).put("retryable", e.isRetryable()));
          }
          lastError = type;
        } catch (RuntimeException e) {
          errors.increment();
          log.emit(
              "untyped_error",
              ev ->
                  ev.put("error", e.getClass().getName())
                      .put("message", String.valueOf(e.getMessage())));
        }
        long took = System.nanoTime() - start;
        if (took > hangLimit) {
          log.emit(
              "slow_call",
              e ->
                  e.put("millis", TimeUnit.NANOSECONDS.toMillis(took))
                      .put("asked", asked.toString()));
        }
        // Request handlers do other work between token lookups; on two shared cores spinning
        // callers would starve the refresher.
        LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(2));
      }
    }

    @Override
    public void close() {
      running.set(false);
      try {
        for (Thread thread : threads) {
          thread.join(TimeUnit.SECONDS.toMillis(30));
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      serves.flush();
    }
  }

  /** Logs the engine's listener events. */
  private static final class LoggingListener implements RefreshListener {
    private final EventLog log;

    LoggingListener(EventLog log) {
      this.log = log;
    }

    @Override
    public void onRefreshed(TokenKey key, AccessToken token) {
      log.emit(
          "refreshed",
          e ->
              e.put("version", token.version())
                  .put("atFp", Redaction.fingerprint(token.value()))
                  .put("expiresAt", EventLog.micros(token.expiresAt())));
    }

    @Override
    public void onRefreshFailed(TokenKey key, TokenRefreshException error, boolean willRetry) {
      log.emit(
          "refresh_failed",
          e -> e.put("error", error.getClass().getSimpleName()).put("willRetry", willRetry));
    }

    @Override
    public void onReauthenticationRequired(TokenKey key, ReauthenticationRequiredException error) {
      log.emit("reauth", e -> e.put("reason", error.reason().name()));
    }

    @Override
    public void onLostRotation(TokenKey key, LostRotationException error) {
      log.emit("lost_rotation", e -> e.put("error", error.getClass().getSimpleName()));
    }

    @Override
    public void onFencedWriteRejected(TokenKey key, long fence) {
      log.emit("fence_rejected", e -> e.put("fence", fence));
    }

    @Override
    public void onUnderReplicatedWrite(
        TokenKey key, long version, int requested, int acknowledged) {
      log.emit(
          "under_replicated",
          e ->
              e.put("version", version)
                  .put("requested", requested)
                  .put("acknowledged", acknowledged));
    }
  }
}

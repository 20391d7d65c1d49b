package dev.tokenherd.benchmarks;

import dev.tokenherd.TokenHerd;
import dev.tokenherd.coordinator.AccessToken;
import dev.tokenherd.coordinator.TokenCoordinator;
import dev.tokenherd.coordinator.TokenKey;
import dev.tokenherd.coordinator.TokenSet;
import dev.tokenherd.coordinator.redis.RedisBackend;
import dev.tokenherd.testkit.RedisServerProcess;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.jspecify.annotations.Nullable;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.infra.BenchmarkParams;

/**
 * The cost of serving a fresh cached token, next to the cheapest reads the JVM offers, measured in
 * the same run: a volatile read and a {@link ConcurrentHashMap#get}. Issue #6 asks for {@link
 * TokenCoordinator#accessToken()} within 2x of the map, with zero allocation and zero Redis
 * commands.
 *
 * <p>All threads share one coordinator (one credential, as a worker's request threads do). Run with
 * {@code -prof gc} for bytes per call; {@link BenchRunner} does that and writes the report.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class HotPathBenchmark {
  static final TokenKey KEY = TokenKey.of("bench-api");
  static final String ACCESS_TOKEN = "bench-access-token";

  /** The file (in {@code bench.output}) where a Redis trial records its command delta. */
  static String redisReportName(int threads) {
    return "hotpath-redis-commands-t" + threads + ".txt";
  }

  /** A token set that stays fresh for the whole run: it is refreshed ahead only after 9 hours. */
  static TokenSet freshForHours() {
    Instant now = Instant.now();
    return TokenSet.builder()
        .accessToken(ACCESS_TOKEN)
        .refreshToken("bench-refresh-token")
        .issuedAt(now)
        .expiresAt(now.plus(Duration.ofHours(12)))
        .build();
  }

  // ---------------------------------------------------------------------------------------------
  // Baselines

  /** The baselines' data: a volatile field and a small map, shared by all threads. */
  @State(Scope.Benchmark)
  public static class Baselines {
    static final String KEY = "key-7";

    volatile String token = ACCESS_TOKEN;
    final ConcurrentHashMap<String, String> map = new ConcurrentHashMap<>();

    /** Fills the map with 16 entries. */
    @Setup(Level.Trial)
    public void setUp() {
      for (int i = 0; i < 16; i++) {
        map.put("key-" + i, "token-" + i);
      }
    }
  }

  /** One volatile load: the floor of any thread-safe cache read. */
  @Benchmark
  public String volatileRead(Baselines baselines) {
    return baselines.token;
  }

  /** A {@code ConcurrentHashMap.get} of a constant key in a 16-entry map: a typical token cache. */
  @Benchmark
  public @Nullable String concurrentHashMapGet(Baselines baselines) {
    return baselines.map.get(Baselines.KEY);
  }

  // ---------------------------------------------------------------------------------------------
  // In-memory roles: one JVM, no Redis

  /** A coordinator on the in-memory store, lock and feed, seeded with a token fresh for hours. */
  @State(Scope.Benchmark)
  public static class InMemory {
    @SuppressWarnings("NullAway.Init") // set in setUp(), which JMH runs before any benchmark call
    TokenHerd herd;

    @SuppressWarnings("NullAway.Init")
    TokenCoordinator coordinator;

    final UnusedTokenEndpoint endpoint = new UnusedTokenEndpoint();

    /** Builds the herd and seeds the token. */
    @Setup(Level.Trial)
    public void setUp() {
      herd = TokenHerd.builder().workerId("bench").build();
      coordinator = herd.coordinator(KEY, endpoint);
      coordinator.seed(freshForHours()).join();
      checkServing(coordinator);
    }

    /**
     * Closes the herd.
     *
     * @throws IllegalStateException if the token endpoint was called or the token changed: then the
     *     benchmark did not measure the fresh path
     */
    @TearDown(Level.Trial)
    public void tearDown() {
      try {
        checkServing(coordinator);
        checkNoRequests(endpoint);
      } finally {
        herd.close();
      }
    }
  }

  /** The blocking hot path on a fresh token: what every request thread calls. */
  @Benchmark
  public String accessToken(InMemory state) {
    return state.coordinator.accessToken();
  }

  /**
   * The asynchronous variant. A fresh entry holds one completed future built when it was installed,
   * so every call returns that same future and allocates nothing.
   */
  @Benchmark
  public CompletableFuture<AccessToken> tokenAsync(InMemory state) {
    return state.coordinator.tokenAsync();
  }

  // ---------------------------------------------------------------------------------------------
  // Redis roles: proves the hot path sends no command

  /**
   * A coordinator on the real Redis roles ({@link RedisBackend}: Lettuce store and feed, Redisson
   * lock) against a {@code redis-server} this state starts on a free loopback port. It snapshots
   * Redis's per-command counters after set-up has settled and again at tear-down; the difference
   * (warm-up and measurement iterations together, so stricter than measurement alone) is written
   * for {@link BenchRunner}, which fails the run if any of it came from the code under test.
   */
  @State(Scope.Benchmark)
  public static class OnRedis {
    @SuppressWarnings("NullAway.Init") // set in setUp(), which JMH runs before any benchmark call
    RedisServerProcess server;

    @SuppressWarnings("NullAway.Init")
    RedisBackend backend;

    @SuppressWarnings("NullAway.Init")
    TokenHerd herd;

    @SuppressWarnings("NullAway.Init")
    TokenCoordinator coordinator;

    @SuppressWarnings("NullAway.Init")
    Map<String, Long> before;

    final UnusedTokenEndpoint endpoint = new UnusedTokenEndpoint();

    /** Starts Redis, builds the backend and the herd, seeds the token and waits for quiet. */
    @Setup(Level.Trial)
    public void setUp() throws IOException {
      server = RedisServerProcess.builder().appendOnly(false).start();
      backend = RedisBackend.builder().uri(server.uri().toString()).build();
      herd = backend.configure(TokenHerd.builder()).workerId("bench").build();
      coordinator = herd.coordinator(KEY, endpoint);
      coordinator.seed(freshForHours()).join();
      checkServing(coordinator);
      before = settle(server.port());
    }

    /**
     * Returns the command counts once set-up's own traffic (the seed's write, a change-feed
     * re-read) has stopped: two snapshots 200 ms apart that differ only by the probe and pings.
     */
    private static Map<String, Long> settle(int port) throws IOException {
      Map<String, Long> previous = RedisCommandStats.snapshot(port);
      for (int attempt = 0; attempt < 50; attempt++) {
        sleep(Duration.ofMillis(200));
        Map<String, Long> current = RedisCommandStats.snapshot(port);
        if (RedisCommandStats.hotPathCommands(RedisCommandStats.delta(previous, current)) == 0) {
          return current;
        }
        previous = current;
      }
      throw new IllegalStateException("Redis traffic did not settle after set-up");
    }

    /**
     * Returns the commands Redis received since set-up settled, per command name.
     *
     * @throws IllegalStateException if the token endpoint was called or the token changed
     */
    Map<String, Long> commandsSinceSetUp() throws IOException {
      Map<String, Long> delta =
          RedisCommandStats.delta(before, RedisCommandStats.snapshot(server.port()));
      checkServing(coordinator);
      checkNoRequests(endpoint);
      return delta;
    }

    /** Records the command delta for the runner, then stops everything. */
    @TearDown(Level.Trial)
    public void tearDown(BenchmarkParams params) throws IOException {
      try {
        Map<String, Long> delta = commandsSinceSetUp();
        String lines =
            delta.entrySet().stream()
                .map(e -> e.getKey() + "=" + e.getValue() + "\n")
                .collect(Collectors.joining());
        String output = System.getProperty(BenchRunner.OUTPUT_PROPERTY);
        if (output == null) { // run by plain JMH, not by BenchRunner: say it on the console
          System.out.println("Redis commands during the trial: " + delta);
        } else {
          Path file = Path.of(output).resolve(redisReportName(params.getThreads()));
          Files.createDirectories(file.getParent());
          Files.writeString(file, lines, StandardCharsets.UTF_8);
        }
      } finally {
        close();
      }
    }

    /** Closes the herd, the backend and the server. */
    void close() {
      try {
        herd.close();
        backend.close();
      } finally {
        server.close();
      }
    }
  }

  /** The fresh hot path with the Redis roles configured: must send Redis nothing. */
  @Benchmark
  public String accessTokenOnRedis(OnRedis state) {
    return state.coordinator.accessToken();
  }

  // ---------------------------------------------------------------------------------------------

  private static void checkServing(TokenCoordinator coordinator) {
    String served = coordinator.accessToken();
    if (!ACCESS_TOKEN.equals(served)) {
      throw new IllegalStateException("the coordinator does not serve the seeded token");
    }
  }

  private static void checkNoRequests(UnusedTokenEndpoint endpoint) {
    if (endpoint.requests() != 0) {
      throw new IllegalStateException(
          "the token endpoint was called " + endpoint.requests() + " times: not the fresh path");
    }
  }

  private static void sleep(Duration duration) {
    try {
      // Waiting for another process's traffic to stop; there is no event to await.
      Thread.sleep(duration.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new UncheckedIOException(new IOException("interrupted while waiting for Redis", e));
    }
  }
}

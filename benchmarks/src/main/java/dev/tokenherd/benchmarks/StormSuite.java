package dev.tokenherd.benchmarks;

import dev.tokenherd.TokenHerd;
import dev.tokenherd.coordinator.AccessToken;
import dev.tokenherd.coordinator.TokenCoordinator;
import dev.tokenherd.coordinator.TokenKey;
import dev.tokenherd.coordinator.TokenSet;
import dev.tokenherd.coordinator.oauth2.OAuth2TokenEndpoint;
import dev.tokenherd.coordinator.redis.RedisBackend;
import dev.tokenherd.testkit.FakeAuthorizationServer;
import dev.tokenherd.testkit.RedisServerProcess;
import dev.tokenherd.testkit.RotationMode;
import dev.tokenherd.testkit.ServerStats;
import dev.tokenherd.testkit.TokenGrant;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAccumulator;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;

/**
 * The storm suite (issue 18): many credentials per pod, all seeded to expire within the same
 * second, several pods on one Redis, against the rotating fake server in this JVM. It reports what
 * the authorization server saw (token POSTs against refreshes, reuse, revoked families), what the
 * credentials cost (heap per credential and pod, Redis memory per credential, connections and
 * pub/sub channels), and the slowest caller. It fails the run if a refresh token was presented
 * twice, a family was revoked, a POST was not a refresh, or a caller was served a token the server
 * did not hold valid.
 */
final class StormSuite {
  /** Seeds in flight at once. */
  private static final int SEED_BATCH = 500;

  private StormSuite() {}

  /**
   * What one run does.
   *
   * @param name the variant's name
   * @param credentials credentials per pod (every pod serves all of them)
   * @param pods herds, each with its own Redis and HTTP clients, in this JVM
   * @param lifetime the access tokens' lifetime
   * @param latency the fake server's added latency per token request
   * @param expiries how many lifetimes the callers run for
   * @param callerThreads caller threads per pod, each cycling through a slice of the credentials
   */
  record Plan(
      String name,
      int credentials,
      int pods,
      Duration lifetime,
      Duration latency,
      int expiries,
      int callerThreads) {
    /** Issue 18's storm: 10,000 credentials x 4 pods, 60 s tokens, 3 expiries. */
    static final Plan FULL =
        new Plan("full", 10_000, 4, Duration.ofSeconds(60), Duration.ofMillis(50), 3, 4);

    /** A first look in about a minute. */
    static final Plan QUICK =
        new Plan("quick", 1_000, 4, Duration.ofSeconds(20), Duration.ofMillis(50), 3, 4);

    String describe() {
      return String.format(
          Locale.ROOT,
          "%s: %,d credentials x %d pods, %d s tokens, %d ms endpoint latency, %d expiries, %d"
              + " caller threads per pod",
          name,
          credentials,
          pods,
          lifetime.toSeconds(),
          latency.toMillis(),
          expiries,
          callerThreads);
    }
  }

  /** What one run measured. */
  record Result(
      ServerStats server,
      long calls,
      long invalidServed,
      Map<String, Long> errors,
      Duration slowestCall,
      long callsOver100ms,
      long heapBytesPerCredentialAndPod,
      long redisBytesPerCredential,
      String connectedClients,
      String pubsubChannels,
      Duration seeding,
      Duration ran) {}

  /**
   * Runs {@code plan}, writes {@code storm.md} into {@code output} and returns the failed
   * invariants (empty if none).
   */
  static List<String> run(Plan plan, Path output) throws IOException, InterruptedException {
    Instant started = Instant.now().truncatedTo(ChronoUnit.SECONDS);
    Machine machine = Machine.current();
    System.out.println("storm suite, " + plan.describe());
    Result result;
    String redisVersion;
    try (RedisServerProcess redis = RedisServerProcess.builder().appendOnly(false).start();
        FakeAuthorizationServer server =
            FakeAuthorizationServer.builder()
                .rotationMode(RotationMode.ROTATE_REVOKE_FAMILY_ON_REUSE)
                .accessTokenTtl(plan.lifetime())
                .latency(plan.latency())
                .requestLogLimit(0)
                .start()) {
      redisVersion = RedisCommandStats.serverVersion(redis.port());
      result = new Run(plan, redis, server).run();
    }
    String markdown = markdown(plan, result, machine, started, redisVersion);
    Files.writeString(output.resolve("storm.md"), markdown, StandardCharsets.UTF_8);
    System.out.println();
    System.out.println(markdown);
    System.out.println("Written: " + output.resolve("storm.md"));

    List<String> failed = new ArrayList<>();
    ServerStats stats = result.server();
    if (stats.reuseDetections() > 0 || stats.familiesRevoked() > 0) {
      failed.add(
          "storm: " + stats.reuseDetections() + " reuse, " + stats.familiesRevoked() + " revoked");
    }
    if (stats.tokenRequests() != stats.refreshEvents()) {
      failed.add(
          "storm: "
              + stats.tokenRequests()
              + " token POSTs for "
              + stats.refreshEvents()
              + " refreshes");
    }
    if (result.invalidServed() > 0) {
      failed.add(
          "storm: " + result.invalidServed() + " tokens served that the server did not hold valid");
    }
    return failed;
  }

  /** One run: the pods, the seeding, the callers, the measurements. */
  private static final class Run {
    private final Plan plan;
    private final RedisServerProcess redis;
    private final FakeAuthorizationServer server;
    private final List<AutoCloseable> resources = new ArrayList<>();
    private final LongAdder calls = new LongAdder();
    private final LongAdder invalid = new LongAdder();
    private final LongAdder slowCalls = new LongAdder();
    private final LongAccumulator slowestNanos = new LongAccumulator(Math::max, 0);
    private final Map<String, LongAdder> errors = new ConcurrentHashMap<>();
    private volatile boolean stopped;

    Run(Plan plan, RedisServerProcess redis, FakeAuthorizationServer server) {
      this.plan = plan;
      this.redis = redis;
      this.server = server;
    }

    Result run() throws IOException, InterruptedException {
      List<TokenGrant> grants = new ArrayList<>();
      for (int i = 0; i < plan.credentials(); i++) {
        grants.add(server.issueTokens("read"));
      }
      long heapBefore = usedHeapAfterGc();
      long redisBefore = redisUsedMemory();
      try {
        List<List<TokenCoordinator>> pods = new ArrayList<>();
        for (int p = 0; p < plan.pods(); p++) {
          pods.add(pod("pod-" + p));
        }
        long seedStart = System.nanoTime();
        seed(pods.get(0), grants);
        Duration seeding = Duration.ofNanos(System.nanoTime() - seedStart);
        long heapSeeded = usedHeapAfterGc();
        long redisSeeded = redisUsedMemory();
        String clients = RedisCommandStats.infoField(redis.port(), "clients", "connected_clients");
        String channels = RedisCommandStats.infoField(redis.port(), "stats", "pubsub_channels");

        long runStart = System.nanoTime();
        List<Thread> callers = new ArrayList<>();
        for (int p = 0; p < pods.size(); p++) {
          for (int t = 0; t < plan.callerThreads(); t++) {
            List<TokenCoordinator> slice = slice(pods.get(p), t);
            String name = "storm-pod-" + p + "-caller-" + t;
            Thread caller = new Thread(() -> callInALoop(slice), name);
            caller.setDaemon(true);
            callers.add(caller);
          }
        }
        callers.forEach(Thread::start);
        Thread.sleep(plan.lifetime().multipliedBy(plan.expiries()).toMillis());
        stopped = true;
        for (Thread caller : callers) {
          caller.join(TimeUnit.SECONDS.toMillis(30));
        }
        Duration ran = Duration.ofNanos(System.nanoTime() - runStart);
        ServerStats stats = server.awaitAnswered(Duration.ofSeconds(30));
        Map<String, Long> errorCounts = new TreeMap<>();
        errors.forEach((type, count) -> errorCounts.put(type, count.sum()));
        long perPodCredentials = (long) plan.credentials() * plan.pods();
        return new Result(
            stats,
            calls.sum(),
            invalid.sum(),
            errorCounts,
            Duration.ofNanos(slowestNanos.get()),
            slowCalls.sum(),
            (heapSeeded - heapBefore) / perPodCredentials,
            (redisSeeded - redisBefore) / plan.credentials(),
            clients,
            channels,
            seeding,
            ran);
      } finally {
        closeAll();
      }
    }

    /** A pod: its own Redis clients, herd (the product's defaults) and token endpoint client. */
    private List<TokenCoordinator> pod(String name) {
      RedisBackend backend =
          RedisBackend.builder().uri(redis.uri().toString()).namespace("storm").build();
      resources.add(backend);
      TokenHerd herd = backend.configure(TokenHerd.builder()).workerId(name).build();
      resources.add(herd);
      OAuth2TokenEndpoint endpoint =
          OAuth2TokenEndpoint.builder()
              .tokenUri(server.tokenEndpoint())
              .clientId(server.clientId())
              .clientSecret(FakeAuthorizationServer.DEFAULT_CLIENT_SECRET)
              .build();
      List<TokenCoordinator> coordinators = new ArrayList<>();
      for (int i = 0; i < plan.credentials(); i++) {
        coordinators.add(herd.coordinator(TokenKey.of("tenant-" + i), endpoint));
      }
      return coordinators;
    }

    /**
     * Seeds every credential through one pod, all expiring within the same second: the second
     * before the earliest expiry the server gave, so that no seeded token outlives the server's.
     */
    private void seed(List<TokenCoordinator> pod, List<TokenGrant> grants) {
      Instant earliest =
          grants.stream().map(TokenGrant::expiresAt).min(Instant::compareTo).orElseThrow();
      Instant second = earliest.truncatedTo(ChronoUnit.SECONDS).minusSeconds(1);
      Instant issued = Instant.now();
      List<CompletableFuture<AccessToken>> seeded = new ArrayList<>();
      for (int i = 0; i < grants.size(); i++) {
        TokenGrant grant = grants.get(i);
        seeded.add(
            pod.get(i)
                .seed(
                    TokenSet.builder()
                        .accessToken(grant.accessToken())
                        .refreshToken(grant.refreshToken())
                        .scopes(Set.of("read"))
                        .issuedAt(issued)
                        .expiresAt(second.plusMillis(i * 997L % 1000))
                        .build()));
        if (seeded.size() == SEED_BATCH) {
          // Bounded, so that seeding does not queue past the Redis client's command timeout.
          seeded.forEach(CompletableFuture::join);
          seeded.clear();
        }
      }
      seeded.forEach(CompletableFuture::join);
    }

    private List<TokenCoordinator> slice(List<TokenCoordinator> pod, int thread) {
      List<TokenCoordinator> slice = new ArrayList<>();
      for (int i = thread; i < pod.size(); i += plan.callerThreads()) {
        slice.add(pod.get(i));
      }
      return slice;
    }

    /** Calls every credential of the slice in turn, as request handlers would, then pauses. */
    private void callInALoop(List<TokenCoordinator> slice) {
      while (!stopped) {
        for (TokenCoordinator credential : slice) {
          if (stopped) {
            return;
          }
          call(credential);
        }
        LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(20));
      }
    }

    private void call(TokenCoordinator credential) {
      Instant asked = Instant.now();
      long start = System.nanoTime();
      try {
        AccessToken token = credential.token();
        if (!server.isAccessTokenValid(token.value(), asked)) {
          invalid.increment();
        }
      } catch (RuntimeException e) {
        errors.computeIfAbsent(e.getClass().getSimpleName(), k -> new LongAdder()).increment();
      }
      long took = System.nanoTime() - start;
      calls.increment();
      slowestNanos.accumulate(took);
      if (took > TimeUnit.MILLISECONDS.toNanos(100)) {
        slowCalls.increment();
      }
    }

    private long redisUsedMemory() throws IOException {
      return Long.parseLong(RedisCommandStats.infoField(redis.port(), "memory", "used_memory"));
    }

    private void closeAll() {
      for (int i = resources.size() - 1; i >= 0; i--) {
        try {
          resources.get(i).close();
        } catch (Exception e) {
          System.err.println("closing " + resources.get(i) + " failed: " + e);
        }
      }
    }
  }

  private static long usedHeapAfterGc() throws InterruptedException {
    for (int i = 0; i < 3; i++) {
      System.gc();
      Thread.sleep(200);
    }
    return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
  }

  static String markdown(
      Plan plan, Result result, Machine machine, Instant started, String redisVersion) {
    ServerStats stats = result.server();
    StringBuilder out = new StringBuilder();
    out.append("# Storm benchmark: many credentials expiring together\n\n");
    out.append("Run ")
        .append(started)
        .append(" (")
        .append(plan.describe())
        .append("). Reproduce: `./mvnw -B -Pbench verify -pl benchmarks -am -DskipTests")
        .append(" -Dbench.suites=storm")
        .append(plan.name().equals("quick") ? " -Dbench.quick=true" : "")
        .append("`.\n\n");
    out.append(
        "Every pod (a herd with the default `RefreshPolicy` and its own Lettuce, Redisson and HTTP"
            + " clients, in one JVM) serves every credential; all credentials are seeded, through"
            + " one pod, to expire within the same second. The fake authorization server (in the"
            + " same JVM) rotates refresh tokens and revokes the family on reuse. Caller threads"
            + " cycle through their pod's credentials calling `token()`, pausing 20 ms after each"
            + " pass; every token served is checked against the server's ledger at the instant it"
            + " was asked for.\n\n");
    out.append("| measure | value |\n|---|---|\n");
    row(out, "token POSTs", stats.tokenRequests());
    row(out, "refreshes (server's refresh events)", stats.refreshEvents());
    row(out, "reuse detections", stats.reuseDetections());
    row(out, "families revoked", stats.familiesRevoked());
    row(out, "invalid_grant answers", stats.invalidGrants());
    row(out, "calls", result.calls());
    row(out, "tokens served that the server did not hold valid", result.invalidServed());
    out.append("| failed calls | ").append(result.errors()).append(" |\n");
    out.append(
        String.format(
            Locale.ROOT, "| slowest call | %.1f ms |%n", result.slowestCall().toNanos() / 1e6));
    row(out, "calls over 100 ms", result.callsOver100ms());
    row(
        out,
        "heap per credential and pod (bytes, after seeding)",
        result.heapBytesPerCredentialAndPod());
    row(
        out,
        "Redis memory per credential (bytes, after seeding)",
        result.redisBytesPerCredential());
    out.append("| Redis connections | ").append(result.connectedClients()).append(" |\n");
    out.append("| pub/sub channels | ").append(result.pubsubChannels()).append(" |\n");
    out.append(String.format(Locale.ROOT, "| seeding | %.1f s |%n", seconds(result.seeding())));
    out.append(String.format(Locale.ROOT, "| callers ran | %.1f s |%n%n", seconds(result.ran())));
    out.append("## Machine\n\n");
    machine.appendMarkdown(out, redisVersion);
    out.append("- load average (1, 5, 15 min) at the start: ")
        .append(machine.loadAverage())
        .append('\n');
    return out.toString();
  }

  private static double seconds(Duration duration) {
    return duration.toMillis() / 1e3;
  }

  private static void row(StringBuilder out, String what, long value) {
    out.append(String.format(Locale.ROOT, "| %s | %,d |%n", what, value));
  }
}

package dev.tokenherd.chaos;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tokenherd.TokenHerd;
import dev.tokenherd.coordinator.TokenSet;
import dev.tokenherd.coordinator.redis.RedisBackend;
import dev.tokenherd.testkit.FakeAuthorizationServer;
import dev.tokenherd.testkit.ProcessOutput;
import dev.tokenherd.testkit.RecordedTokenRequest;
import dev.tokenherd.testkit.RotationMode;
import dev.tokenherd.testkit.StartupTimeout;
import dev.tokenherd.testkit.TokenGrant;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.stream.Collectors;
import org.awaitility.core.ConditionTimeoutException;
import org.jspecify.annotations.Nullable;

/**
 * One scenario's world: a Redis primary (AOF on) and its replicas, the fake authorization server in
 * this JVM, worker JVMs ({@link ChaosWorker}) each behind its own {@link WorkerLink} to Redis, and
 * the harness's own event log (faults injected, seeds) beside the workers' logs. Redis nodes and
 * links (and where the worker JVMs run) come from the {@link ChaosEnvironment} that {@code
 * -Dchaos.environment} names: processes and {@link TcpProxy} by default, or a container each for
 * every worker, Redis node and the proxy (the scenario is skipped without a Docker engine);
 * containers' scenario names end in {@code @containers}.
 *
 * <p>Or, instead of that single node, a {@link FleetTopology}: a Redis Cluster or a Sentinel group
 * that the workers reach directly (no link faults: see there), which the scenario drives itself.
 */
final class ChaosFleet implements AutoCloseable {
  static final Path SUMMARY = Path.of("target", "chaos", "summary.json");
  private static final ObjectMapper JSON = new ObjectMapper();

  final String scenario;
  final long seed;
  final Path logs;
  final ChaosEnvironment environment;
  private final @Nullable RedisNode redis;
  private final @Nullable FleetTopology topology;
  final FakeAuthorizationServer server;
  final EventLog harness;
  final List<Worker> workers = new ArrayList<>();
  final List<RedisNode> replicas = new ArrayList<>();
  private final Clock clock = Clock.systemUTC();
  private final Map<Path, Long> readUpTo = new HashMap<>(); // guarded by this
  private final List<JsonNode> eventsRead = new ArrayList<>(); // guarded by this

  ChaosFleet(String scenario, long seed, RotationMode mode, String... redisArguments) {
    this(scenario, seed, mode, ChaosSettings.TOKEN_TTL, redisArguments);
  }

  ChaosFleet(
      String scenario, long seed, RotationMode mode, Duration tokenTtl, String... redisArguments) {
    this(
        scenario,
        seed,
        mode,
        tokenTtl,
        ChaosEnvironment.fromSystemProperty(),
        null,
        redisArguments);
  }

  /**
   * A fleet on a Redis Cluster or a Sentinel group, which the scenario started ({@link
   * FleetTopology#startCluster()}, {@link FleetTopology#startSentinelGroup()}) and closes after the
   * fleet; there is no {@link #redis()} node. The run's seed, and a server that rotates and revokes
   * the family on reuse.
   */
  ChaosFleet(String scenario, Duration tokenTtl, FleetTopology topology) {
    this(scenario, ChaosSeed.get(), RotationMode.ROTATE_REVOKE_FAMILY_ON_REUSE, tokenTtl, topology);
  }

  ChaosFleet(
      String scenario, long seed, RotationMode mode, Duration tokenTtl, FleetTopology topology) {
    // An environment that starts nothing: the topology's fixture is made of processes already.
    this(scenario, seed, mode, tokenTtl, new ProcessEnvironment(), topology);
  }

  private ChaosFleet(
      String scenario,
      long seed,
      RotationMode mode,
      Duration tokenTtl,
      ChaosEnvironment environment,
      @Nullable FleetTopology topology,
      String... redisArguments) {
    this.environment = environment;
    this.topology = topology;
    this.scenario = scenario + environment.scenarioSuffix();
    this.seed = seed;
    try {
      this.logs = Path.of("target", "chaos", this.scenario);
      if (Files.exists(logs)) {
        try (var files = Files.list(logs)) {
          for (Path f : files.toList()) {
            Files.delete(f);
          }
        }
      }
      Files.createDirectories(logs);
      this.harness = new EventLog(logs.resolve("harness.jsonl"), "harness", clock);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    try {
      this.redis = topology == null ? environment.startRedis(redisArguments) : null;
      this.server = startServer(mode, tokenTtl, environment);
    } catch (RuntimeException e) {
      // close() is never called on a fleet whose constructor threw
      try {
        environment.close();
        harness.close();
      } catch (IOException | RuntimeException closing) {
        e.addSuppressed(closing);
      }
      throw e;
    }
    System.out.printf(
        "chaos %s: seed %d (set -Dchaos.seed=%d to repeat)%s%n",
        this.scenario, seed, seed, topology == null ? "" : ", on " + topology);
  }

  private static FakeAuthorizationServer startServer(
      RotationMode mode, Duration tokenTtl, ChaosEnvironment environment) {
    return FakeAuthorizationServer.builder()
        .rotationMode(mode)
        .accessTokenTtl(tokenTtl)
        .latency(Duration.ofMillis(20))
        // The checker needs every request (it reports a dropped one as a LOG violation); a
        // 30-minute soak makes about a thousand.
        .requestLogLimit(Integer.MAX_VALUE)
        .bindAddress(environment.authServerAddress())
        .start();
  }

  /**
   * Returns the scenario's Redis primary.
   *
   * @throws IllegalStateException if the fleet runs on a {@link FleetTopology}
   */
  RedisNode redis() {
    if (redis == null) {
      throw new IllegalStateException(scenario + " runs on " + topology + ", not on one node");
    }
    return redis;
  }

  /** Where the seeder (and, for a topology, every worker) finds Redis. */
  private WorkerTarget target() {
    return topology != null ? topology.target : WorkerTarget.server(redis().uri().toString());
  }

  /** Seeds a fresh token set from this JVM, the way an operator's login would, and logs it. */
  void seed() {
    TokenGrant grant = server.issueTokens("read");
    TokenSet tokens =
        TokenSet.builder()
            .accessToken(grant.accessToken())
            .refreshToken(grant.refreshToken())
            .issuedAt(clock.instant())
            .expiresAt(grant.expiresAt())
            .build();
    try (RedisBackend backend = target().aim(RedisBackend.builder()).namespace("chaos").build();
        TokenHerd herd =
            backend.configure(TokenHerd.builder()).refreshPolicy(ChaosSettings.policy()).build()) {
      herd.coordinator(
              ChaosSettings.KEY,
              request -> {
                throw new IllegalStateException("the seeder never refreshes");
              })
          .seed(tokens)
          .join();
    }
    harness.emit(
        "seed",
        e -> e.put("rtFp", dev.tokenherd.coordinator.Redaction.fingerprint(grant.refreshToken())));
  }

  /** Starts {@code count} workers, each armed with {@code breakAt} (or none), and awaits them. */
  void startWorkers(int count, @Nullable String breakAt, String... extra) {
    List<Worker> started = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      started.add(startWorker("w" + workers.size(), breakAt, extra));
    }
    for (Worker worker : started) {
      try {
        // Within StartupTimeout.get() of its start; else it fails with what the worker wrote.
        worker.output.awaitStartup("ready");
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted while awaiting the start of " + worker.id, e);
      }
    }
  }

  private Worker startWorker(String id, @Nullable String breakAt, String... extra) {
    WorkerLink link = topology != null ? topology.directLink() : environment.link(redis());
    WorkerTarget target =
        topology != null ? topology.target : WorkerTarget.server(link.uri().toString());
    List<String> command =
        workerCommand(
            target,
            workerTokenEndpoint(),
            environment.authServerAddress().isLoopbackAddress(),
            id,
            seed + workers.size(),
            logs.resolve(id + ".jsonl"));
    if (breakAt != null) {
      command.add("break=" + breakAt);
    }
    command.addAll(Arrays.asList(extra));
    Path stderr = logs.resolve(id + ".stderr.log");
    try {
      Worker worker =
          new Worker(id, environment.startWorker(id, command, stderr, link), link, stderr);
      workers.add(worker);
      return worker;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * Returns the token endpoint as the workers reach it: on the address the server listens on
   * ({@link ChaosEnvironment#authServerAddress()}), which {@link FakeAuthorizationServer#uri()}
   * does not name (it always says 127.0.0.1).
   */
  private URI workerTokenEndpoint() {
    return URI.create(
        "http://"
            + environment.authServerAddress().getHostAddress()
            + ":"
            + server.uri().getPort()
            + "/token");
  }

  /**
   * Returns the command line of a {@link ChaosWorker} JVM (without break or extra arguments) that
   * reaches Redis at {@code target}: its link's URI, or a topology.
   */
  static List<String> workerCommand(
      WorkerTarget target,
      URI tokenEndpoint,
      boolean environmentIsLoopback,
      String id,
      long seed,
      Path log) {
    return withCoverageAgent(
        List.of(
            Path.of(System.getProperty("java.home"), "bin", "java").toString(),
            "-Xmx128m",
            "-XX:TieredStopAtLevel=1",
            "-XX:+UseSerialGC",
            "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn",
            // its warm-up (before "ready") waits as long as startWorkers does
            StartupTimeout.jvmOption(),
            "-cp",
            System.getProperty("java.class.path"),
            ChaosWorker.class.getName(),
            target.argument(),
            "tokenUri=" + tokenEndpoint,
            "insecureHttp=" + !environmentIsLoopback,
            "clientId=" + FakeAuthorizationServer.DEFAULT_CLIENT_ID,
            "clientSecret=" + FakeAuthorizationServer.DEFAULT_CLIENT_SECRET,
            "namespace=chaos",
            "workerId=" + id,
            "threads=3",
            "seed=" + seed,
            "log=" + log.toAbsolutePath()));
  }

  /**
   * Returns {@code javaCommand} as a mutable list, with the JaCoCo agent as the first JVM option
   * when the build passes one: the system property {@code chaos.workerAgent} (chaos/pom.xml) is
   * blank when coverage is skipped and an unresolved {@code ${...}} when the agent goal did not
   * run. A worker writes its coverage data when it exits normally (end of standard input); a
   * SIGKILLed worker writes none.
   */
  private static List<String> withCoverageAgent(List<String> javaCommand) {
    List<String> command = new ArrayList<>(javaCommand);
    String agent = System.getProperty("chaos.workerAgent", "").strip();
    if (!agent.isEmpty() && !agent.contains("${")) {
      // prepare-agent writes it for a shell-like argLine (quoted if it has a blank, backslashes
      // and quotes escaped); a process argument is the plain text
      if (agent.length() > 1 && agent.startsWith("\"") && agent.endsWith("\"")) {
        agent = agent.substring(1, agent.length() - 1);
      }
      command.add(1, agent.replaceAll("\\\\(.)", "$1"));
    }
    return command;
  }

  /**
   * Awaits the first worker to stop at {@code point}, disarms the others, returns it. A worker logs
   * its {@code break} event before it prints {@code BREAK <point>}, and the log is the quicker
   * signal where a worker runs in a container (its standard output comes through the docker CLI's
   * attach stream, its log file through a bind mount), so either counts.
   */
  Worker awaitBreak(String point) {
    String expected = "BREAK " + point.toUpperCase(java.util.Locale.ROOT);
    Predicate<Worker> atBreak =
        w ->
            w.output.lines().contains(expected)
                || !events(
                        "break",
                        e ->
                            e.get("worker").asText().equals(w.id)
                                && e.get("point").asText().equalsIgnoreCase(point))
                    .isEmpty();
    Worker holder =
        await("a worker at breakpoint " + point)
            .atMost(Duration.ofSeconds(60))
            .pollInterval(Duration.ofMillis(20))
            .until(
                () -> workers.stream().filter(atBreak).findFirst().orElse(null), Objects::nonNull);
    workers.stream().filter(w -> w != holder).forEach(w -> w.send("disarm"));
    return holder;
  }

  /**
   * Arms {@code point} on every live worker ({@code arm <point>}) and awaits the first to stop
   * there; the others are disarmed and let go (one may have reached it at the same moment). Returns
   * {@code null}, with every worker disarmed and let go, if none stops within {@code atMost}.
   */
  @Nullable Worker armAndAwaitBreak(String point, Duration atMost) {
    String expected = "BREAK " + point.toUpperCase(java.util.Locale.ROOT);
    List<Worker> live = workers.stream().filter(w -> w.process.isAlive()).toList();
    Map<Worker, Integer> before = new HashMap<>();
    for (Worker worker : live) {
      before.put(worker, Collections.frequency(worker.output.lines(), expected));
      worker.send("arm " + point);
    }
    Predicate<Worker> stopped =
        w -> Collections.frequency(w.output.lines(), expected) > before.get(w);
    Worker holder = null;
    try {
      await("a worker at breakpoint " + point)
          .atMost(atMost)
          .pollInterval(Duration.ofMillis(20))
          .until(() -> live.stream().anyMatch(stopped));
      holder = live.stream().filter(stopped).findFirst().orElseThrow();
    } catch (ConditionTimeoutException e) {
      // nobody took the lock in time (another fault may hold the fleet up): no stop this time
    }
    for (Worker worker : live) {
      if (worker != holder) {
        worker.send("disarm");
        worker.send("go");
      }
    }
    return holder;
  }

  /**
   * SIGSTOPs {@code holder} (stopped at a breakpoint, which it passes once it runs again), awaits
   * another worker's refresh, and SIGCONTs it: a holder paused past its lease while another takes
   * over. Returns what it measured, with {@code continuedAtMicros}.
   */
  Map<String, Object> stopUntilAnotherRefreshes(Worker holder) throws Exception {
    fault("SIGSTOP", holder.id);
    long stoppedAt = micros();
    holder.pause();
    holder.send("go"); // read once it runs again
    JsonNode other =
        awaitEvent(
            "refreshed",
            e -> !e.get("worker").asText().equals(holder.id) && e.get("t").asLong() > stoppedAt,
            Duration.ofSeconds(60));
    fault("SIGCONT", holder.id);
    long continuedAt = micros();
    holder.resume();
    Map<String, Object> figures = new LinkedHashMap<>();
    figures.put("stopped", holder.id);
    figures.put("otherRefreshedAfterMillis", (other.get("t").asLong() - stoppedAt) / 1000);
    figures.put("stoppedForMillis", (continuedAt - stoppedAt) / 1000);
    figures.put("continuedAtMicros", continuedAt);
    return figures;
  }

  /**
   * Starts a replica of the primary (AOF on too) and awaits its first sync, which is part of its
   * start: for at most {@link StartupTimeout#get()}.
   */
  RedisNode startReplica() {
    RedisNode replica = environment.startReplica(redis());
    replicas.add(replica);
    awaitReplicated(StartupTimeout.get());
    return replica;
  }

  /** Awaits every replica acknowledging everything the primary has written so far. */
  void awaitReplicated() {
    awaitReplicated(Duration.ofSeconds(60));
  }

  private void awaitReplicated(Duration atMost) {
    await("replicas in sync")
        .atMost(atMost)
        .pollInterval(Duration.ofMillis(50))
        .until(
            () ->
                redis()
                    .command("WAIT", Integer.toString(replicas.size()), "500")
                    .equals(":" + replicas.size()));
  }

  /**
   * The failover: promotes {@code replica} ({@code REPLICAOF NO ONE}, a no-op if it already is a
   * primary), logs a {@code failover} fault with the version it holds (everything above it is
   * rolled back, see {@link InvariantChecker}) and repoints every worker's link to it, resetting
   * their connections as a moved virtual IP would.
   *
   * @return the version the promoted replica holds
   */
  long failover(RedisNode replica) throws IOException {
    String promoted = replica.command("REPLICAOF", "NO", "ONE");
    long held = storedVersion(replica);
    InetSocketAddress address = replica.linkAddress();
    harness.emit(
        "fault",
        e ->
            e.put("kind", "failover")
                .put("target", "replica:" + address.getHostString() + ":" + address.getPort())
                .put("reply", promoted)
                .put("rolledBackAbove", held));
    workers.forEach(w -> w.link.retarget(replica));
    return held;
  }

  /**
   * Logs a failover that a topology makes by itself (the Sentinels promote a replica), for the
   * checker: log it once nothing more can be written on the old master (it is killed next), after
   * every write it lost. The promoted replica holds version {@code held} and everything the master
   * applied up to {@code lostAfterMicros}, when the replica stopped receiving; every write sent
   * after that instant is rolled back (see {@link InvariantChecker}, Failovers).
   */
  void topologyFailover(String target, long held, long lostAfterMicros) {
    harness.emit(
        "fault",
        e ->
            e.put("kind", "failover")
                .put("target", target)
                .put("rolledBackAbove", held)
                .put("lostAfter", lostAfterMicros));
  }

  /**
   * Awaits {@code replica} holding the credential's record as {@code primary} holds it now: the
   * same version, fence and refresh mark, what a promotion of that replica would keep. (A {@code
   * WAIT} sent by the harness cannot tell: it counts the replicas that acknowledged the writes of
   * its own connection, which has written nothing.)
   */
  static void awaitRecordReplicated(RedisCommands primary, RedisCommands replica) {
    List<String> fields = List.of("version", "fence", "mark");
    await("the record replicated")
        .atMost(Duration.ofSeconds(30))
        .pollInterval(Duration.ofMillis(20))
        .until(
            () -> {
              for (String field : fields) {
                if (!recordField(primary, field, "").equals(recordField(replica, field, ""))) {
                  return false;
                }
              }
              return true;
            });
  }

  /** Returns the version of the credential's record on {@code server} (0 if none). */
  static long storedVersion(RedisCommands server) throws IOException {
    return Long.parseLong(recordField(server, "version", "0"));
  }

  /** Returns one field of the credential's record hash on {@code server}, or {@code absent}. */
  static String recordField(RedisCommands server, String field, String absent) throws IOException {
    String reply =
        server.command(
            "EVAL",
            "return {ok = redis.call('HGET', KEYS[1], ARGV[1]) or ARGV[2]}",
            "1",
            "chaos:{" + ChaosSettings.KEY.name() + "}:record",
            field,
            absent);
    if (!reply.startsWith("+")) {
      throw new IllegalStateException("unexpected reply " + reply);
    }
    return reply.substring(1);
  }

  /** Logs a fault the harness injects, for the checker and the evidence. */
  void fault(String kind, String target) {
    harness.emit("fault", e -> e.put("kind", kind).put("target", target));
  }

  /**
   * Returns the events logged so far (workers and harness), oldest first, as {@link
   * InvariantChecker#readEvents} would; but each call parses only the lines appended since the
   * last, so that the soak's awaits, polling every 100 ms over a log that grows for 30 minutes, do
   * not take a core of the 2 the fleet runs on.
   */
  synchronized List<JsonNode> events() {
    int before = eventsRead.size();
    try (var files = Files.list(logs)) {
      for (Path file : files.filter(f -> f.toString().endsWith(".jsonl")).sorted().toList()) {
        readAppended(file);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    if (eventsRead.size() > before) {
      eventsRead.sort(Comparator.comparingLong(e -> e.get("t").asLong()));
    }
    return List.copyOf(eventsRead);
  }

  /** Parses the complete lines appended to {@code file} since it was last read. */
  private void readAppended(Path file) throws IOException {
    long from = readUpTo.getOrDefault(file, 0L);
    byte[] appended;
    try (SeekableByteChannel channel = Files.newByteChannel(file)) {
      long size = channel.size();
      if (size <= from) {
        return;
      }
      ByteBuffer buffer = ByteBuffer.allocate(Math.toIntExact(size - from));
      channel.position(from);
      while (buffer.hasRemaining() && channel.read(buffer) >= 0) {
        // read until the size seen above
      }
      appended = Arrays.copyOf(buffer.array(), buffer.position());
    }
    int end = appended.length;
    while (end > 0 && appended[end - 1] != '\n') {
      end--; // a line still being written: next time
    }
    for (String line : new String(appended, 0, end, UTF_8).lines().toList()) {
      if (!line.isBlank()) {
        eventsRead.add(JSON.readTree(line));
      }
    }
    readUpTo.put(file, from + end);
  }

  /** Returns the events of {@code type} that match, logged so far. */
  List<JsonNode> events(String type, Predicate<JsonNode> filter) {
    return events().stream()
        .filter(e -> e.get("type").asText().equals(type))
        .filter(filter)
        .collect(Collectors.toList());
  }

  /** Awaits an event of {@code type} that matches. */
  JsonNode awaitEvent(String type, Predicate<JsonNode> filter, Duration atMost) {
    await(type + " event")
        .atMost(atMost)
        .pollInterval(Duration.ofMillis(100))
        .until(() -> !events(type, filter).isEmpty());
    return events(type, filter).get(0);
  }

  /** Awaits {@code count} events of {@code type} that match, and returns them. */
  List<JsonNode> awaitEvents(String type, Predicate<JsonNode> filter, int count, Duration atMost) {
    await(count + " " + type + " events")
        .atMost(atMost)
        .pollInterval(Duration.ofMillis(100))
        .until(() -> events(type, filter).size() >= count);
    return events(type, filter);
  }

  /** Stops every live worker (end of standard input) and awaits its summary. */
  void stopWorkers() {
    for (Worker worker : workers) {
      worker.closeInput();
    }
    for (Worker worker : workers) {
      try {
        if (!worker.process.waitFor(60, TimeUnit.SECONDS)) {
          worker.process.destroyForcibly();
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
  }

  /**
   * Ends the scenario: stops the workers, checks the invariants on everything logged, records the
   * scenario in the summary and fails the test with each violation's evidence if there is one.
   *
   * @param figures what the scenario measured, for the summary
   * @return the checker's report (no violations), for the scenario's own assertions
   */
  InvariantChecker.Report finish(Map<String, ?> figures) {
    stopWorkers();
    InvariantChecker.Report report = checkAndRecord(figures);
    assertThat(report.violations())
        .as("invariant violations in %s (seed %d; logs in %s)", scenario, seed, logs)
        .isEmpty();
    return report;
  }

  /** Checks the invariants on everything logged and records the scenario in the summary. */
  InvariantChecker.Report checkAndRecord(Map<String, ?> figures) {
    InvariantChecker.Report report =
        InvariantChecker.check(events(), InvariantChecker.ServerLog.of(server));
    ChaosSummary.record(SUMMARY, scenario, seed, 1, report, figures);
    report.violations().forEach(v -> System.out.printf("VIOLATION %s%n", v));
    System.out.printf("chaos %s: figures %s %s%n", scenario, report.figures(), figures);
    return report;
  }

  /** Returns how many refresh grants the server has made. */
  long refreshes() {
    return server.requests().stream()
        .filter(r -> r.outcome() == RecordedTokenRequest.Outcome.REFRESHED)
        .count();
  }

  /** Awaits the server's {@code count}th refresh grant. */
  void awaitRefreshes(long count, Duration atMost) {
    await(count + " refreshes")
        .atMost(atMost)
        .pollInterval(Duration.ofMillis(50))
        .until(() -> refreshes() >= count);
  }

  /** Returns when (epoch micros) the server made its first refresh grant after {@code micros}. */
  long firstRefreshAfter(long micros) {
    return server.requests().stream()
        .filter(r -> r.outcome() == RecordedTokenRequest.Outcome.REFRESHED)
        .mapToLong(r -> EventLog.micros(r.receivedAt()))
        .filter(t -> t > micros)
        .min()
        .orElseThrow();
  }

  static long micros() {
    return EventLog.micros(Clock.systemUTC().instant());
  }

  @Override
  public void close() throws IOException {
    for (Worker worker : workers) {
      worker.process.destroyForcibly();
    }
    try {
      environment.close();
    } finally {
      try {
        server.close();
      } finally {
        harness.close();
      }
    }
  }

  /** One worker JVM. */
  static final class Worker {
    final String id;
    final Process process;
    final WorkerLink link;
    final ProcessOutput output;
    private final ChaosEnvironment.WorkerProcess host;
    private final OutputStream stdin;

    Worker(String id, ChaosEnvironment.WorkerProcess host, WorkerLink link, Path stderr) {
      this.id = id;
      this.host = host;
      this.process = host.process();
      this.link = link;
      this.stdin = process.getOutputStream();
      this.output = ProcessOutput.follow(id, process, stderr);
    }

    void send(String command) {
      try {
        stdin.write((command + "\n").getBytes(UTF_8));
        stdin.flush();
      } catch (IOException e) {
        // the process is gone (killed by the scenario)
      }
    }

    void closeInput() {
      try {
        stdin.close();
      } catch (IOException e) {
        // already gone
      }
    }

    /**
     * Kills the worker (SIGKILL, or {@code docker kill}), then closes its link: nothing will
     * connect through it again, and the containers environment has a fixed range of proxy ports
     * (the soak replaces killed workers).
     */
    void kill() throws InterruptedException {
      host.kill();
      link.close();
    }

    /** Freezes the worker (SIGSTOP, {@code docker pause}); returns once it is frozen. */
    void pause() throws IOException, InterruptedException {
      host.pause();
    }

    /** Lets a paused worker run again. */
    void resume() throws IOException, InterruptedException {
      host.resume();
    }

    /** Cuts the worker off the network ({@link ChaosEnvironment.WorkerProcess#partition()}). */
    void partition() {
      host.partition();
    }

    /** Ends a partition. */
    void rejoin() {
      host.rejoin();
    }
  }
}

package dev.tokenherd.coordinator.redis.fleet;

import static dev.tokenherd.coordinator.redis.fleet.FleetSettings.EXPIRIES;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tokenherd.TokenHerd;
import dev.tokenherd.coordinator.TokenCoordinator;
import dev.tokenherd.coordinator.redis.RedisBackend;
import dev.tokenherd.coordinator.redis.RedisTestServer;
import dev.tokenherd.coordinator.testing.FakeServers;
import dev.tokenherd.testkit.FakeAuthorizationServer;
import dev.tokenherd.testkit.ProcessOutput;
import dev.tokenherd.testkit.RotationMode;
import dev.tokenherd.testkit.ServerStats;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The same promise across separate JVMs: 3 worker processes (each {@link FleetWorkerMain}: its own
 * clients, herd and 16 callers) share one credential through a real Redis across 20 expiries; the
 * fake server, in this JVM, sees one token request per refresh and no reuse.
 */
class RedisMultiProcessFleetIT {
  private static final int PROCESSES = 3;
  private static final int CALLERS_PER_PROCESS = 16;
  private static final ObjectMapper JSON = new ObjectMapper();

  private final FakeAuthorizationServer server =
      FakeAuthorizationServer.builder()
          .rotationMode(RotationMode.ROTATE_REVOKE_FAMILY_ON_REUSE)
          .accessTokenTtl(FleetSettings.TOKEN_TTL)
          .latency(FleetSettings.SERVER_LATENCY)
          .start();
  private final RedisTestServer redis = RedisTestServer.start();
  private final List<Worker> workers = new ArrayList<>();

  @AfterEach
  void tearDown() {
    workers.forEach(w -> w.process().destroyForcibly());
    redis.close();
    server.close();
  }

  @Test
  void threeWorkerJvms_sendOneTokenRequestPerRefresh() throws Exception {
    Path logs = Files.createDirectories(Path.of("target", "fleet-processes"));
    // Seeded first, as an operator's login step would: a worker asked for a credential nobody
    // seeded fails with CredentialNotFoundException, which this test counts as an error.
    seedThroughOwnWorker();
    for (int i = 0; i < PROCESSES; i++) {
      workers.add(startWorker("process-" + i, logs));
    }
    for (Worker worker : workers) {
      // Within StartupTimeout.get() of its start; else it fails with what the worker wrote.
      worker.output().awaitStartup("ready");
    }

    await()
        .atMost(Duration.ofMinutes(2))
        .pollInterval(Duration.ofMillis(100))
        .until(() -> server.stats().refreshEvents() >= EXPIRIES);
    for (Worker worker : workers) {
      worker.process().getOutputStream().close();
    }
    List<JsonNode> reports = new ArrayList<>();
    for (Worker worker : workers) {
      reports.add(JSON.readTree(worker.output().awaitLine("{", Duration.ofSeconds(60))));
      assertThat(worker.process().waitFor(30, TimeUnit.SECONDS)).isTrue();
      assertThat(worker.process().exitValue()).as("%s exit status", worker.id()).isZero();
    }
    ServerStats stats =
        FleetSettings.assertOneRequestPerRefresh(
            server,
            "RedisMultiProcessFleetIT: "
                + PROCESSES
                + " JVMs x "
                + CALLERS_PER_PROCESS
                + " callers",
            reports.stream().mapToLong(r -> r.get("calls").asLong()).sum());
    long requestsByWorkers = 0;
    for (JsonNode report : reports) {
      assertThat(report.get("errors").size()).as("errors of %s", report).isZero();
      assertThat(report.get("expiredServed").asLong()).as("expired of %s", report).isZero();
      assertThat(report.get("versionRegressions").asLong()).isZero();
      assertThat(report.get("calls").asLong()).isPositive();
      requestsByWorkers += report.get("tokenRequests").asLong();
    }
    assertThat(requestsByWorkers).isEqualTo(stats.tokenRequests());
    assertThat(reports.stream().filter(r -> r.get("refreshes").asLong() > 0).count())
        .as("refreshes were shared between processes: %s", reports)
        .isGreaterThan(1);
  }

  /** Seeds the credential from this JVM, the way an operator's login step would. */
  private void seedThroughOwnWorker() {
    try (RedisBackend backend =
            RedisBackend.builder().uri(redis.uri().toString()).namespace("fleet-mp").build();
        TokenHerd herd =
            backend.configure(TokenHerd.builder()).refreshPolicy(FleetSettings.policy()).build()) {
      TokenCoordinator seeder =
          herd.coordinator(
              FleetSettings.KEY,
              FleetSettings.endpoint(
                  server.tokenEndpoint(),
                  server.clientId(),
                  FakeAuthorizationServer.DEFAULT_CLIENT_SECRET));
      seeder
          .seed(FakeServers.tokenSet(server.issueTokens("read"), Clock.systemUTC().instant()))
          .join();
    }
  }

  /** Starts a worker JVM on this test's class path. */
  private Worker startWorker(String id, Path logs) throws IOException {
    Path stderr = logs.resolve(id + ".stderr.log");
    List<String> command =
        List.of(
            Path.of(System.getProperty("java.home"), "bin", "java").toString(),
            "-Xmx256m",
            "-cp",
            workerClassPath(),
            FleetWorkerMain.class.getName(),
            "redis=" + redis.uri(),
            "tokenUri=" + server.tokenEndpoint(),
            "clientId=" + server.clientId(),
            "clientSecret=" + FakeAuthorizationServer.DEFAULT_CLIENT_SECRET,
            "namespace=fleet-mp",
            "threads=" + CALLERS_PER_PROCESS,
            "workerId=" + id);
    Process process =
        new ProcessBuilder(command)
            .redirectError(ProcessBuilder.Redirect.to(stderr.toFile()))
            .start();
    return new Worker(id, process, ProcessOutput.follow(id, process, stderr));
  }

  /**
   * Returns this JVM's class path and module path as one class path. Since the module has a
   * module-info, failsafe runs it from the module path (this module's jar, core, Lettuce, ...) and
   * only the test classes and non-modular jars from the class path; a worker started on the class
   * path alone cannot load {@code FleetWorkerMain}'s dependencies.
   */
  private static String workerClassPath() {
    return Stream.of(System.getProperty("java.class.path"), System.getProperty("jdk.module.path"))
        .filter(path -> path != null && !path.isEmpty())
        .collect(Collectors.joining(File.pathSeparator));
  }

  /**
   * A worker JVM; it prints "ready" once started, then one JSON report when its standard input
   * closes.
   */
  private record Worker(String id, Process process, ProcessOutput output) {}
}

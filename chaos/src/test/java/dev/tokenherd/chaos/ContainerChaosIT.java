package dev.tokenherd.chaos;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.redis.testcontainers.RedisContainer;
import dev.tokenherd.coordinator.Redaction;
import dev.tokenherd.coordinator.TokenHerd;
import dev.tokenherd.coordinator.TokenSet;
import dev.tokenherd.coordinator.redis.RedisBackend;
import dev.tokenherd.testkit.FakeAuthorizationServer;
import dev.tokenherd.testkit.RecordedTokenRequest.Outcome;
import dev.tokenherd.testkit.RotationMode;
import dev.tokenherd.testkit.TokenGrant;
import eu.rekawek.toxiproxy.Proxy;
import eu.rekawek.toxiproxy.ToxiproxyClient;
import eu.rekawek.toxiproxy.model.ToxicDirection;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.containers.Network;
import org.testcontainers.containers.ToxiproxyContainer;
import org.testcontainers.utility.DockerImageName;

/**
 * The Testcontainers variant of a representative subset (scenario 6 with Toxiproxy's {@code
 * disable}, and a latency toxic as in the soak): Redis and Toxiproxy in containers, worker JVMs and
 * the fake authorization server on the host, the same event logs and checker. For laptops and CI
 * with a Docker engine; skipped here (no Docker engine runs on our machines, see STYLE.md §9).
 */
class ContainerChaosIT {
  private static final Duration AT_MOST = Duration.ofSeconds(90);
  private static final int FIRST_PROXY_PORT = 8666;

  private static Network network;
  private static RedisContainer redis;
  private static ToxiproxyContainer toxiproxy;

  @BeforeAll
  static void startContainers() {
    Assumptions.assumeTrue(
        DockerClientFactory.instance().isDockerAvailable(),
        "no Docker engine: the Testcontainers variant of the chaos suite is skipped");
    network = Network.newNetwork();
    redis =
        new RedisContainer(DockerImageName.parse("redis:7.4"))
            .withNetwork(network)
            .withNetworkAliases("redis")
            .withCommand("redis-server", "--appendonly", "yes");
    toxiproxy =
        new ToxiproxyContainer(DockerImageName.parse("ghcr.io/shopify/toxiproxy:2.5.0"))
            .withNetwork(network);
    redis.start();
    toxiproxy.start();
  }

  @AfterAll
  static void stopContainers() {
    if (toxiproxy != null) {
      toxiproxy.stop();
    }
    if (redis != null) {
      redis.stop();
    }
    if (network != null) {
      network.close();
    }
  }

  /** Scenario 6 through Toxiproxy: the worker's proxy is disabled past its token's life. */
  @Test
  void workerCutByToxiproxy_servesCachedThenTypedErrors_thenRecovers() throws Exception {
    try (ContainerFleet fleet = new ContainerFleet("tc-6-worker-cut")) {
      fleet.start(3);
      fleet.awaitRefreshes(1);
      Proxy cut = fleet.proxies.get(0);
      fleet.harness.emit("fault", e -> e.put("kind", "toxiproxy disable").put("target", "w0"));
      long cutAt = ChaosFleet.micros();
      cut.disable();
      await("a typed error on the cut worker")
          .atMost(AT_MOST)
          .until(() -> fleet.has("error", "w0", cutAt));
      long healedAt = ChaosFleet.micros();
      cut.enable();
      await("recovery").atMost(AT_MOST).until(() -> fleet.has("recovered", "w0", healedAt));
      assertThat(fleet.stopAndCheck().violations()).isEmpty();
    }
  }

  /** A 300 ms latency toxic on one worker's Redis link for two refreshes: nothing breaks. */
  @Test
  void latencyToxicOnRedis_noViolations() throws Exception {
    try (ContainerFleet fleet = new ContainerFleet("tc-latency")) {
      fleet.start(3);
      fleet.awaitRefreshes(1);
      fleet.proxies.get(1).toxics().latency("latency", ToxicDirection.DOWNSTREAM, 300);
      fleet.awaitRefreshes(3);
      fleet.proxies.get(1).toxics().get("latency").remove();
      assertThat(fleet.stopAndCheck().violations()).isEmpty();
    }
  }

  /** Workers behind Toxiproxy proxies to the Redis container; logs and checker as ChaosFleet. */
  private static final class ContainerFleet implements AutoCloseable {
    final Path logs;
    final EventLog harness;
    final FakeAuthorizationServer server;
    final List<Proxy> proxies = new ArrayList<>();
    final List<Process> processes = new ArrayList<>();
    final String scenario;

    ContainerFleet(String scenario) throws IOException {
      this.scenario = scenario;
      this.logs = Path.of("target", "chaos", scenario);
      Files.createDirectories(logs);
      this.harness = new EventLog(logs.resolve("harness.jsonl"), "harness", Clock.systemUTC());
      this.server =
          FakeAuthorizationServer.builder()
              .rotationMode(RotationMode.ROTATE_REVOKE_FAMILY_ON_REUSE)
              .accessTokenTtl(ChaosSettings.TOKEN_TTL)
              .start();
    }

    void start(int count) throws IOException {
      TokenGrant grant = server.issueTokens("read");
      try (RedisBackend backend =
              RedisBackend.builder().uri(redis.getRedisURI()).namespace("chaos").build();
          TokenHerd herd = backend.configure(TokenHerd.builder()).build()) {
        herd.coordinator(
                ChaosSettings.KEY,
                request -> {
                  throw new IllegalStateException("the seeder never refreshes");
                })
            .seed(
                TokenSet.builder()
                    .accessToken(grant.accessToken())
                    .refreshToken(grant.refreshToken())
                    .issuedAt(Clock.systemUTC().instant())
                    .expiresAt(grant.expiresAt())
                    .build())
            .join();
      }
      harness.emit("seed", e -> e.put("rtFp", Redaction.fingerprint(grant.refreshToken())));
      ToxiproxyClient client = new ToxiproxyClient(toxiproxy.getHost(), toxiproxy.getControlPort());
      for (int i = 0; i < count; i++) {
        String id = "w" + i;
        Proxy proxy =
            client.createProxy("redis-" + id, "0.0.0.0:" + (FIRST_PROXY_PORT + i), "redis:6379");
        proxies.add(proxy);
        String uri =
            "redis://" + toxiproxy.getHost() + ":" + toxiproxy.getMappedPort(FIRST_PROXY_PORT + i);
        List<String> command =
            ChaosFleet.workerCommand(uri, server, id, i, logs.resolve(id + ".jsonl"));
        processes.add(
            new ProcessBuilder(command)
                .redirectError(logs.resolve(id + ".stderr.log").toFile())
                .redirectOutput(logs.resolve(id + ".stdout.log").toFile())
                .start());
      }
    }

    void awaitRefreshes(long count) {
      await("refreshes")
          .atMost(AT_MOST)
          .until(
              () ->
                  server.requests().stream().filter(r -> r.outcome() == Outcome.REFRESHED).count()
                      >= count);
    }

    boolean has(String type, String worker, long after) {
      return InvariantChecker.readEvents(logs).stream()
          .anyMatch(
              e ->
                  e.get("type").asText().equals(type)
                      && e.get("worker").asText().equals(worker)
                      && e.get("t").asLong() > after);
    }

    InvariantChecker.Report stopAndCheck() throws Exception {
      for (Process process : processes) {
        process.getOutputStream().close();
      }
      for (Process process : processes) {
        process.waitFor(60, TimeUnit.SECONDS);
      }
      InvariantChecker.Report report =
          InvariantChecker.check(InvariantChecker.readEvents(logs), server.requests());
      ChaosSummary.record(ChaosFleet.SUMMARY, scenario, 0, 1, report, java.util.Map.of());
      return report;
    }

    @Override
    public void close() throws IOException {
      processes.forEach(Process::destroyForcibly);
      for (Proxy proxy : proxies) {
        proxy.delete();
      }
      server.close();
      harness.close();
    }
  }
}

package dev.tokenherd.examples;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tokenherd.testkit.RedisServerProcess;
import java.io.ByteArrayOutputStream;
import java.io.PipedInputStream;
import java.io.PipedOutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The worker and fake-auth-server modes in this JVM (so that coverage sees them), each strategy's
 * worker against one seeded credential; {@link ProcessModesIT} runs them as real processes.
 */
final class InProcessModesIT {
  private static final ObjectMapper JSON = new ObjectMapper();
  private final RedisServerProcess redis = RedisServerProcess.builder().appendOnly(false).start();

  @AfterEach
  void tearDown() {
    redis.close();
  }

  @Test
  void workerEachStrategy_againstTheFakeAuthServerMode_servesAndReports() throws Exception {
    int port;
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      port = socket.getLocalPort();
    }
    PipedOutputStream stopServer = new PipedOutputStream();
    PipedInputStream serverInput = new PipedInputStream(stopServer);
    ByteArrayOutputStream serverOut = new ByteArrayOutputStream();
    // Its own thread, not the common pool: the server runs for the whole test, and on 2 cores
    // the common pool has a single thread that the clients under test also lean on.
    ExecutorService serverThread = Executors.newSingleThreadExecutor();
    CompletableFuture<Integer> server =
        CompletableFuture.supplyAsync(
            () ->
                FleetDemo.run(
                    new String[] {
                      "fake-auth-server",
                      "--port",
                      Integer.toString(port),
                      "--ttl",
                      "1s",
                      "--mode",
                      "revoke-family",
                      "--latency",
                      "10ms",
                      "--redis",
                      redis.uri().toString(),
                      "--namespace",
                      "modes",
                      "--stdin"
                    },
                    new PrintStream(serverOut, true, StandardCharsets.UTF_8),
                    System.err,
                    serverInput),
            serverThread);

    for (String strategy : List.of("tokenherd", "lockpoll")) {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      int status =
          FleetDemo.run(
              new String[] {
                "worker",
                "--redis",
                redis.uri().toString(),
                "--token-endpoint",
                "http://127.0.0.1:" + port + "/token",
                "--client-secret",
                "test-secret",
                "--threads",
                "2",
                "--strategy",
                strategy,
                "--namespace",
                "modes",
                "--duration",
                // 2 s was seen serving 0 calls once on a starved machine (load 11, JDK 25):
                // the pod's clients and first refresh take part of it.
                "5s",
                "--json"
              },
              new PrintStream(out, true, StandardCharsets.UTF_8),
              System.err,
              new java.io.ByteArrayInputStream(new byte[0]));
      assertThat(status).isZero();
      List<String> lines = out.toString(StandardCharsets.UTF_8).lines().toList();
      JsonNode result = JSON.readTree(lines.get(lines.size() - 1));
      assertThat(result.get("type").asText()).isEqualTo("result");
      assertThat(result.get("calls").asLong()).as(strategy).isPositive();
      assertThat(result.get("errors").asLong()).as(strategy).isZero();
    }

    ByteArrayOutputStream human = new ByteArrayOutputStream();
    int status =
        FleetDemo.run(
            new String[] {
              "worker",
              "--redis",
              redis.uri().toString(),
              "--token-endpoint",
              "http://127.0.0.1:" + port + "/token",
              "--client-secret",
              "test-secret",
              "--threads",
              "1",
              "--strategy",
              "naive",
              "--namespace",
              "modes",
              "--name",
              "solo",
              "--duration",
              "1s"
            },
            new PrintStream(human, true, StandardCharsets.UTF_8),
            System.err,
            new java.io.ByteArrayInputStream(new byte[0]));
    assertThat(status).isZero();
    assertThat(human.toString(StandardCharsets.UTF_8)).contains("solo: ready", "(stopped)");

    stopServer.close();
    assertThat(server.get()).isZero();
    serverThread.shutdown();
    assertThat(serverOut.toString(StandardCharsets.UTF_8))
        .contains("credential seeded in Redis", "refresh events");
  }

  @Test
  void worker_nothingSeeded_givesUpAfterTheStartupTimeout() {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    int status =
        FleetDemo.run(
            new String[] {
              "worker",
              "--redis",
              redis.uri().toString(),
              "--token-endpoint",
              "http://127.0.0.1:1/token",
              "--client-secret",
              "s",
              "--namespace",
              "empty",
              "--startup-timeout",
              "300ms"
            },
            new PrintStream(out, true, StandardCharsets.UTF_8),
            System.err,
            new java.io.ByteArrayInputStream(new byte[0]));
    assertThat(status).isEqualTo(1);
    assertThat(out.toString(StandardCharsets.UTF_8)).contains("no credential was seeded");
  }

  @Test
  void fakeAuthServerModes_areNamedAsDocumented() {
    assertThat(FakeAuthServerMode.mode("grace-period")).isNotNull();
    assertThat(FakeAuthServerMode.mode("no-family-revocation")).isNotNull();
    assertThat(FakeAuthServerMode.mode("no-rotation")).isNotNull();
    assertThat(FakeAuthServerMode.mode("omit-refresh-token")).isNotNull();
  }
}

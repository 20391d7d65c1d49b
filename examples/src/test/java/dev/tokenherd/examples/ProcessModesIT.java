package dev.tokenherd.examples;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tokenherd.testkit.ProcessOutput;
import dev.tokenherd.testkit.RedisServerProcess;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The modes the docker fleet runs, as plain processes (no Docker engine runs on these machines):
 * the fake-auth-server mode and two worker-mode JVMs from {@code target/fleet-demo.jar} against a
 * real {@code redis-server}, then the totals. The fake server and one worker take the client secret
 * from a file ({@code TOKENHERD_CLIENT_SECRET_FILE}), as compose gives it to them.
 */
final class ProcessModesIT {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Path JAR = Path.of("target", "fleet-demo.jar");

  @TempDir Path directory;

  private final RedisServerProcess redis = RedisServerProcess.builder().appendOnly(true).start();
  private final List<Process> processes = new ArrayList<>();

  @AfterEach
  void tearDown() throws InterruptedException {
    for (Process process : processes) {
      process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    }
    redis.close();
  }

  @Test
  void fakeAuthServerAndTwoWorkers_asJvms_sendOneTokenRequestPerRefresh() throws Exception {
    assertThat(JAR).exists();
    int port = freePort();
    String authServer = "http://127.0.0.1:" + port;
    // as compose passes it: a Docker secret file, with the trailing newline an editor leaves; not
    // the fake server's default secret, so that a process that ignored the file would fail
    Path secretFile = directory.resolve("client_secret");
    Files.writeString(secretFile, "compose-secret\n");
    Map<String, String> fromFile = Map.of(ClientSecret.FILE_VARIABLE, secretFile.toString());
    ProcessOutput server =
        start(
            fromFile,
            "fake-auth-server",
            "--port",
            Integer.toString(port),
            "--ttl",
            "1s",
            "--latency",
            "20ms",
            "--redis",
            redis.uri().toString());
    server.awaitStartup("fake-auth-server: port " + port);

    List<ProcessOutput> workers = new ArrayList<>();
    // w1 takes the secret from the command line, w2 from the file
    for (int i = 1; i <= 2; i++) {
      List<String> worker =
          new ArrayList<>(
              List.of(
                  "worker",
                  "--redis",
                  redis.uri().toString(),
                  "--token-endpoint",
                  authServer + "/token",
                  "--threads",
                  "4",
                  "--name",
                  "w" + i,
                  "--json",
                  "--stdin"));
      if (i == 1) {
        worker.addAll(List.of("--client-secret", "compose-secret"));
      }
      worker.addAll(WorkerProcess.startupTimeoutArguments());
      workers.add(start(i == 1 ? Map.of() : fromFile, worker.toArray(String[]::new)));
    }
    for (ProcessOutput worker : workers) {
      worker.awaitStartup("\"type\":\"ready\"");
    }
    Thread.sleep(3_500); // three 1 s expiries
    // SIGTERM stops w1, which prints its result and exits. Not Process.destroy(): it also closes
    // our end of the worker's output pipe, so the result line would be lost.
    assertThat(
            new ProcessBuilder("kill", "-TERM", Long.toString(processes.get(1).pid()))
                .start()
                .waitFor())
        .isZero();
    processes.get(2).getOutputStream().close(); // the end of its input stops w2 the same way
    for (int i = 0; i < 2; i++) {
      assertThat(processes.get(i + 1).waitFor(30, TimeUnit.SECONDS)).isTrue();
      JsonNode result =
          JSON.readTree(workers.get(i).awaitLine("\"type\":\"result\"", Duration.ofSeconds(20)));
      assertThat(result.get("calls").asLong()).isPositive();
      assertThat(result.get("errors").asLong()).isZero();
      assertThat(result.get("histogram").asText()).isNotEmpty();
    }
    assertThat(server.awaitLine("fake-auth-server: [", Duration.ofSeconds(20)))
        .contains("token requests");

    ByteArrayOutputStream out = new ByteArrayOutputStream();
    int status =
        FleetDemo.run(
            new String[] {"totals", "--auth-server", authServer, "--redis", redis.uri().toString()},
            new PrintStream(out, true, StandardCharsets.UTF_8),
            System.err,
            new ByteArrayInputStream(new byte[0]));
    assertThat(status).isZero();
    JsonNode totals = JSON.readTree(out.toString(StandardCharsets.UTF_8));
    JsonNode stats = totals.get("server");
    assertThat(stats.get("refresh_events").asLong()).isGreaterThanOrEqualTo(2);
    assertThat(stats.get("token_requests").asLong())
        .isEqualTo(stats.get("refresh_events").asLong());
    assertThat(stats.get("reuse_detections").asLong()).isZero();
    assertThat(totals.get("workers").get("calls").asLong()).isPositive();
    assertThat(totals.get("workers").get("errors").asLong()).isZero();
  }

  @Test
  void totals_unreachableServer_exits1() {
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int status =
        FleetDemo.run(
            new String[] {"totals", "--auth-server", "http://127.0.0.1:" + freePortQuietly()},
            System.out,
            new PrintStream(err, true, StandardCharsets.UTF_8),
            new ByteArrayInputStream(new byte[0]));
    assertThat(status).isEqualTo(1);
    assertThat(err.toString(StandardCharsets.UTF_8)).contains("cannot reach");
  }

  /** Starts a mode of the jar, its standard error merged into its standard output. */
  private ProcessOutput start(Map<String, String> environment, String... arguments)
      throws IOException {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.add("-jar");
    command.add(JAR.toString());
    command.addAll(List.of(arguments));
    ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
    builder.environment().remove(ClientSecret.VARIABLE);
    builder.environment().remove(ClientSecret.FILE_VARIABLE);
    builder.environment().remove(HealthServer.PORT_VARIABLE);
    builder.environment().putAll(environment);
    Process process = builder.start();
    processes.add(process);
    return ProcessOutput.follow(arguments[0] + " #" + processes.size(), process, null);
  }

  private static int freePortQuietly() {
    try {
      return freePort();
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return socket.getLocalPort();
    }
  }
}

package dev.tokenherd.examples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.tokenherd.examples.HealthServer.Status;
import dev.tokenherd.testkit.RedisServerProcess;
import dev.tokenherd.testkit.StartupTimeout;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PipedInputStream;
import java.io.PipedOutputStream;
import java.io.PrintStream;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The health endpoint over real HTTP: {@link HealthServer} alone, then the worker and
 * fake-auth-server modes (in this JVM) against a real {@code redis-server}, in the order the
 * compose file starts them: the worker first (503 while it waits), then the fake server (200 once
 * the credential is seeded), then the worker turns healthy by serving tokens.
 */
final class HealthEndpointIT {
  private static final HttpClient HTTP =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

  private final ExecutorService threads = Executors.newCachedThreadPool();
  private RedisServerProcess redis;

  @AfterEach
  void tearDown() throws InterruptedException {
    threads.shutdownNow();
    assertThat(threads.awaitTermination(30, TimeUnit.SECONDS)).isTrue();
    if (redis != null) {
      redis.close();
    }
  }

  @Test
  void healthServer_answersWhatTheCheckSays() throws Exception {
    AtomicReference<Status> status = new AtomicReference<>(Status.up("fine"));
    int port;
    try (HealthServer server = HealthServer.start(0, status::get)) {
      port = server.port();
      URI health = URI.create("http://127.0.0.1:" + port + "/health");

      HttpResponse<String> ok = send(HttpRequest.newBuilder(health).GET());
      assertThat(ok.statusCode()).isEqualTo(200);
      assertThat(ok.body()).isEqualTo("ok: fine\n");
      assertThat(ok.headers().firstValue("Content-Type")).hasValue("text/plain; charset=utf-8");

      status.set(Status.down("not fine"));
      HttpResponse<String> down = send(HttpRequest.newBuilder(health).GET());
      assertThat(down.statusCode()).isEqualTo(503);
      assertThat(down.body()).isEqualTo("unavailable: not fine\n");

      HttpResponse<String> head =
          send(HttpRequest.newBuilder(health).method("HEAD", HttpRequest.BodyPublishers.noBody()));
      assertThat(head.statusCode()).isEqualTo(503);
      assertThat(head.body()).isEmpty();

      HttpResponse<String> post =
          send(HttpRequest.newBuilder(health).POST(HttpRequest.BodyPublishers.ofString("x")));
      assertThat(post.statusCode()).isEqualTo(405);
      assertThat(post.headers().firstValue("Allow")).hasValue("GET, HEAD");

      HttpResponse<String> query =
          send(HttpRequest.newBuilder(URI.create(health + "?verbose=1")).GET());
      assertThat(query.statusCode()).isEqualTo(503);

      HttpResponse<String> other =
          send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/stats")).GET());
      assertThat(other.statusCode()).isEqualTo(404);
    }
    assertThatThrownBy(
            () ->
                send(
                    HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/health"))
                        .GET()))
        .isInstanceOf(ConnectException.class);
  }

  @Test
  void healthServer_portInUse_isADemoException() throws IOException {
    try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      assertThatThrownBy(() -> HealthServer.start(taken.getLocalPort(), () -> Status.up("x")))
          .isInstanceOf(DemoException.class)
          .hasMessageContaining("for the health endpoint");
    }
  }

  @Test
  void workerAndFakeAuthServer_turnHealthyInTheComposeOrder() throws Exception {
    redis = RedisServerProcess.builder().appendOnly(false).start();
    int serverPort = freePort();
    int serverHealth = freePort();
    int workerHealth = freePort();

    ByteArrayOutputStream workerOut = new ByteArrayOutputStream();
    PipedOutputStream stopWorker = new PipedOutputStream();
    PipedInputStream workerInput = new PipedInputStream(stopWorker);
    CompletableFuture<Integer> worker =
        CompletableFuture.supplyAsync(
            () ->
                FleetDemo.run(
                    new String[] {
                      "worker",
                      "--redis",
                      redis.uri().toString(),
                      "--token-endpoint",
                      "http://127.0.0.1:" + serverPort + "/token",
                      "--threads",
                      "2",
                      "--namespace",
                      "health",
                      "--duration",
                      "60s",
                      "--unhealthy-after",
                      "5s",
                      "--stdin"
                    },
                    new PrintStream(workerOut, true, StandardCharsets.UTF_8),
                    System.err,
                    workerInput,
                    // the image's way: the port and the secret from the environment
                    Map.of(
                            HealthServer.PORT_VARIABLE,
                            Integer.toString(workerHealth),
                            ClientSecret.VARIABLE,
                            "test-secret")
                        ::get),
            threads);

    HttpResponse<String> waiting = awaitAnswer(workerHealth, response -> true);
    assertThat(waiting.statusCode()).isEqualTo(503);
    assertThat(waiting.body()).contains("waiting for the credential");

    PipedOutputStream stopServer = new PipedOutputStream();
    PipedInputStream serverInput = new PipedInputStream(stopServer);
    CompletableFuture<Integer> server =
        CompletableFuture.supplyAsync(
            () ->
                FleetDemo.run(
                    new String[] {
                      "fake-auth-server",
                      "--port",
                      Integer.toString(serverPort),
                      "--ttl",
                      "1s",
                      "--latency",
                      "10ms",
                      "--redis",
                      redis.uri().toString(),
                      "--namespace",
                      "health",
                      "--health-port",
                      Integer.toString(serverHealth),
                      "--stdin"
                    },
                    new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8),
                    System.err,
                    serverInput,
                    Map.<String, String>of()::get),
            threads);

    HttpResponse<String> serverUp = awaitAnswer(serverHealth, response -> true);
    assertThat(serverUp.statusCode()).isEqualTo(200);
    assertThat(serverUp.body()).startsWith("ok: serving; token requests ");

    HttpResponse<String> workerUp =
        awaitAnswer(workerHealth, response -> response.statusCode() == 200);
    assertThat(workerUp.body()).startsWith("ok: served a token within the last 5s; calls ");
    assertThat(workerOut.toString(StandardCharsets.UTF_8))
        .contains(": health at http://127.0.0.1:" + workerHealth + "/health");

    stopWorker.close();
    assertThat(worker.get(30, TimeUnit.SECONDS)).isZero();
    assertThatThrownBy(() -> send(healthRequest(workerHealth)))
        .as("the worker's endpoint closes with it")
        .isInstanceOf(ConnectException.class);
    stopServer.close();
    assertThat(server.get(30, TimeUnit.SECONDS)).isZero();
    assertThatThrownBy(() -> send(healthRequest(serverHealth)))
        .isInstanceOf(ConnectException.class);
  }

  /**
   * Asks until the endpoint answers as {@code wanted} (within the start-up timeout: the endpoint
   * comes up with its process) and returns that answer.
   */
  private static HttpResponse<String> awaitAnswer(
      int port, Predicate<HttpResponse<String>> wanted) {
    return await("an answer from the health endpoint on port " + port)
        .atMost(StartupTimeout.get())
        .pollInterval(Duration.ofMillis(50))
        .ignoreExceptionsInstanceOf(IOException.class) // not listening yet
        .until(() -> send(healthRequest(port)), wanted);
  }

  private static HttpRequest.Builder healthRequest(int port) {
    return HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/health"))
        .timeout(Duration.ofSeconds(2))
        .GET();
  }

  private static HttpResponse<String> send(HttpRequest.Builder request)
      throws IOException, InterruptedException {
    return HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }

  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return socket.getLocalPort();
    }
  }
}

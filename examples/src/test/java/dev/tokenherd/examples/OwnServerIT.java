package dev.tokenherd.examples;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpServer;
import dev.tokenherd.coordinator.Redaction;
import dev.tokenherd.coordinator.oauth2.OAuth2TokenEndpoint;
import dev.tokenherd.coordinator.redis.RedisKeys;
import dev.tokenherd.coordinator.spi.TokenRequest;
import dev.tokenherd.coordinator.spi.TokenResponse;
import dev.tokenherd.testkit.FakeAuthorizationServer;
import dev.tokenherd.testkit.ProcessOutput;
import dev.tokenherd.testkit.RecordedTokenRequest;
import dev.tokenherd.testkit.RedisServerProcess;
import dev.tokenherd.testkit.RotationMode;
import dev.tokenherd.testkit.ServerStats;
import dev.tokenherd.testkit.TokenGrant;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The demo against "the user's own server", played by the testkit's {@link FakeAuthorizationServer}
 * over real HTTP: it rotates refresh tokens and revokes the family on reuse, with 2 s access
 * tokens, so a few seconds see several refreshes. Every assertion about token requests reads the
 * SERVER's counters, not the demo's own, and the refresh-token file is checked by presenting its
 * token to the server once more.
 */
final class OwnServerIT {
  private static final String SECRET = "own-server-secret";
  private static final Pattern NAMESPACE =
      Pattern.compile("Redis namespace (fleet-demo-own-\\S+)\\)");

  private static RedisServerProcess redis;

  @TempDir Path directory;

  private final FakeAuthorizationServer server =
      FakeAuthorizationServer.builder()
          .rotationMode(RotationMode.ROTATE_REVOKE_FAMILY_ON_REUSE)
          .accessTokenTtl(Duration.ofSeconds(2))
          .latency(Duration.ofMillis(20))
          .clientSecret(SECRET)
          .start();
  private final Map<String, String> environment = new HashMap<>();
  private final List<Process> processes = new ArrayList<>();

  @BeforeAll
  static void startRedis() {
    redis = RedisServerProcess.builder().appendOnly(false).start();
  }

  @AfterAll
  static void stopRedis() {
    redis.close();
  }

  @AfterEach
  void tearDown() throws InterruptedException {
    for (Process process : processes) {
      process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    }
    server.close();
  }

  @Test
  void issuer_twoSecondTokens_oneTokenRequestPerRefresh_andTheFileHoldsTheCurrentToken()
      throws Exception {
    TokenGrant login = server.issueTokens("read");
    Path tokenFile = ownerOnlyFile("refresh-token", login.refreshToken() + "\n");
    DemoRun output =
        run(
            "--issuer",
            server.uri().toString(),
            "--client-id",
            server.clientId(),
            "--client-secret-file",
            ownerOnlyFile("client-secret", SECRET + "\n").toString(),
            "--refresh-token-file",
            tokenFile.toString(),
            "--pods",
            "2",
            "--threads",
            "4",
            "--duration",
            "5s",
            "--redis",
            redis.uri().toString(),
            "--json");

    assertThat(output.status()).as(output.stderr()).isZero();
    ServerStats stats = settledStats();
    // 2 s tokens over 5 s: the first call's refresh, then one about every second
    assertThat(stats.refreshEvents()).isGreaterThanOrEqualTo(3);
    assertThat(stats.tokenRequests()).isEqualTo(stats.refreshEvents());
    assertThat(stats.reuseDetections()).isZero();
    assertThat(stats.familiesRevoked()).isZero();
    assertThat(stats.invalidGrants()).isZero();

    JsonNode json = output.lastJson();
    assertThat(json.get("counted_by").asText()).isEqualTo("client");
    assertThat(json.get("token_requests").asLong()).isEqualTo(stats.tokenRequests());
    assertThat(json.get("refreshes").asLong()).isEqualTo(stats.refreshEvents());
    assertThat(json.get("rotations").asLong()).isEqualTo(stats.refreshEvents());
    assertThat(json.get("errors").asLong()).isZero();
    assertThat(json.get("access_token_lifetime_ms").asLong()).isBetween(1_000L, 2_000L);
    assertThat(output.stdout()).contains("one per refresh", "as this client counted them");
    assertThat(output.stderr())
        .contains(
            "token endpoint: " + server.tokenEndpoint(),
            "your server's access tokens live",
            "the server rotated the refresh token; the current one is in " + tokenFile);

    String current = assertCurrentRefreshTokenIn(tokenFile, login.refreshToken());
    assertThat(Files.readString(tokenFile)).endsWith("\n");
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(tokenFile)))
        .isEqualTo("rw-------");
    assertNoSecretIn(output, login.refreshToken(), current);
    // the rotated token does not stay in a Redis the user gave once the file holds it
    assertThat(redis.command("EXISTS", RedisKeys.of(namespace(output)).record(Target.KEY)))
        .isEqualTo(":0");
  }

  @Test
  void tokenUri_withScopeAndTheDemosOwnRedis_alsoOneTokenRequestPerRefresh() throws Exception {
    TokenGrant login = server.issueTokens("read");
    Path tokenFile = directory.resolve("refresh-token-no-newline");
    Files.writeString(tokenFile, login.refreshToken());
    environment.put(ClientSecret.VARIABLE, SECRET);
    DemoRun output =
        run(
            "--token-uri",
            server.tokenEndpoint().toString(),
            "--client-id",
            server.clientId(),
            "--refresh-token-file",
            tokenFile.toString(),
            "--scope",
            "read",
            "--refresh-ahead",
            "0.5",
            "--pods",
            "3",
            "--threads",
            "2",
            "--duration",
            "4s",
            "--json");

    assertThat(output.status()).as(output.stderr()).isZero();
    ServerStats stats = settledStats();
    assertThat(stats.refreshEvents()).isGreaterThanOrEqualTo(2);
    assertThat(stats.tokenRequests()).isEqualTo(stats.refreshEvents());
    assertThat(stats.reuseDetections()).isZero();
    assertThat(output.lastJson().get("token_requests").asLong()).isEqualTo(stats.tokenRequests());
    String current = assertCurrentRefreshTokenIn(tokenFile, login.refreshToken());
    // no line break before, none after
    assertThat(Files.readString(tokenFile)).doesNotEndWith("\n");
    assertNoSecretIn(output, login.refreshToken(), current);
  }

  @Test
  void deadRefreshToken_oneRequest_exits1_sayingToLogInAgain() throws Exception {
    Path tokenFile = ownerOnlyFile("dead", "not-a-refresh-token-this-server-issued\n");
    environment.put(ClientSecret.VARIABLE, SECRET);

    DemoRun output =
        run(ownServer(tokenFile, "--pods", "2", "--threads", "2", "--duration", "20s"));

    assertThat(output.status()).isEqualTo(1);
    assertThat(output.stderr())
        .contains(
            "refused the refresh token (invalid_grant)",
            "Log in again and put the new refresh token in " + tokenFile,
            "stopping early");
    ServerStats stats = settledStats();
    assertThat(stats.tokenRequests()).isEqualTo(1);
    assertThat(stats.invalidGrants()).isEqualTo(1);
    assertThat(Files.readString(tokenFile)).isEqualTo("not-a-refresh-token-this-server-issued\n");
    assertThat(output.stderr() + output.stdout()).doesNotContain("not-a-refresh-token");
  }

  @Test
  void wrongClientSecret_exits1_sayingInvalidClient() throws Exception {
    TokenGrant login = server.issueTokens("read");
    Path tokenFile = ownerOnlyFile("refresh-token", login.refreshToken());
    environment.put(ClientSecret.VARIABLE, "not-the-secret");

    DemoRun output =
        run(ownServer(tokenFile, "--pods", "2", "--threads", "2", "--duration", "20s"));

    assertThat(output.status()).isEqualTo(1);
    assertThat(output.stderr()).contains("refused the client (invalid_client)", "--client-id");
    assertThat(settledStats().invalidClients()).isEqualTo(1);
    assertThat(Files.readString(tokenFile)).isEqualTo(login.refreshToken());
    assertNoSecretIn(output, login.refreshToken(), "not-the-secret");
  }

  @Test
  void unreachableIssuer_exits1_namingIt() throws Exception {
    String issuer = "http://127.0.0.1:" + closedPort();

    DemoRun output = runAgainstIssuer(issuer);

    assertThat(output.status()).isEqualTo(1);
    assertThat(output.stderr()).contains("fleet-demo: cannot reach the issuer " + issuer);
  }

  @Test
  void metadataWithoutTokenEndpoint_exits1_suggestingTokenUri() throws Exception {
    HttpServer metadata =
        HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    String issuer = "http://127.0.0.1:" + metadata.getAddress().getPort();
    metadata.createContext(
        "/",
        exchange -> {
          byte[] body = ("{\"issuer\":\"" + issuer + "\"}").getBytes(StandardCharsets.UTF_8);
          exchange.getResponseHeaders().add("Content-Type", "application/json");
          exchange.sendResponseHeaders(200, body.length);
          exchange.getResponseBody().write(body);
          exchange.close();
        });
    metadata.start();
    try {
      DemoRun output = runAgainstIssuer(issuer);

      assertThat(output.status()).isEqualTo(1);
      assertThat(output.stderr()).contains("has no token_endpoint", "--token-uri");
    } finally {
      metadata.stop(0);
    }
  }

  @Test
  void sigterm_inItsOwnJvm_savesTheRotatedRefreshToken() throws Exception {
    TokenGrant login = server.issueTokens("read");
    Path tokenFile = ownerOnlyFile("refresh-token", login.refreshToken() + "\n");
    List<String> command =
        new ArrayList<>(
            List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp",
                System.getProperty("java.class.path"),
                FleetDemo.class.getName()));
    command.addAll(
        List.of(ownServer(tokenFile, "--duration", "5m", "--pods", "2", "--threads", "2")));
    ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
    builder.environment().remove(ClientSecret.FILE_VARIABLE);
    builder.environment().put(ClientSecret.VARIABLE, SECRET);
    Process process = builder.start();
    processes.add(process);
    ProcessOutput output = ProcessOutput.follow("own-server demo", process, null);
    output.awaitStartup("refresh token rotates");
    // a second refresh: the token in the file has rotated at least twice
    output.awaitLine("[  3s]", Duration.ofSeconds(30));

    // SIGTERM, as a container stop sends it (Ctrl-C's SIGINT runs the same hook). Through the
    // handle: Process.destroy() would also close our end of its output, losing what it says next.
    assertThat(process.toHandle().destroy()).isTrue();

    assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(output.awaitEnd(Duration.ofSeconds(10))).isTrue();
    assertThat(String.join("\n", output.lines()))
        .as("exit status %d; %s", process.exitValue(), output.tail())
        .contains("the server rotated the refresh token; the current one is in " + tokenFile);
    ServerStats stats = settledStats();
    assertThat(stats.refreshEvents()).isGreaterThanOrEqualTo(2);
    assertThat(stats.tokenRequests()).isEqualTo(stats.refreshEvents());
    assertCurrentRefreshTokenIn(tokenFile, login.refreshToken());
  }

  /**
   * Returns the server's counters once every request it received has been answered, and logs the
   * ones this test class is about, so that the build log shows what was measured.
   */
  private ServerStats settledStats() {
    ServerStats stats = server.awaitAnswered(Duration.ofSeconds(3));
    System.out.printf(
        "OwnServerIT: the server counted %d token requests, %d refresh events, %d reuse"
            + " detections, %d invalid_grant%n",
        stats.tokenRequests(),
        stats.refreshEvents(),
        stats.reuseDetections(),
        stats.invalidGrants());
    return stats;
  }

  /**
   * Checks that {@code file} holds the server's current refresh token: one the fleet never
   * presented (so the newest issued), which the server accepts now as a plain refresh, no reuse.
   *
   * @return the token
   */
  private String assertCurrentRefreshTokenIn(Path file, String initial) throws IOException {
    String token = Files.readString(file).strip();
    assertThat(token).isNotEqualTo(initial);
    List<String> presented =
        server.requests().stream().map(RecordedTokenRequest::refreshTokenFingerprint).toList();
    assertThat(presented).doesNotContain(Redaction.fingerprint(token));

    TokenResponse next =
        OAuth2TokenEndpoint.builder()
            .tokenUri(server.tokenEndpoint())
            .clientId(server.clientId())
            .clientSecret(SECRET)
            .build()
            .requestToken(TokenRequest.refresh(token, Set.of(), Duration.ofSeconds(10)))
            .join();
    assertThat(next.refreshToken()).isNotNull();
    List<RecordedTokenRequest> requests = server.requests();
    RecordedTokenRequest last = requests.get(requests.size() - 1);
    assertThat(last.refreshTokenFingerprint()).isEqualTo(Redaction.fingerprint(token));
    assertThat(last.outcome()).isEqualTo(RecordedTokenRequest.Outcome.REFRESHED);
    assertThat(server.stats().reuseDetections()).isZero();
    return token;
  }

  /** The options every run here shares, then {@code more}: the fleet against the fake server. */
  private String[] ownServer(Path tokenFile, String... more) {
    List<String> argv =
        new ArrayList<>(
            List.of(
                "--issuer",
                server.uri().toString(),
                "--client-id",
                server.clientId(),
                "--refresh-token-file",
                tokenFile.toString(),
                "--redis",
                redis.uri().toString()));
    argv.addAll(List.of(more));
    return argv.toArray(String[]::new);
  }

  private Path ownerOnlyFile(String name, String content) throws IOException {
    Path file = directory.resolve(name);
    Files.writeString(file, content);
    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
    return file;
  }

  private static void assertNoSecretIn(DemoRun output, String... secrets) {
    for (String secret : List.of(secrets)) {
      assertThat(output.stdout()).doesNotContain(secret);
      assertThat(output.stderr()).doesNotContain(secret);
    }
    assertThat(output.stdout() + output.stderr()).doesNotContain(SECRET);
  }

  /** Returns the Redis namespace the run announced on its first line. */
  private static String namespace(DemoRun output) {
    Matcher namespace = NAMESPACE.matcher(output.stderr());
    assertThat(namespace.find()).as(output.stderr()).isTrue();
    return namespace.group(1);
  }

  private static int closedPort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return socket.getLocalPort();
    }
  }

  /** Runs against {@code issuer}, which fails before any token request: no pods, no Redis. */
  private DemoRun runAgainstIssuer(String issuer) throws IOException {
    environment.put(ClientSecret.VARIABLE, SECRET);
    return run(
        "--issuer",
        issuer,
        "--client-id",
        "c",
        "--refresh-token-file",
        ownerOnlyFile("refresh-token", "rt").toString(),
        "--duration",
        "1s");
  }

  private DemoRun run(String... argv) {
    return DemoRun.of(environment, argv);
  }
}

package dev.tokenherd.examples;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tokenherd.testkit.RedisBinary;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The demo's main, in this JVM, against the {@code redis-server} it starts, with short settings: 2
 * pods x 4 threads, 1 s tokens, 4 s per strategy (four expiries), 50 ms server latency.
 *
 * <p>Naive's failure is certain with these settings, not a matter of luck: at each expiry every one
 * of its 8 callers reads the expired token within about a millisecond and sends its own token
 * request, and the first request is answered only after the server's 50 ms latency; so at least two
 * requests present the same refresh token, and the second is reuse.
 */
final class FleetDemoIT {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final List<String> KEYS =
      List.of(
          "strategy",
          "pods",
          "threads",
          "calls",
          "refresh_events",
          "token_requests",
          "reuse_detected",
          "reauth_required",
          "errors",
          "p50_us",
          "p99_us",
          "max_us",
          "expiries",
          "waited_calls",
          "slowest_at_expiry_us",
          "redis_requests",
          "redis_requests_per_refresh",
          "revoked_after_ms");

  @Test
  void compare_json_tokenherdSendsOneRequestPerRefresh_andNaiveIsCaughtReusing(@TempDir Path dir)
      throws Exception {
    Path chart = dir.resolve("waits.png");
    Output output =
        run(
            "--chart",
            chart.toString(),
            "--compare",
            "--pods",
            "2",
            "--threads",
            "4",
            "--ttl",
            "1s",
            "--duration",
            "4s",
            "--json");

    assertThat(output.status).isZero();
    Map<String, JsonNode> byStrategy = output.jsonLines(4);
    assertThat(byStrategy).containsOnlyKeys("tokenherd", "naive", "local", "lockpoll");
    byStrategy
        .values()
        .forEach(line -> assertThat(line.fieldNames()).toIterable().containsAll(KEYS));

    JsonNode herd = byStrategy.get("tokenherd");
    assertThat(herd.get("pods").asInt()).isEqualTo(2);
    assertThat(herd.get("threads").asInt()).isEqualTo(4);
    assertThat(herd.get("refresh_events").asLong()).isGreaterThanOrEqualTo(2);
    assertThat(herd.get("token_requests").asLong()).isEqualTo(herd.get("refresh_events").asLong());
    assertThat(herd.get("reuse_detected").asLong()).isZero();
    assertThat(herd.get("errors").asLong()).isZero();
    assertThat(herd.get("reauth_required").asLong()).isZero();
    assertThat(herd.get("calls").asLong()).isPositive();
    assertThat(herd.get("max_us").asLong()).isGreaterThanOrEqualTo(herd.get("p99_us").asLong());

    JsonNode naive = byStrategy.get("naive");
    assertThat(naive.get("reuse_detected").asLong()).isPositive();
    assertThat(naive.get("token_requests").asLong())
        .isGreaterThan(naive.get("refresh_events").asLong());
    assertThat(naive.get("errors").asLong()).isPositive();
    assertThat(naive.get("reauth_required").asLong()).isPositive();

    JsonNode local = byStrategy.get("local");
    assertThat(local.get("token_requests").asLong())
        .isGreaterThanOrEqualTo(local.get("refresh_events").asLong());

    // lock-and-poll refreshes when the token has expired: its callers wait at least the server's
    // 50 ms then, and poll the store
    JsonNode lockpoll = byStrategy.get("lockpoll");
    assertThat(lockpoll.get("expiries").asInt()).isPositive();
    assertThat(lockpoll.get("waited_calls").asLong()).isPositive();
    assertThat(lockpoll.get("slowest_at_expiry_us").asLong()).isGreaterThanOrEqualTo(50_000);
    assertThat(herd.get("redis_requests_per_refresh").asDouble())
        .isLessThan(lockpoll.get("redis_requests_per_refresh").asDouble());
    assertThat(naive.get("revoked_after_ms").asLong()).isPositive();
    assertThat(herd.get("revoked_after_ms").isNull()).isTrue();

    assertThat(output.stdout)
        .contains("strategy", "tokenherd: ", "one each", "waited", "Redis/refresh")
        .containsPattern("Ranking: 1\\. (tokenherd|lockpoll) .*  2\\. (tokenherd|lockpoll) ")
        .contains("Chart of the waits around expiries: " + chart.toAbsolutePath());
    assertThat(chart).isNotEmptyFile();
    assertThat(Files.readAllBytes(chart))
        .startsWith((byte) 0x89, (byte) 'P', (byte) 'N', (byte) 'G');
    assertThat(output.stderr)
        .contains("== tokenherd (1 of 4)", "1s tokens", "for 4s")
        .contains("[  1s] tokenherd 1/4, about ", "calls", "token requests");
  }

  @Test
  void processes_eachPodItsOwnJvm_tokenherdStaysHonest() throws Exception {
    Output output =
        run(
            "--processes",
            "--pods",
            "2",
            "--threads",
            "2",
            "--ttl",
            "1s",
            "--duration",
            "3s",
            "--json",
            "--chart",
            "none");

    assertThat(output.status).isZero();
    assertThat(output.stdout).doesNotContain("Chart of");
    JsonNode herd = output.jsonLines(1).get("tokenherd");
    assertThat(herd.get("calls").asLong()).isPositive();
    assertThat(herd.get("refresh_events").asLong()).isPositive();
    assertThat(herd.get("token_requests").asLong()).isEqualTo(herd.get("refresh_events").asLong());
    assertThat(herd.get("reuse_detected").asLong()).isZero();
    assertThat(herd.get("errors").asLong()).isZero();
    assertThat(herd.get("p99_us").asLong()).isPositive();
    assertThat(herd.get("processes").asBoolean()).isTrue();
  }

  @Test
  void bundledRedis_startsWhenNoneIsOnThePath() {
    ByteArrayOutputStream log = new ByteArrayOutputStream();
    try (LocalRedis redis =
        LocalRedis.start(/* onPath= */ false, new PrintStream(log, true, StandardCharsets.UTF_8))) {
      assertThat(redis.uri()).startsWith("redis://127.0.0.1:");
    }
    assertThat(log.toString(StandardCharsets.UTF_8))
        .contains("Redis " + RedisBinary.BUNDLED_VERSION + " (" + RedisBinary.BUNDLED_ARTIFACT);
  }

  @Test
  void badCommandLines_exitWith2AndTheUsage() throws Exception {
    for (String[] argv :
        List.of(
            new String[] {"--pods", "0"},
            new String[] {"--strategy", "magic"},
            new String[] {"--ttl", "1500ms"},
            new String[] {"--duration", "0s"},
            new String[] {"--threads"},
            new String[] {"--bogus"},
            new String[] {"--compare", "--strategy", "naive"},
            new String[] {"--pods", "2", "--pods", "3"},
            new String[] {"stray"},
            new String[] {"--json", "--json"},
            new String[] {"--pods", "x"},
            new String[] {"worker"},
            new String[] {"fake-auth-server", "--mode", "x"},
            new String[] {"fake-auth-server", "--port", "70000"})) {
      Output output = run(argv);
      assertThat(output.status).as(String.join(" ", argv)).isEqualTo(2);
      assertThat(output.stderr).contains("fleet-demo: ", "usage:");
    }
    assertThat(run("help").stdout).contains("usage:");
    assertThat(run("--help").stdout).contains("--compare");
  }

  private static Output run(String... argv) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int status =
        FleetDemo.run(
            argv,
            new PrintStream(out, true, StandardCharsets.UTF_8),
            new PrintStream(err, true, StandardCharsets.UTF_8),
            new ByteArrayInputStream(new byte[0]));
    return new Output(
        status, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
  }

  private record Output(int status, String stdout, String stderr) {
    /** The last {@code n} stdout lines, each exactly one JSON object, by strategy. */
    Map<String, JsonNode> jsonLines(int n) throws Exception {
      List<String> lines = new ArrayList<>(stdout.lines().toList());
      Map<String, JsonNode> byStrategy = new LinkedHashMap<>();
      for (String line : lines.subList(lines.size() - n, lines.size())) {
        assertThat(line).startsWith("{").endsWith("}");
        JsonNode node = JSON.readTree(line);
        byStrategy.put(node.get("strategy").asText(), node);
      }
      return byStrategy;
    }
  }
}

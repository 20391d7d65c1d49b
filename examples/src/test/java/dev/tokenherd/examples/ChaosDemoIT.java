package dev.tokenherd.examples;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * {@code --chaos} for real: worker JVMs, a real {@code SIGKILL}, {@code SIGSTOP} and {@code
 * SIGCONT}, the rotating fake server whose counters judge. 2 pods x 2 threads, 12 s tokens, the
 * chaos runs' 2 s lease, 18 s per run; armed as the callers start, so the fault lands on the run's
 * first token request: Tokenherd's refresh ahead (at 8-9 s), lock-and-poll's refresh at the expiry,
 * early enough that the 5 s pause ends inside the run.
 *
 * <p>Why the outcomes are certain, not luck. Tokenherd's victim has stored its refresh mark, which
 * holds every other pod off for the rest of its lease plus one more (up to 4 s): a killed victim's
 * mark runs out and another pod refreshes with the refresh token the victim never sent. A victim
 * paused for 5 s resumes after the mark ran out and another pod refreshed, but its request is past
 * its send-by deadline (the lease) and is not sent. Lock-and-poll's victim holds the lock at the
 * expiry and is stopped for 5 s; the lock frees itself after 2 s and the other pod, whose callers
 * poll every 100 ms, takes it and refreshes; the resumed victim then presents the rotated-away
 * refresh token. The other pod would have to miss thirty polls in a row.
 */
final class ChaosDemoIT {
  private static final ObjectMapper JSON = new ObjectMapper();

  @Test
  void tokenherd_keepsTheCredentialThroughAKillAndAPause() throws Exception {
    List<JsonNode> runs = run("--strategy", "tokenherd", "--chaos");

    assertThat(runs).extracting(r -> r.get("chaos").asText()).containsExactly("kill", "pause");
    for (JsonNode run : runs) {
      assertThat(run.get("chaos_pod").asText()).as(run.toString()).startsWith("pod-");
      assertThat(run.get("reuse_detected").asLong()).as(run.toString()).isZero();
      assertThat(run.get("token_requests").asLong())
          .as(run.toString())
          .isEqualTo(run.get("refresh_events").asLong());
      assertThat(run.get("chaos_alive").asBoolean()).as(run.toString()).isTrue();
      assertThat(run.get("revoked_after_ms").isNull()).as(run.toString()).isTrue();
    }
  }

  @Test
  void lockAndPoll_losesTheCredentialWhenItsHolderIsPausedPastItsLease() throws Exception {
    List<JsonNode> runs = run("--strategy", "lockpoll", "--chaos=pause");

    JsonNode pause = runs.get(0);
    assertThat(pause.get("chaos").asText()).isEqualTo("pause");
    assertThat(pause.get("chaos_pod").asText()).as(pause.toString()).startsWith("pod-");
    assertThat(pause.get("reuse_detected").asLong()).as(pause.toString()).isPositive();
    assertThat(pause.get("chaos_alive").asBoolean()).as(pause.toString()).isFalse();
  }

  private static List<JsonNode> run(String... strategy) throws Exception {
    List<String> argv = new ArrayList<>(List.of(strategy));
    argv.addAll(
        List.of(
            "--pods",
            "2",
            "--threads",
            "2",
            "--ttl",
            "12s",
            "--duration",
            "18s",
            "--json",
            "--chart",
            "none"));
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int status =
        FleetDemo.run(
            argv.toArray(String[]::new),
            new PrintStream(out, true, StandardCharsets.UTF_8),
            new PrintStream(err, true, StandardCharsets.UTF_8),
            new ByteArrayInputStream(new byte[0]));
    String stdout = out.toString(StandardCharsets.UTF_8);
    String stderr = err.toString(StandardCharsets.UTF_8);
    assertThat(status).as(stderr).isZero();
    assertThat(stdout).as(stderr).contains("Chaos (judged by the authorization server's ledger):");
    assertThat(stderr).contains("chaos: armed at");
    List<JsonNode> runs = new ArrayList<>();
    for (String line : stdout.lines().toList()) {
      if (line.startsWith("{")) {
        runs.add(JSON.readTree(line));
      }
    }
    return runs;
  }
}

package dev.tokenherd.examples;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;

/**
 * What the run against the user's own server tells them: when the next refresh comes and how to see
 * one sooner, counts that say they are the client's, and for each failure what to do.
 */
final class OwnServerReportTest {
  private static final Instant ISSUED = Instant.parse("2030-01-01T12:00:00Z");
  private static final Path FILE = Path.of("/home/me/refresh-token");
  private static final OwnServerOptions OPTIONS =
      OwnServerOptions.parse(
          List.of(
              "--issuer",
              "https://idp.example.com",
              "--client-id",
              "billing",
              "--refresh-token-file",
              FILE.toString(),
              "--scope",
              "read"));

  private final ByteArrayOutputStream err = new ByteArrayOutputStream();

  @Test
  void refreshLine_hourLongTokens_showsTheWindowAndHowToSeeARefreshWithinTheRun() {
    String line =
        OwnServerReport.refreshLine(
            answered(Duration.ofHours(1)), OPTIONS.policy(), ISSUED.plusSeconds(20), true, OPTIONS);

    assertThat(line)
        .contains(
            "your server's access tokens live 1h0m (its expires_in)",
            // 65-75 % of an hour: the jitter's window, then the refresh-ahead point
            "next refresh between 2030-01-01T12:39:00Z and 2030-01-01T12:45:00Z",
            "that is after this run ends: --refresh-ahead 0.0014 refreshes about every 5s");
  }

  @Test
  void refreshLine_refreshWithinTheRun_noHint() {
    String line =
        OwnServerReport.refreshLine(
            answered(Duration.ofSeconds(4)),
            OPTIONS.policy(),
            ISSUED.plusSeconds(20),
            true,
            OPTIONS);

    assertThat(line).contains("live 4s").doesNotContain("--refresh-ahead");
    assertThat(
            OwnServerReport.refreshLine(
                snapshot(0, 0, Map.of(), null), OPTIONS.policy(), ISSUED, true, OPTIONS))
        .contains("no token yet");
  }

  @Test
  void summaryAndJson_sayTheCountsAreTheClients() throws Exception {
    OwnServerReport report = report(answered(Duration.ofMinutes(5)));

    assertThat(report.summary(FILE, "current-refresh-token"))
        .contains(
            "3 token requests for 3 refreshes (one per refresh), as this client counted them",
            "your server's own logs are the authority",
            "access tokens live 5m0s (as your server gave them)",
            "rotated the refresh token 3 times; the current one (sha256:")
        .doesNotContain("current-refresh-token");
    JsonNode json = new ObjectMapper().readTree(report.toJson(true));
    assertThat(json.get("counted_by").asText()).isEqualTo("client");
    assertThat(json.get("access_token_lifetime_ms").asLong()).isEqualTo(300_000);
    assertThat(json.get("refresh_token_saved").asBoolean()).isTrue();
  }

  @Test
  void explainFailures_eachRefusal_saysWhatToDo() {
    boolean failed =
        report(
                snapshot(
                    0,
                    4,
                    Map.of(
                        "invalid_grant", 1L,
                        "invalid_client", 1L,
                        "unauthorized_client", 1L,
                        "invalid_scope", 1L),
                    null))
            .explainFailures(new PrintStream(err, true, StandardCharsets.UTF_8), FILE);

    assertThat(failed).isTrue();
    assertThat(err.toString(StandardCharsets.UTF_8))
        .contains(
            "Log in again and put the new refresh token in " + FILE,
            "refused the client (invalid_client)",
            "allow it for client billing",
            "the server refused the scopes [read] (invalid_scope)");
  }

  @Test
  void explainFailures_noAnswerAtAll_asksWhetherTheEndpointIsReachable() {
    TokenRequestTally.Snapshot unreachable =
        new TokenRequestTally.Snapshot(
            2,
            0,
            2,
            0,
            0,
            0,
            0,
            0,
            0,
            Map.of(),
            Map.of("TRANSIENT", "connect refused"),
            null,
            null);

    assertThat(report(unreachable).explainFailures(print(), FILE)).isTrue();
    assertThat(err.toString(StandardCharsets.UTF_8))
        .contains("no token request was answered (connect refused): is the token endpoint");
  }

  @Test
  void explainFailures_unansweredRequests_warnOfAnUnseenRotation_butDoNotFail() {
    TokenRequestTally.Snapshot lost =
        new TokenRequestTally.Snapshot(
            3, 2, 0, 1, 0, 0, 0, 0, 2, Map.of(), Map.of("AMBIGUOUS", "timeout"), null, null);

    assertThat(report(lost).explainFailures(print(), FILE)).isFalse();
    assertThat(err.toString(StandardCharsets.UTF_8))
        .contains("1 token requests got no answer (timeout)", "may have rotated");
  }

  private PrintStream print() {
    return new PrintStream(err, true, StandardCharsets.UTF_8);
  }

  private static OwnServerReport report(TokenRequestTally.Snapshot requests) {
    return new OwnServerReport(
        OPTIONS,
        requests,
        new PodHandle.Counts(1000, 0, 0),
        requests.answered(),
        Duration.ofSeconds(20),
        Pod.newHistogram());
  }

  private static TokenRequestTally.Snapshot answered(Duration lifetime) {
    return snapshot(3, 0, Map.of(), lifetime);
  }

  private static TokenRequestTally.Snapshot snapshot(
      long answered, long refused, Map<String, Long> codes, @Nullable Duration lifetime) {
    return new TokenRequestTally.Snapshot(
        answered + refused,
        answered,
        0,
        0,
        refused,
        0,
        0,
        0,
        answered,
        codes,
        refused > 0 ? Map.of("PERMANENT", "permanent: refused (HTTP 400)") : Map.of(),
        lifetime == null ? null : ISSUED,
        lifetime == null ? null : ISSUED.plus(lifetime));
  }
}

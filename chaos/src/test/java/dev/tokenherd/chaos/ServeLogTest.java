package dev.tokenherd.chaos;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tokenherd.coordinator.AccessToken;
import dev.tokenherd.coordinator.Redaction;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Every token's latest serve reaches the log, in few lines. */
final class ServeLogTest {
  private static final Instant T0 = Instant.parse("2030-01-01T00:00:00Z");

  private static AccessToken token(String value, long version) {
    return new AccessToken(value, "Bearer", T0.plusSeconds(4), Set.of(), version);
  }

  private static String line(JsonNode e) {
    return e.get("type").asText()
        + " "
        + e.get("atFp").asText()
        + " "
        + (e.get("servedAt").asLong() - EventLog.micros(T0)) / 1000;
  }

  @Test
  void served_logsFirstServe_latestServeEvery100ms_onEachSwitch_andAtFlush(@TempDir Path dir)
      throws Exception {
    AccessToken a = token("token-a", 1);
    AccessToken b = token("token-b", 2);
    try (EventLog log =
        new EventLog(dir.resolve("w0.jsonl"), "w0", Clock.fixed(T0, ZoneOffset.UTC))) {
      ServeLog serves = new ServeLog(log);
      for (long ms : new long[] {0, 50, 99, 100, 130}) {
        serves.served(a, T0.plusMillis(ms));
      }
      serves.served(b, T0.plusMillis(140)); // the callers move on: a's latest serve, 130
      serves.served(a, T0.plusMillis(141)); // a late caller still had a
      serves.served(b, T0.plusMillis(150));
      serves.flush(); // b's 150
      serves.flush(); // nothing new
    }
    String fa = Redaction.fingerprint("token-a");
    String fb = Redaction.fingerprint("token-b");
    List<String> lines = InvariantChecker.readEvents(dir).stream().map(ServeLogTest::line).toList();
    assertThat(lines)
        .containsExactly(
            "served " + fa + " 0",
            "served_last " + fa + " 100",
            "served_last " + fa + " 130",
            "served " + fb + " 140",
            "served_last " + fa + " 141",
            "served_last " + fb + " 150");
  }
}

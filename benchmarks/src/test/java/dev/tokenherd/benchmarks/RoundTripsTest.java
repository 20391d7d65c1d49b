package dev.tokenherd.benchmarks;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tokenherd.benchmarks.RoundTrips.Request;
import dev.tokenherd.benchmarks.TimedEndpoint.TokenCall;
import dev.tokenherd.examples.resp.RespRequestParser;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

final class RoundTripsTest {

  @Test
  void parser_pipelinedAndSplitRequests_yieldsEachOnceWhenComplete() {
    RespRequestParser parser = new RespRequestParser();
    byte[] bytes =
        "*2\r\n$7\r\nHGETALL\r\n$10\r\nns:{k}:rec\r\n*1\r\n$4\r\nPING\r\nPING\r\n"
            .getBytes(StandardCharsets.US_ASCII);

    List<List<String>> first = parser.feed(bytes, 0, 20);
    List<List<String>> rest = parser.feed(bytes, 20, bytes.length - 20);

    assertThat(first).isEmpty();
    assertThat(rest)
        .containsExactly(List.of("HGETALL", "ns:{k}:rec"), List.of("PING"), List.of("PING"));
  }

  @Test
  void label_storeScriptAndRedissonScripts_namedByWhatTheyDo() {
    String record = "ns:{k}:record";
    assertThat(RoundTrips.label(List.of("HGETALL", record))).isEqualTo("read");
    assertThat(
            RoundTrips.label(
                List.of("EVALSHA", "sha", "1", record, "3", "1", "4", "7", "ch", "", "0", "")))
        .isEqualTo("write");
    assertThat(
            RoundTrips.label(
                List.of("EVALSHA", "sha", "1", record, "3", "1", "3", "7", "", "id", "9", "")))
        .isEqualTo("mark");
    assertThat(
            RoundTrips.label(
                List.of(
                    "EVAL", "body", "2", "ns:{k}:lock", "redisson_lock_token:{ns:{k}:lock}", "1")))
        .isEqualTo("lock");
    assertThat(
            RoundTrips.label(
                List.of(
                    "EVAL",
                    "body",
                    "3",
                    "ns:{k}:lock",
                    "redisson_lock__channel:{ns:{k}:lock}",
                    "redisson_unlock_latch:{ns:{k}:lock}:x")))
        .isEqualTo("unlock");
  }

  @Test
  void of_requestsNearTokenRequests_splitBetweenHolderAndOthers() {
    String record = "ns:{k}:record";
    List<Request> requests =
        List.of(
            new Request(10, "pod-1", 1, List.of("HGETALL", record)), // first load: outside
            new Request(1_000_000, "pod-1", 1, List.of("HGETALL", record)),
            new Request(1_000_100, "pod-2", 1, List.of("HGETALL", record)),
            new Request(1_060_000, "pod-2", 1, List.of("HGETALL", record)),
            new Request(1_001_000, "pod-1", 2, List.of("PING")));
    List<TokenCall> calls =
        List.of(
            new TokenCall("pod-1", 1_000_500, 1_050_000, true),
            new TokenCall("pod-2", 1_990_000, TokenCall.IN_FLIGHT, false)); // cut by the stop

    RoundTrips trips = RoundTrips.of(List.of("pod-1", "pod-2"), requests, calls, 0, 2_000_000);

    assertThat(trips.refreshes()).isEqualTo(1);
    assertThat(trips.holderMean()).isEqualTo(2.0);
    assertThat(trips.otherMean()).isEqualTo(2.0);
    assertThat(trips.outside()).isEqualTo(1);
    assertThat(trips.holderSequence()).isEqualTo("read → ping (1 of 1)");
    assertThat(trips.cut()).isEqualTo(1);
  }
}

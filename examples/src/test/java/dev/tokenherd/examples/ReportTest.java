package dev.tokenherd.examples;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tokenherd.testkit.ServerStats;
import java.time.Duration;
import java.util.List;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;

final class ReportTest {

  @Test
  void ranking_loggedOutLast_thenWaitsAtExpiries_thenRedisRequests() {
    RunResult herd = result(Strategy.TOKENHERD, 6, 6, 0, null, 0, 500, 10);
    RunResult lockpoll = result(Strategy.LOCKPOLL, 4, 4, 0, null, 320, 151_000, 200);
    RunResult local =
        result(Strategy.LOCAL, 1, 181, 2_958, Duration.ofMillis(1_900), 80, 73_000, 183);
    RunResult naive =
        result(Strategy.NAIVE, 1, 2_073, 2_072, Duration.ofMillis(2_040), 11_668, 374_000, 63_919);

    String ranking = Report.ranking(List.of(naive, local, lockpoll, herd));

    assertThat(ranking)
        .startsWith("Ranking: 1. tokenherd (no caller waited at an expiry, 10.0 Redis requests")
        .contains("2. lockpoll (callers waited up to 151 ms at expiries, 200 Redis requests")
        .contains("3. naive (logged out after 2s by a refresh token presented twice)")
        .contains("4. local (logged out after 1.9s");
  }

  @Test
  void verdicts_readRight_inTheSingularAndThePlural() {
    RunResult one = result(Strategy.LOCKPOLL, 1, 1, 1, null, 1, 52_000, 7);
    RunResult naive = result(Strategy.NAIVE, 1, 3, 2, Duration.ofMillis(2_060), 2, 90_000, 1_000);

    assertThat(one.verdict())
        .isEqualTo(
            "lockpoll: 1 token request for 1 refresh; no refresh token presented twice; 1 call"
                + " waited 1 ms or more at the expiry, the slowest 52 ms (it refreshes only"
                + " once the token has expired, and the other callers sleep 100 ms between store"
                + " reads); 7.0 Redis requests per refresh (waiting callers poll the store); 1 call"
                + " failed, needing a new login.");
    assertThat(naive.verdict())
        .contains("3 token requests for 1 refresh, 2 more than needed")
        .contains("revoked the token family after 2.1s")
        .contains("2 calls failed, every one needing a new login");
  }

  @Test
  void table_namesEveryColumnAndSaysWhatTheyMean() {
    String table = Report.table(List.of(result(Strategy.TOKENHERD, 2, 2, 0, null, 0, 300, 9)));

    assertThat(table)
        .contains("waited", "slowest wait", "Redis/refresh", "logged out", "300 us", "9.0")
        .contains("waited: calls that took 1 ms or more")
        .doesNotContain("Ranking");
  }

  /** A run of 2 pods x 16 threads with {@code expiries} 2, the given counts and waits. */
  private static RunResult result(
      Strategy strategy,
      long refreshes,
      long requests,
      long errors,
      @Nullable Duration revokedAfter,
      long waited,
      long slowestMicros,
      long redisRequestsPerRefresh) {
    boolean revoked = revokedAfter != null;
    ServerStats stats =
        new ServerStats(requests, refreshes, 0, 0, revoked ? 1 : 0, revoked ? 1 : 0, 0, 0, 0, 0, 0);
    return new RunResult(
        strategy,
        2,
        16,
        false,
        Duration.ofSeconds(8),
        new PodHandle.Counts(10_000, errors, errors),
        stats,
        1,
        2,
        slowestMicros,
        new ExpiryWaits(waited == 1 ? 1 : 2, waited, List.of(slowestMicros, 1L), List.of(), 0, 300),
        redisRequestsPerRefresh * refreshes,
        revokedAfter,
        null);
  }
}

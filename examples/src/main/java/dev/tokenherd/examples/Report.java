package dev.tokenherd.examples;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;

/** The readable summary: a table, one verdict per strategy, and a ranking. */
final class Report {
  private static final String ROW = "%-10s %10s %11s %9s %10s %6s %10s %12s %8s %7s %12s %13s%n";

  /**
   * How strategies rank: a logged-out fleet last (the earlier, the worse), then failed calls, then
   * token requests beyond one per refresh, then callers that waited at expiries, the slowest of
   * them, and Redis requests per refresh.
   */
  static final Comparator<RunResult> RANKING =
      Comparator.comparing(RunResult::loggedOut)
          .thenComparing(
              r -> r.revokedAfter() == null ? 0 : -r.revokedAfter().toMillis(),
              Comparator.naturalOrder())
          .thenComparingLong(r -> r.counts().errors())
          .thenComparingLong(r -> r.server().tokenRequests() - r.server().refreshEvents())
          .thenComparingLong(r -> r.atExpiries().excessWaited())
          .thenComparingLong(r -> r.atExpiries().slowestMicros())
          .thenComparingDouble(
              r -> Double.isNaN(r.redisRequestsPerRefresh()) ? 0 : r.redisRequestsPerRefresh());

  private Report() {}

  static String table(List<RunResult> results) {
    StringBuilder b = new StringBuilder();
    b.append(
        String.format(
            ROW,
            "strategy",
            "pods x thr",
            "calls",
            "refreshes",
            "token reqs",
            "reuse",
            "logged out",
            "failed calls",
            "expiries",
            "waited",
            "slowest wait",
            "Redis/refresh"));
    for (RunResult r : results) {
      ExpiryWaits waits = r.atExpiries();
      b.append(
          String.format(
              ROW,
              r.chaos() == null
                  ? r.strategy().id()
                  : r.strategy().id() + "/" + r.chaos().fault().id(),
              r.pods() + " x " + r.threads(),
              String.format("%,d", r.counts().calls()),
              String.format("%,d", r.server().refreshEvents()),
              String.format("%,d", r.server().tokenRequests()),
              String.format("%,d", r.server().reuseDetections()),
              r.revokedAfter() == null ? "no" : "after " + Durations.tenths(r.revokedAfter()),
              String.format("%,d", r.counts().errors()),
              String.format("%,d", waits.expiries()),
              String.format("%,d", waits.waitedCalls()),
              waits.expiries() == 0 ? "-" : micros(waits.slowestMicros()),
              Double.isNaN(r.redisRequestsPerRefresh())
                  ? "-"
                  : decimal(r.redisRequestsPerRefresh())));
    }
    b.append(
        String.format(
            "%nwaited: calls that took %d ms or more and started within %s of an access token's"
                + " expiry; slowest wait: the slowest call there.%nRedis/refresh: requests the"
                + " pods sent to Redis (round trips; not the commands scripts run inside it)"
                + " per refresh.%n%n",
            WaitTimeline.WAITED_MILLIS,
            Durations.format(java.time.Duration.ofMillis(ExpiryWaits.HALF_WINDOW_MILLIS))));
    for (RunResult r : results) {
      b.append(r.verdict()).append('\n');
    }
    if (results.stream().anyMatch(r -> r.chaos() != null)) {
      b.append('\n').append(chaos(results));
    } else if (results.size() > 1) {
      b.append('\n').append(ranking(results)).append('\n');
    }
    return b.toString();
  }

  /** The chaos runs: one sentence each, then which strategies kept the credential alive. */
  static String chaos(List<RunResult> results) {
    StringBuilder b = new StringBuilder("Chaos (judged by the authorization server's ledger):\n");
    java.util.Map<Strategy, List<String>> lost = new java.util.LinkedHashMap<>();
    for (RunResult r : results) {
      ChaosOutcome outcome = r.chaos();
      if (outcome == null) {
        continue;
      }
      b.append(outcome.sentence(r.strategy(), r.revokedAfter())).append('\n');
      List<String> faults = lost.computeIfAbsent(r.strategy(), s -> new ArrayList<>());
      if (!outcome.alive()) {
        faults.add(outcome.fault().id());
      }
    }
    List<String> kept = new ArrayList<>();
    List<String> died = new ArrayList<>();
    lost.forEach(
        (strategy, faults) -> {
          if (faults.isEmpty()) {
            kept.add(strategy.id());
          } else {
            died.add(strategy.id() + " (" + String.join(", ", faults) + ")");
          }
        });
    b.append("\nKept the credential alive through every fault: ")
        .append(kept.isEmpty() ? "none" : String.join(", ", kept))
        .append(". Lost it: ")
        .append(died.isEmpty() ? "none" : String.join(", ", died))
        .append(".\n");
    return b.toString();
  }

  /** One line: the strategies best first, each with what decided its place. */
  static String ranking(List<RunResult> results) {
    List<RunResult> ranked = new ArrayList<>(results);
    ranked.sort(RANKING);
    List<String> places = new ArrayList<>();
    for (int i = 0; i < ranked.size(); i++) {
      RunResult r = ranked.get(i);
      places.add((i + 1) + ". " + r.strategy().id() + " (" + headline(r) + ")");
    }
    return "Ranking: " + String.join("  ", places);
  }

  /** What decides a strategy's place, in a few words. */
  private static String headline(RunResult r) {
    if (r.loggedOut()) {
      return "logged out"
          + (r.revokedAfter() == null ? "" : " after " + Durations.tenths(r.revokedAfter()))
          + " by a refresh token presented twice";
    }
    List<String> parts = new ArrayList<>();
    if (r.counts().errors() > 0) {
      parts.add(Words.count(r.counts().errors(), "failed call"));
    }
    long extra = r.server().tokenRequests() - r.server().refreshEvents();
    if (extra > 0) {
      parts.add(Words.count(extra, "extra token request"));
    }
    ExpiryWaits waits = r.atExpiries();
    if (waits.expiries() > 0) {
      parts.add(
          waits.waitedCalls() == 0
              ? "no caller waited at an expiry"
              : waits.noWorseThanAway()
                  ? "callers waited no more at expiries than away from them"
                  : "callers waited up to " + micros(waits.slowestMicros()) + " at expiries");
    }
    double perRefresh = r.redisRequestsPerRefresh();
    if (!Double.isNaN(perRefresh)) {
      parts.add(decimal(perRefresh) + " Redis requests per refresh");
    }
    return String.join(", ", parts);
  }

  /** A count with one decimal below 100 and grouped digits above: 9.3, 1,234. */
  static String decimal(double value) {
    return value < 100
        ? String.format(Locale.ROOT, "%.1f", value)
        : String.format("%,d", Math.round(value));
  }

  /** Microseconds as people read them: 420 us, 3.2 ms, 112 ms, 1.4 s. */
  static String micros(long micros) {
    if (micros < 1_000) {
      return micros + " us";
    }
    if (micros < 10_000) {
      return String.format(Locale.ROOT, "%.1f ms", micros / 1_000.0);
    }
    if (micros < 1_000_000) {
      return micros / 1_000 + " ms";
    }
    return String.format(Locale.ROOT, "%.1f s", micros / 1_000_000.0);
  }
}

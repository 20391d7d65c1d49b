package dev.tokenherd.examples;

import java.util.List;

/** The readable summary table. */
final class Report {
  private static final String ROW = "%-10s %9s %12s %10s %10s %8s %8s %10s %10s %9s %9s %9s%n";

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
            "revoked",
            "re-login",
            "errors",
            "p50 us",
            "p99 us",
            "max us"));
    for (RunResult r : results) {
      b.append(
          String.format(
              ROW,
              r.strategy().id(),
              r.pods() + " x " + r.threads(),
              String.format("%,d", r.counts().calls()),
              String.format("%,d", r.server().refreshEvents()),
              String.format("%,d", r.server().tokenRequests()),
              String.format("%,d", r.server().reuseDetections()),
              String.format("%,d", r.server().familiesRevoked()),
              String.format("%,d", r.counts().reauthRequired()),
              String.format("%,d", r.counts().errors()),
              String.format("%,d", r.p50Micros()),
              String.format("%,d", r.p99Micros()),
              String.format("%,d", r.maxMicros())));
    }
    b.append('\n');
    for (RunResult r : results) {
      b.append(r.verdict()).append('\n');
    }
    return b.toString();
  }
}

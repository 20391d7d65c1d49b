package dev.tokenherd.examples;

import dev.tokenherd.testkit.IssuedAccessToken;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * How a fleet came through one {@code --chaos} fault, judged by the authorization server's ledger.
 *
 * @param fault the fault
 * @param strike the victim and when it struck; null if no pod sent a token request once armed
 * @param alive whether the credential survived: the server did not revoke the token family, and
 *     issued a token after the fault (the fleet refreshed past it)
 * @param refreshedAfter from the fault to the first token the server issued after it; null if none
 * @param failedCallsAfter calls that failed after the fault (counted from the second it struck)
 * @param waitedAfter calls that took 1 ms or more, of those that started from half a second before
 *     the fault (callers already waiting for the victim) to the end
 * @param slowestAfterMicros the slowest of those calls
 */
record ChaosOutcome(
    ChaosFault fault,
    ChaosRun.@Nullable Strike strike,
    boolean alive,
    @Nullable Duration refreshedAfter,
    long failedCallsAfter,
    long waitedAfter,
    long slowestAfterMicros) {

  /**
   * Judges a run.
   *
   * @param loggedOut whether the server revoked the token family
   * @param issued every access token the server issued
   * @param timeline the fleet's calls
   * @param to when the callers stopped
   * @param failedCallsAfter failed calls counted after the fault
   */
  static ChaosOutcome of(
      ChaosFault fault,
      ChaosRun.@Nullable Strike strike,
      boolean loggedOut,
      List<IssuedAccessToken> issued,
      WaitTimeline timeline,
      Instant to,
      long failedCallsAfter) {
    if (strike == null) {
      return new ChaosOutcome(fault, null, !loggedOut, null, failedCallsAfter, 0, 0);
    }
    Instant at = strike.at();
    Duration refreshed =
        issued.stream()
            .map(IssuedAccessToken::issuedAt)
            .filter(t -> t.isAfter(at))
            .min(Instant::compareTo)
            .map(t -> Duration.between(at, t))
            .orElse(null);
    // from half a second before: callers already waiting for the victim's refresh count too
    long from = at.toEpochMilli() - ExpiryWaits.HALF_WINDOW_MILLIS;
    return new ChaosOutcome(
        fault,
        strike,
        !loggedOut && refreshed != null,
        refreshed,
        failedCallsAfter,
        timeline.waited(from, to.toEpochMilli()),
        timeline.slowestMicros(from, to.toEpochMilli()));
  }

  /** One sentence: what struck whom, and whether the credential lived. */
  String sentence(Strategy strategy, @Nullable Duration revokedAfter) {
    StringBuilder b = new StringBuilder(strategy.id()).append(", ").append(fault.id()).append(": ");
    ChaosRun.Strike s = strike;
    if (s == null) {
      return b.append("no pod sent a token request after the fault was armed; nothing struck.")
          .toString();
    }
    b.append(s.pod()).append(" was ").append(fault.description(strategy));
    if (alive) {
      b.append("; the credential lived: the fleet refreshed it ")
          .append(Durations.tenths(refreshedAfter == null ? Duration.ZERO : refreshedAfter))
          .append(" after the fault");
    } else if (revokedAfter != null) {
      b.append(
          "; the credential died: a refresh token was presented twice and the server revoked the"
              + " token family");
    } else {
      b.append(
          "; the credential did not come back within the run: no token was issued after the fault");
    }
    b.append("; ")
        .append(
            failedCallsAfter == 0
                ? "no call failed after it"
                : Words.count(failedCallsAfter, "call") + " failed after it");
    if (waitedAfter > 0) {
      b.append(", ")
          .append(Words.count(waitedAfter, "call"))
          .append(" waited, the slowest ")
          .append(Report.micros(slowestAfterMicros));
    } else {
      b.append(", no caller waited");
    }
    return b.append('.').toString();
  }
}

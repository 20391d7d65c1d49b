package dev.tokenherd.examples;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tokenherd.coordinator.Redaction;
import dev.tokenherd.coordinator.RefreshPolicy;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.math.MathContext;
import java.math.RoundingMode;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import org.HdrHistogram.Histogram;

/**
 * What a run against the user's own server prints: the progress lines, a line per refresh with the
 * lifetime the server gave, the summary, the JSON line, and what to do about each failure. Every
 * count of token requests is the client's ({@link TokenRequestTally}), and says so; no secret is
 * printed, refresh tokens appear only as fingerprints.
 */
final class OwnServerReport {
  private static final ObjectMapper JSON = new ObjectMapper();

  /** The shortest refresh period {@link #suggestedFraction} suggests. */
  static final Duration MIN_SUGGESTED_PERIOD = Duration.ofSeconds(5);

  private final OwnServerOptions options;
  private final TokenRequestTally.Snapshot requests;
  private final PodHandle.Counts calls;
  private final long refreshes;
  private final Duration ran;
  private final long p50Micros;
  private final long p99Micros;
  private final long maxMicros;

  /**
   * Collects a finished run.
   *
   * @param options the command line
   * @param requests the client's counts of token requests
   * @param calls the callers' counts
   * @param refreshes token sets the fleet stored (each pod's coordinator counts its own)
   * @param ran how long the callers ran
   * @param latencies every call's latency in microseconds
   */
  OwnServerReport(
      OwnServerOptions options,
      TokenRequestTally.Snapshot requests,
      PodHandle.Counts calls,
      long refreshes,
      Duration ran,
      Histogram latencies) {
    this.options = options;
    this.requests = requests;
    this.calls = calls;
    this.refreshes = refreshes;
    this.ran = ran;
    boolean empty = latencies.getTotalCount() == 0;
    this.p50Micros = empty ? 0 : latencies.getValueAtPercentile(50);
    this.p99Micros = empty ? 0 : latencies.getValueAtPercentile(99);
    this.maxMicros = empty ? 0 : latencies.getMaxValue();
  }

  /** The line printed each second. */
  static String progressLine(
      long seconds, PodHandle.Counts calls, long refreshes, TokenRequestTally.Snapshot requests) {
    return String.format(
        "[%3ds] tokenherd calls %,11d  refreshes %,4d  token requests %,4d (answered %,d, failed"
            + " %,d)  errors %,9d",
        seconds,
        calls.calls(),
        refreshes,
        requests.sent(),
        requests.answered(),
        requests.failed(),
        calls.errors());
  }

  /**
   * The line printed after each answered token request: the lifetime the server gave, when the
   * fleet will refresh next, and, once, how to see a refresh within the run if it comes later.
   */
  static String refreshLine(
      TokenRequestTally.Snapshot requests,
      RefreshPolicy policy,
      Instant runEnd,
      boolean hint,
      OwnServerOptions options) {
    Instant issued = requests.lastIssuedAt();
    Instant expires = requests.lastExpiresAt();
    Duration lifetime = requests.lifetime();
    if (issued == null || expires == null || lifetime == null) {
      return "   (no token yet)";
    }
    // draws of 0 and just under 1: the latest and the earliest point this fleet's jitter allows
    Instant earliest = policy.refreshAt(issued, expires, Math.nextDown(1.0));
    Instant latest = policy.refreshAt(issued, expires, 0.0);
    StringBuilder b =
        new StringBuilder("   refreshed: your server's access tokens live ")
            .append(human(lifetime))
            .append(" (its expires_in); next refresh ")
            .append(earliest.equals(latest) ? "" : "between ")
            .append(time(earliest))
            .append(earliest.equals(latest) ? "" : " and " + time(latest))
            .append(requests.rotations() > 0 ? "; the refresh token rotates" : "");
    if (hint && earliest.isAfter(runEnd)) {
      String fraction = suggestedFraction(lifetime, options.duration());
      b.append(
          String.format(
              Locale.ROOT,
              "%n   that is after this run ends: --refresh-ahead %s refreshes about every %s,"
                  + " or run longer with --duration",
              fraction,
              human(
                  Duration.ofMillis((long) (Double.parseDouble(fraction) * lifetime.toMillis())))));
    }
    return b.toString();
  }

  /**
   * A refresh-ahead fraction that puts about four refreshes into {@code duration}, but none closer
   * than {@link #MIN_SUGGESTED_PERIOD} apart: a real server should not be asked for a token every
   * second because a demo is short. Two significant digits; at most 0.5.
   */
  static String suggestedFraction(Duration lifetime, Duration duration) {
    Duration period = duration.dividedBy(4);
    if (period.compareTo(MIN_SUGGESTED_PERIOD) < 0) {
      period = MIN_SUGGESTED_PERIOD;
    }
    double fraction = (double) period.toMillis() / Math.max(1, lifetime.toMillis());
    fraction = Math.max(0.0001, Math.min(0.5, fraction));
    return new BigDecimal(fraction)
        .round(new MathContext(2, RoundingMode.HALF_UP))
        .stripTrailingZeros()
        .toPlainString();
  }

  /** The summary on stdout. */
  String summary(Path file, String currentRefreshToken) {
    StringBuilder b = new StringBuilder();
    b.append(
        String.format(
            "tokenherd against %s: %d pods x %d threads, %s%n",
            options.server(), options.pods(), options.threads(), human(ran)));
    b.append(
        String.format(
            "  calls %,d, errors %,d (%,d needing a new login); latency p50 %,d us, p99 %,d us,"
                + " max %,d us%n",
            calls.calls(),
            calls.errors(),
            calls.reauthRequired(),
            p50Micros,
            p99Micros,
            maxMicros));
    b.append(
        String.format(
            "  %,d token requests for %,d refreshes%s, as this client counted them (each pod's"
                + " token endpoint is wrapped; your server's own logs are the authority)%n",
            requests.sent(), refreshes, requests.sent() == refreshes ? " (one per refresh)" : ""));
    b.append(
        String.format(
            "  answered %,d; failed %,d (transient %,d, no answer %,d, refused %,d, invalid"
                + " response %,d)%s%n",
            requests.answered(),
            requests.failed(),
            requests.transientFailures(),
            requests.ambiguousFailures(),
            requests.permanentFailures(),
            requests.invalidResponses(),
            requests.errorCodes().isEmpty() ? "" : "; error codes " + requests.errorCodes()));
    Duration lifetime = requests.lifetime();
    if (lifetime != null) {
      b.append(
          String.format(
              Locale.ROOT,
              "  access tokens live %s (as your server gave them); the fleet refreshes each at"
                  + " %.0f%% of its life (--refresh-ahead %s)%n",
              human(lifetime),
              options.refreshAhead() * 100,
              options.refreshAhead()));
    }
    if (requests.rotations() > 0) {
      b.append(
          String.format(
              "  the server rotated the refresh token %,d times; the current one (%s) is in %s%n",
              requests.rotations(), Redaction.fingerprint(currentRefreshToken), file));
    }
    return b.toString();
  }

  /** The {@code --json} line; no secret, and the counts say whose they are. */
  String toJson(boolean refreshTokenSaved) {
    Map<String, Object> map = new LinkedHashMap<>();
    map.put("strategy", Strategy.TOKENHERD.id());
    map.put("server", options.server().toString());
    map.put("counted_by", "client");
    map.put("pods", options.pods());
    map.put("threads", options.threads());
    map.put("calls", calls.calls());
    map.put("refreshes", refreshes);
    map.put("token_requests", requests.sent());
    map.put("answered", requests.answered());
    map.put("failed_transient", requests.transientFailures());
    map.put("failed_no_answer", requests.ambiguousFailures());
    map.put("failed_refused", requests.permanentFailures());
    map.put("failed_invalid_response", requests.invalidResponses());
    map.put("error_codes", requests.errorCodes());
    map.put("rotations", requests.rotations());
    map.put("refresh_token_saved", refreshTokenSaved);
    Duration lifetime = requests.lifetime();
    map.put("access_token_lifetime_ms", lifetime == null ? null : lifetime.toMillis());
    map.put("reauth_required", calls.reauthRequired());
    map.put("errors", calls.errors());
    map.put("p50_us", p50Micros);
    map.put("p99_us", p99Micros);
    map.put("max_us", maxMicros);
    map.put("duration_ms", ran.toMillis());
    try {
      return JSON.writeValueAsString(map);
    } catch (JsonProcessingException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * Says on {@code err} what each kind of failure means and what to do.
   *
   * @return whether the run failed: the server refused, or answered no request at all
   */
  boolean explainFailures(PrintStream err, Path file) {
    boolean failed = false;
    if (requests.received("invalid_grant")) {
      err.println(
          "fleet-demo: the server refused the refresh token (invalid_grant): it has expired, been"
              + " revoked, or was used already. Log in again and put the new refresh token in "
              + file);
      failed = true;
    }
    if (requests.received("invalid_client")) {
      err.println(
          "fleet-demo: the server refused the client (invalid_client): check --client-id, the"
              + " client secret (--client-secret-file, "
              + ClientSecret.FILE_VARIABLE
              + ", "
              + ClientSecret.VARIABLE
              + ") and how the client authenticates at your server");
      failed = true;
    }
    if (requests.received("unauthorized_client")) {
      err.println(
          "fleet-demo: the client may not use the refresh_token grant (unauthorized_client):"
              + " allow it for client "
              + options.clientId()
              + " at your server");
      failed = true;
    }
    if (requests.received("invalid_scope")) {
      err.println(
          "fleet-demo: the server refused the scopes "
              + options.scopes()
              + " (invalid_scope): a refresh may only ask for scopes the login granted");
      failed = true;
    }
    if (!failed && requests.permanentFailures() > 0) {
      err.println("fleet-demo: the server refused: " + requests.firstFailures().get("PERMANENT"));
      failed = true;
    }
    if (requests.ambiguousFailures() > 0) {
      err.println(
          "fleet-demo: "
              + requests.ambiguousFailures()
              + " token requests got no answer ("
              + requests.firstFailures().get("AMBIGUOUS")
              + "): your server may have rotated the refresh token without the fleet seeing it;"
              + " if the next run gets invalid_grant, log in again");
    }
    if (requests.answered() == 0 && !failed) {
      String first = requests.firstFailures().values().stream().findFirst().orElse("none sent");
      err.println(
          "fleet-demo: no token request was answered ("
              + first
              + "): is the token endpoint reachable from here?");
      failed = true;
    }
    return failed;
  }

  /** Names the innermost cause of {@code failure}: its class and message (no secret in either). */
  static String rootCause(Throwable failure) {
    Throwable root = failure;
    for (Throwable next = root.getCause(); next != null; next = next.getCause()) {
      root = next;
    }
    return root.getClass().getSimpleName()
        + (root.getMessage() == null ? "" : ": " + root.getMessage());
  }

  private static String time(Instant instant) {
    return instant.truncatedTo(ChronoUnit.SECONDS).toString();
  }

  /** A duration as people read it: {@code 850ms}, {@code 45s}, {@code 5m30s}, {@code 1h0m}. */
  static String human(Duration duration) {
    long seconds = duration.toSeconds();
    if (seconds < 1) {
      return duration.toMillis() + "ms";
    }
    if (seconds < 120) {
      return seconds + "s";
    }
    if (seconds < 3600) {
      return seconds / 60 + "m" + seconds % 60 + "s";
    }
    return seconds / 3600 + "h" + seconds % 3600 / 60 + "m";
  }
}

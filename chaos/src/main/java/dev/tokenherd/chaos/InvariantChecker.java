package dev.tokenherd.chaos;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tokenherd.testkit.FakeAuthorizationServer;
import dev.tokenherd.testkit.IssuedAccessToken;
import dev.tokenherd.testkit.RecordedTokenRequest;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Checks I1–I6 (DESIGN.md) from what actually happened: the workers' event logs ({@link
 * ChaosWorker}), the harness's own log (faults injected, seeds) and the fake authorization server's
 * request log. Every violation comes with the lines that show it.
 *
 * <p>What each invariant means here, precisely:
 *
 * <ul>
 *   <li><b>I1</b> every token request the server received was sent by a worker under a lease, at
 *       most one per lease (a lease is one acquisition, named by its serial: a re-fence changes its
 *       fence, not the lease); and every successful grant that was not stored is explained (its
 *       holder was killed or stopped, or its write was fenced, or its answer was ambiguous).
 *   <li><b>I2</b> a refresh token the server processed is presented again only if the answer to its
 *       first presentation never reached the store (a lost rotation); and unless the server
 *       accepted it in its grace period, the loss of <em>that</em> refresh token was reported: a
 *       worker whose last token request presented it reported {@code lost_rotation} after the
 *       reuse. A report about one refresh token excuses no reuse of another.
 *   <li><b>I3</b> applied writes carry non-decreasing fences in the order the store applied them,
 *       wherever the logs make that order certain: across versions, and within one version (a mark
 *       keeps the version) when one write's answer came back ({@code t}) before the other was sent
 *       ({@code sentAt}); no two content writes produced the same version; no caller saw its
 *       versions go back.
 *   <li><b>I4</b> no worker served an access token at or past its expiry <em>by the authorization
 *       server's own ledger</em> ({@link ServerLog#accessTokens()}), judged at the serve time the
 *       worker logged ({@link ServeLog}), with no slack: every process reads the same system clock,
 *       and the logs' microsecond truncation only makes the rule stricter (by under 1 µs). A token
 *       the server never issued is a violation too. Serves after the server revoked the token's
 *       family are counted ({@code servedAfterRevocation}), not judged: no client can know of a
 *       revocation before its next refresh; what the fleet does once it knows is I6.
 *   <li><b>I5</b> no call took longer than its deadline plus slack; every failure was typed.
 *   <li><b>I6</b> once re-authentication is required, the only token requests the server receives
 *       until a new token set is seeded are those already in flight when the {@code
 *       REAUTH_REQUIRED} record was published: per refresh token, no more than the workers had
 *       logged sending before the record's write completed and the server had not yet received.
 * </ul>
 *
 * <p>The checker needs the server's whole request log: if the server dropped any request ({@link
 * ServerLog#droppedRequests()}), I1, I2 and I6 cannot be judged, and the report says so as a
 * violation of {@code LOG}.
 *
 * <p><b>Failovers.</b> A harness {@code fault} event of kind {@code failover} with {@code
 * rolledBackAbove} (the version the promoted replica held) says that every write applied before it
 * with a higher version was rolled back with the old primary. What follows from that loss is an
 * <em>expected</em> finding, listed in {@link Report#expected()} and not a violation, provided the
 * fleet reported it: a rolled-back rotation's refresh token presented again (I2) counts as expected
 * only if a worker then reported {@code lost_rotation} or {@code reauth}; the same version written
 * again after the failover (I3) and a caller's version going back over the rolled-back range are
 * expected. A rolled-back rotation reused with nothing reported stays a violation. Where the
 * harness knows when the promoted replica stopped receiving (a Sentinel group's replica cut off
 * before the master died), the event also carries {@code lostAfter}: every write sent after it and
 * applied before the failover was rolled back too, whatever its version (refresh marks keep the
 * version, and their fences went back with the lock's counter).
 */
public final class InvariantChecker {
  private static final ObjectMapper JSON = new ObjectMapper();

  /**
   * The result of a check: violations with evidence, expected findings (consequences of an injected
   * data loss that the fleet reported, see the class comment), and the figures the logs yield.
   */
  public record Report(
      List<Violation> violations, List<Violation> expected, Map<String, Object> figures) {
    /** Copies the components. */
    public Report {
      violations = List.copyOf(violations);
      expected = List.copyOf(expected);
      figures = Map.copyOf(figures);
    }

    /** Returns the violations of one invariant. */
    public List<Violation> of(String invariant) {
      return violations.stream().filter(v -> v.invariant().equals(invariant)).toList();
    }
  }

  /**
   * What the fake authorization server knows at the end of a run.
   *
   * @param requests its request log, oldest first
   * @param droppedRequests how many requests the log does not hold (it must hold every one)
   * @param accessTokens every access token it issued, with its expiry and revocation
   */
  public record ServerLog(
      List<RecordedTokenRequest> requests,
      long droppedRequests,
      List<IssuedAccessToken> accessTokens) {
    /** Copies the lists. */
    public ServerLog {
      requests = List.copyOf(requests);
      accessTokens = List.copyOf(accessTokens);
    }

    /**
     * Takes the records of {@code server}; call it once the workers have stopped.
     *
     * @param server the run's authorization server
     * @return its request log, the requests it dropped and the access tokens it issued
     */
    public static ServerLog of(FakeAuthorizationServer server) {
      return new ServerLog(
          server.requests(), server.droppedRequests(), server.issuedAccessTokens());
    }
  }

  private InvariantChecker() {}

  /**
   * Reads every {@code *.jsonl} file in {@code logDirectory}, sorted by time.
   *
   * @param logDirectory the directory of the worker and harness logs
   * @return every event, oldest first
   */
  public static List<JsonNode> readEvents(Path logDirectory) {
    List<JsonNode> events = new ArrayList<>();
    try (Stream<Path> files = Files.list(logDirectory)) {
      for (Path file : files.filter(f -> f.toString().endsWith(".jsonl")).sorted().toList()) {
        for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
          if (!line.isBlank()) {
            events.add(JSON.readTree(line));
          }
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    events.sort(Comparator.comparingLong(e -> e.get("t").asLong()));
    return events;
  }

  /**
   * Checks the invariants.
   *
   * @param events worker and harness events, oldest first (see {@link #readEvents})
   * @param server what the fake authorization server recorded
   * @return violations and figures
   */
  public static Report check(List<JsonNode> events, ServerLog server) {
    List<Violation> violations = new ArrayList<>();
    List<Violation> expected = new ArrayList<>();
    Map<String, Object> figures = new LinkedHashMap<>();
    List<RecordedTokenRequest> requests = server.requests();
    List<JsonNode> failovers =
        Events.ofType(events, "fault").stream()
            .filter(f -> f.path("kind").asText().equals("failover"))
            .toList();
    if (server.droppedRequests() > 0) {
      violations.add(
          new Violation(
              "LOG",
              "the server's request log dropped its "
                  + server.droppedRequests()
                  + " oldest token requests (FakeAuthorizationServer.Builder.requestLogLimit):"
                  + " I1, I2 and I6 cannot be judged from what is left",
              requests.stream().limit(1).map(Evidence::request).toList()));
    }
    // One judge per invariant, in this order so that the report lists I1 first.
    LeaseCheck.check(events, requests, violations, figures);
    RotationReuseCheck.check(events, requests, failovers, violations, expected);
    FenceOrderCheck.check(events, failovers, violations, expected, figures);
    ServeCheck.check(events, server.accessTokens(), violations, figures);
    CallCheck.check(events, violations, figures);
    ReauthCheck.check(events, requests, violations, figures);
    figures.put("expectedFindings", expected.size());
    return new Report(violations, expected, figures);
  }
}

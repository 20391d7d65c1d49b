package dev.tokenherd.examples;

import static java.util.Objects.requireNonNull;

import dev.tokenherd.coordinator.GrantType;
import dev.tokenherd.coordinator.Redaction;
import dev.tokenherd.coordinator.RefreshListener;
import dev.tokenherd.coordinator.RefreshPolicy;
import dev.tokenherd.coordinator.Renewal;
import dev.tokenherd.coordinator.TokenSet;
import dev.tokenherd.coordinator.oauth2.OAuth2TokenEndpoint;
import dev.tokenherd.coordinator.redis.RedisBackend;
import dev.tokenherd.coordinator.redis.RedisKeys;
import dev.tokenherd.coordinator.spi.TokenRecord;
import dev.tokenherd.examples.strategies.TokenHerdSource;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Function;
import java.util.function.Supplier;
import org.HdrHistogram.Histogram;
import org.jspecify.annotations.Nullable;

/**
 * The fleet demo against the user's own authorization server: Tokenherd's pods (no other strategy:
 * see {@link OwnServerOptions#PEERS_REFUSED}) share the user's credential, starting from the
 * refresh token in the user's file, for the configured time; a progress line a second, a line per
 * refresh with the lifetime the server gave, and a summary with the client's counts ({@link
 * TokenRequestTally}). The refresh token the server issued last is written back to the file as soon
 * as it rotates, at the end, and on SIGTERM or Ctrl-C (a shutdown hook).
 */
final class OwnServerRun {
  /**
   * The access token of the seeded credential, which has none yet: expired at once, never served.
   */
  static final String NO_ACCESS_TOKEN = "none-yet-refresh-first";

  private final OwnServerOptions options;
  private final PrintStream err;
  private final RefreshTokenFile file;
  private final TokenRequestTally tally;
  private final RefreshPolicy policy;
  private final List<TokenHerdSource> sources = new ArrayList<>();
  private final List<Pod> pods = new ArrayList<>();
  private final Histogram latencies = Pod.newHistogram();
  private @Nullable String unsavedReason;
  private boolean finished;
  private boolean podsStopped;
  private boolean saveFailed;

  private OwnServerRun(OwnServerOptions options, PrintStream err, RefreshTokenFile file) {
    this.options = options;
    this.err = err;
    this.file = file;
    this.tally = new TokenRequestTally(file.initial());
    this.policy = options.policy();
  }

  /**
   * Runs the fleet against the user's server and reports.
   *
   * @param options the command line
   * @param out where the summary goes
   * @param err where progress, warnings and the write-back go
   * @param environment the process environment, for the client secret
   * @return the exit status: 0 done, 1 the server refused, could not be reached, or the refresh
   *     token could not be saved
   * @throws UsageException if the client secret is missing
   * @throws DemoException if a file cannot be read or the server's metadata is not usable
   */
  static int run(
      OwnServerOptions options,
      PrintStream out,
      PrintStream err,
      Function<String, @Nullable String> environment) {
    String secret = OwnServerEndpoints.clientSecret(options, environment);
    RefreshTokenFile file = RefreshTokenFile.read(options.refreshTokenFile());
    Supplier<OAuth2TokenEndpoint> endpoints = OwnServerEndpoints.of(options, secret, err);
    String given = options.redisUri();
    try (LocalRedis local = given == null ? LocalRedis.start(/* onPath= */ true, err) : null) {
      String redisUri = local != null ? local.uri() : requireNonNull(given);
      OwnServerRun run = new OwnServerRun(options, err, file);
      Duration ran = run.execute(redisUri, endpoints);
      OwnServerReport report =
          new OwnServerReport(
              options, run.tally.snapshot(), run.counts(), run.refreshes(), ran, run.latencies);
      out.println();
      out.print(report.summary(file.path(), run.tally.currentRefreshToken()));
      if (options.json()) {
        out.println(report.toJson(run.tally.rotated() && !run.saveFailed));
      }
      out.flush();
      return report.explainFailures(err, file.path()) || run.saveFailed ? 1 : 0;
    }
  }

  /** Seeds, runs the pods, saves the refresh token; returns how long the callers ran. */
  private Duration execute(String redisUri, Supplier<OAuth2TokenEndpoint> endpoints) {
    String namespace = "fleet-demo-own-" + Long.toString(System.currentTimeMillis(), 36);
    Renewal renewal = new Renewal(GrantType.REFRESH_TOKEN, options.scopes());
    Thread hook = new Thread(() -> finish(/* signalled= */ true), "fleet-demo-save-refresh-token");
    long started = System.nanoTime();
    try {
      try {
        for (int i = 1; i <= options.pods(); i++) {
          String name = "pod-" + i;
          TokenHerdSource source =
              new TokenHerdSource(
                  RedisBackend.builder().uri(redisUri).namespace(namespace),
                  Target.KEY,
                  new CountingTokenEndpoint(endpoints.get(), tally),
                  renewal,
                  name,
                  policy,
                  RefreshListener.NONE);
          sources.add(source);
          pods.add(new Pod(name, source, options.threads()));
        }
        // Seeded through a pod's own coordinator, which lives for the whole run: a coordinator
        // that closed at once might send the first refresh and drop its answer, a rotation lost.
        sources.get(0).coordinator().seed(seed()).join();
      } catch (RuntimeException e) {
        throw new DemoException(
            "cannot use Redis for the fleet: " + OwnServerReport.rootCause(e) + "; --redis URI");
      }
      Runtime.getRuntime().addShutdownHook(hook);
      err.printf(
          "== tokenherd against your server: %d pods x %d threads, %ds (Redis namespace %s);"
              + " the first call refreshes%n",
          options.pods(), options.threads(), options.duration().toSeconds(), namespace);
      started = System.nanoTime();
      pods.forEach(Pod::start);
      runFor(options.duration(), started);
    } finally {
      finish(/* signalled= */ false);
      try {
        Runtime.getRuntime().removeShutdownHook(hook);
      } catch (IllegalStateException e) {
        // the JVM is shutting down: the hook has run or runs now, and finish() is idempotent
      }
    }
    Duration ran = Duration.ofNanos(System.nanoTime() - started);
    crossCheck(redisUri, namespace);
    return ran;
  }

  private TokenSet seed() {
    Instant now = Clock.systemUTC().instant();
    // Expired when stored (expiresAt == issuedAt): never served, so the first call refreshes.
    return TokenSet.builder()
        .accessToken(NO_ACCESS_TOKEN)
        .refreshToken(file.initial())
        .scopes(options.scopes())
        .issuedAt(now)
        .expiresAt(now)
        .build();
  }

  private void runFor(Duration duration, long started) {
    long end = started + duration.toNanos();
    long next = started + TimeUnit.SECONDS.toNanos(1);
    long shownAnswers = 0;
    boolean hinted = false;
    while (System.nanoTime() < end) {
      LockSupport.parkNanos(Math.min(next, end) - System.nanoTime());
      if (System.nanoTime() < next) {
        continue;
      }
      TokenRequestTally.Snapshot counts = tally.snapshot();
      long seconds = (next - started) / 1_000_000_000L;
      err.println(OwnServerReport.progressLine(seconds, counts(), refreshes(), counts));
      if (counts.answered() > shownAnswers) {
        shownAnswers = counts.answered();
        Instant runEnd =
            Clock.systemUTC().instant().plusNanos(Math.max(0, end - System.nanoTime()));
        err.println(OwnServerReport.refreshLine(counts, policy, runEnd, !hinted, options));
        hinted = true;
      }
      saveDuringRun();
      if (counts.permanentFailures() > 0) {
        err.println("   the server refused for good: stopping early");
        return;
      }
      next += TimeUnit.SECONDS.toNanos(1);
    }
  }

  /** Saves a rotated refresh token at once: a crash or kill -9 later must not take it along. */
  private synchronized void saveDuringRun() {
    if (finished || !tally.rotated()) {
      return;
    }
    try {
      var unused = file.save(tally.currentRefreshToken());
      unsavedReason = null;
    } catch (RefreshTokenFile.WriteBackException e) {
      if (unsavedReason == null) {
        err.println("fleet-demo: cannot save the rotated refresh token yet: " + e.getMessage());
      }
      unsavedReason = e.getMessage();
    }
  }

  /**
   * Ends the run once (the main thread, or the shutdown hook on SIGTERM or Ctrl-C, whichever comes
   * first; the other waits and returns): no new token request leaves, the last one's answer is
   * awaited, and the refresh token is saved before anything slow. At the normal end the callers
   * stop first, so that no refresh starts only to be refused.
   */
  private synchronized void finish(boolean signalled) {
    if (finished) {
      return;
    }
    if (!signalled) {
      stopPods();
    }
    tally.close();
    boolean idle;
    try {
      idle = tally.awaitIdle(policy.leaseTime());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      idle = false;
    }
    finished = true;
    if (!idle) {
      err.println(
          "fleet-demo: a token request is still unanswered: if your server answers it, it may"
              + " rotate the refresh token once more than the one saved");
    }
    saveAtEnd();
    if (signalled) {
      stopPods();
    }
  }

  private void stopPods() {
    if (podsStopped) {
      return;
    }
    podsStopped = true;
    for (Pod pod : pods) {
      latencies.add(pod.stop().latencies());
    }
  }

  private void saveAtEnd() {
    TokenRequestTally.Snapshot counts = tally.snapshot();
    if (counts.received("invalid_grant")) {
      // the token the fleet holds is dead: there is nothing worth saving
      return;
    }
    if (!tally.rotated()) {
      if (counts.answered() > 0) {
        err.println(
            "the server did not rotate the refresh token: " + file.path() + " is unchanged");
      }
      return;
    }
    String current = tally.currentRefreshToken();
    try {
      Path where = file.save(current);
      if (where != null && RefreshTokenFile.isSibling(where)) {
        err.println(
            "the server rotated the refresh token; "
                + file.path()
                + " changed during the run (a new login?) and was left as it is: the current one"
                + " is in "
                + where);
      } else {
        err.println(
            "the server rotated the refresh token; the current one is in "
                + file.path()
                + " ("
                + Redaction.fingerprint(current)
                + ")");
      }
    } catch (RefreshTokenFile.WriteBackException e) {
      saveFailed = true;
      err.println(
          "fleet-demo: the server rotated the refresh token, and it could not be written to "
              + file.path()
              + ": "
              + e.getMessage());
      rescue(current);
    }
  }

  private void rescue(String current) {
    Path home = Path.of(System.getProperty("user.home"));
    try {
      Path rescued = file.rescue(home, current);
      err.println(
          "   it is in " + rescued + " (readable by you only): move it over " + file.path());
    } catch (RefreshTokenFile.WriteBackException again) {
      err.println(
          "   nor could it be written to "
              + home
              + " ("
              + again.getMessage()
              + ")"
              + (options.redisUri() == null
                  ? ": it is lost with this run; log in again to get a new one"
                  : ": it stays in your Redis, in this run's record"));
    }
  }

  /**
   * Compares the fleet's stored refresh token with the one saved, and removes the stored record
   * from a Redis the user gave once the file holds the token: a live refresh token should not
   * linger in a shared Redis after the demo. The demo's own Redis goes away with the run.
   */
  private void crossCheck(String redisUri, String namespace) {
    try (RedisBackend backend = RedisBackend.builder().uri(redisUri).namespace(namespace).build()) {
      Optional<TokenRecord> record =
          backend.tokenStore().read(Target.KEY).toCompletableFuture().join();
      TokenSet stored = record.map(TokenRecord::tokens).orElse(null);
      String storedToken = stored == null ? null : stored.refreshToken();
      if (storedToken != null
          && !storedToken.equals(tally.currentRefreshToken())
          && !tally.snapshot().received("invalid_grant")) {
        err.println(
            "fleet-demo: note: the fleet's record holds refresh token "
                + Redaction.fingerprint(storedToken)
                + ", the server's last answer "
                + Redaction.fingerprint(tally.currentRefreshToken())
                + "; the file has the server's last answer");
      }
    } catch (RuntimeException e) {
      err.println("fleet-demo: could not read the fleet's record back: " + e.getClass().getName());
    }
    if (options.redisUri() != null && !saveFailed) {
      deleteRecord(redisUri, RedisKeys.of(namespace).record(Target.KEY));
    }
  }

  private void deleteRecord(String redisUri, String key) {
    RedisClient client = RedisClient.create(redisUri);
    try (StatefulRedisConnection<String, String> connection = client.connect()) {
      connection.sync().del(key);
    } catch (RuntimeException e) {
      err.println(
          "fleet-demo: could not delete the demo's record "
              + key
              + " from your Redis ("
              + e.getClass().getSimpleName()
              + "): it holds the current refresh token; delete it yourself");
    } finally {
      client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
    }
  }

  private PodHandle.Counts counts() {
    return PodHandle.Counts.of(pods);
  }

  private long refreshes() {
    long total = 0;
    for (TokenHerdSource source : sources) {
      total += source.coordinator().stats().refreshes();
    }
    return total;
  }
}

package dev.tokenherd.benchmarks;

import dev.tokenherd.TokenHerd;
import dev.tokenherd.coordinator.AccessToken;
import dev.tokenherd.coordinator.ClockOffset;
import dev.tokenherd.coordinator.TokenCoordinator;
import dev.tokenherd.coordinator.TokenKey;
import dev.tokenherd.coordinator.TokenRefreshException;
import dev.tokenherd.coordinator.TokenSet;
import dev.tokenherd.coordinator.oauth2.OAuth2TokenEndpoint;
import dev.tokenherd.coordinator.redis.RedisBackend;
import dev.tokenherd.testkit.FakeAuthorizationServer;
import dev.tokenherd.testkit.RedisServerProcess;
import dev.tokenherd.testkit.RotationMode;
import dev.tokenherd.testkit.ServerStats;
import dev.tokenherd.testkit.TokenGrant;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;

/**
 * The clock suite of issue 18: pods whose host clocks are off by -30 s, +30 s and +1 h (and one on
 * time) serve one credential through one Redis, each pod's herd and token endpoint reading its own
 * clock, against the rotating fake server and Redis on the true time. Every token served is judged
 * by the server's ledger at the true instant the caller asked. Run twice in the same JVM: with the
 * fleet clock ({@code RedisBackend.configure}: every worker converts to Redis's {@code TIME}), and
 * as a baseline with each pod on its own clock (the store, lock and feed set one by one), which is
 * how every expiry was computed before.
 */
final class ClockSuite {
  private static final TokenKey KEY = TokenKey.of("clock-suite");
  private static final Duration TTL = Duration.ofSeconds(10);
  private static final Duration LATENCY = Duration.ofMillis(50);
  private static final int THREADS = 8;
  private static final List<Duration> OFFSETS =
      List.of(Duration.ZERO, Duration.ofSeconds(-30), Duration.ofSeconds(30), Duration.ofHours(1));

  private ClockSuite() {}

  /** One pod's results. */
  private record PodRow(
      Duration offset, ClockOffset measured, long calls, long expiredServed, long errors) {}

  /** One run's results. */
  private record Run(String name, List<PodRow> pods, ServerStats server, Duration elapsed) {
    long expiredServed() {
      return pods.stream().mapToLong(PodRow::expiredServed).sum();
    }
  }

  /**
   * Runs both fleets, writes {@code clock.md} and returns the failed targets: with the fleet clock,
   * any expired token served, any reuse, or more token requests than refreshes.
   */
  static List<String> run(Path output, boolean quick) throws IOException, InterruptedException {
    Instant started = Instant.now().truncatedTo(ChronoUnit.SECONDS);
    int expiries = quick ? 3 : 6;
    Machine machine = Machine.current();
    Run fleet;
    Run own;
    try (RedisServerProcess redis = RedisServerProcess.builder().appendOnly(false).start()) {
      fleet = runFleet("fleet clock", redis, true, expiries);
      own = runFleet("own clocks (baseline)", redis, false, expiries);
    }
    String markdown = markdown(List.of(fleet, own), expiries, machine, started, quick);
    Files.writeString(output.resolve("clock.md"), markdown, StandardCharsets.UTF_8);
    System.out.println(markdown);
    List<String> failed = new ArrayList<>();
    if (fleet.expiredServed() > 0) {
      failed.add("clock suite: " + fleet.expiredServed() + " expired tokens served");
    }
    if (fleet.server().reuseDetections() > 0
        || fleet.server().tokenRequests() != fleet.server().refreshEvents()) {
      failed.add("clock suite: " + fleet.server() + " is not one request per refresh");
    }
    return failed;
  }

  private static Run runFleet(
      String name, RedisServerProcess redis, boolean fleetClock, int expiries)
      throws InterruptedException {
    Clock trueClock = Clock.systemUTC();
    List<RedisBackend> backends = new ArrayList<>();
    List<TokenHerd> herds = new ArrayList<>();
    List<Caller> callers = new ArrayList<>();
    Instant start = Instant.now();
    try (FakeAuthorizationServer server =
        FakeAuthorizationServer.builder()
            .rotationMode(RotationMode.ROTATE_REVOKE_FAMILY_ON_REUSE)
            .accessTokenTtl(TTL)
            .latency(LATENCY)
            .start()) {
      String namespace = fleetClock ? "clock-fleet" : "clock-own";
      List<TokenCoordinator> coordinators = new ArrayList<>();
      for (Duration offset : OFFSETS) {
        Clock clock = Clock.offset(trueClock, offset);
        RedisBackend backend =
            RedisBackend.builder().uri(redis.uri().toString()).namespace(namespace).build();
        backends.add(backend);
        TokenHerd.Builder builder =
            fleetClock
                ? backend.configure(TokenHerd.builder())
                : TokenHerd.builder()
                    .tokenStore(backend.tokenStore())
                    .refreshLock(backend.refreshLock())
                    .changeFeed(backend.changeFeed());
        TokenHerd herd = builder.clock(clock).workerId("pod" + offset).build();
        herds.add(herd);
        coordinators.add(
            herd.coordinator(
                KEY,
                OAuth2TokenEndpoint.builder()
                    .tokenUri(server.tokenEndpoint())
                    .clientId(server.clientId())
                    .clientSecret(FakeAuthorizationServer.DEFAULT_CLIENT_SECRET)
                    .clock(clock)
                    .build()));
      }
      // The login happens on the pod 30 s slow: its instants are off until converted.
      TokenGrant grant = server.issueTokens("read");
      Instant loginNow = trueClock.instant().plus(OFFSETS.get(1));
      coordinators
          .get(1)
          .seed(
              TokenSet.builder()
                  .accessToken(grant.accessToken())
                  .refreshToken(grant.refreshToken())
                  .issuedAt(loginNow)
                  .expiresAt(loginNow.plus(TTL))
                  .build())
          .join();
      for (TokenCoordinator coordinator : coordinators) {
        for (int i = 0; i < THREADS; i++) {
          Caller caller = new Caller(coordinator, server, trueClock);
          callers.add(caller);
          caller.start();
        }
      }
      // As long as the given number of lifetimes, the same for both fleets whatever they do; half
      // way, the pod an hour ahead stops (a rolling deploy, a scale-in), as in the issue's run.
      Duration half = TTL.multipliedBy(expiries).dividedBy(2);
      TimeUnit.MILLISECONDS.sleep(half.toMillis());
      int ahead = OFFSETS.size() - 1;
      List<Caller> aheadCallers = callers.subList(ahead * THREADS, (ahead + 1) * THREADS);
      for (Caller caller : aheadCallers) {
        caller.running = false;
      }
      for (Caller caller : aheadCallers) {
        caller.join(TimeUnit.SECONDS.toMillis(30));
      }
      ClockOffset aheadOffset = herds.get(ahead).clockOffset();
      herds.get(ahead).close();
      TimeUnit.MILLISECONDS.sleep(half.plus(TTL.dividedBy(2)).toMillis());
      for (Caller caller : callers) {
        caller.running = false;
      }
      for (Caller caller : callers) {
        caller.join(TimeUnit.SECONDS.toMillis(30));
      }
      List<PodRow> pods = new ArrayList<>();
      for (int p = 0; p < OFFSETS.size(); p++) {
        long calls = 0;
        long expired = 0;
        long errors = 0;
        for (Caller caller : callers.subList(p * THREADS, (p + 1) * THREADS)) {
          calls += caller.calls.sum();
          expired += caller.expired.sum();
          errors += caller.errors.sum();
        }
        ClockOffset measured = p == ahead ? aheadOffset : herds.get(p).clockOffset();
        pods.add(new PodRow(OFFSETS.get(p), measured, calls, expired, errors));
      }
      return new Run(
          name,
          pods,
          server.awaitAnswered(Duration.ofSeconds(10)),
          Duration.between(start, Instant.now()));
    } finally {
      herds.forEach(TokenHerd::close);
      backends.forEach(RedisBackend::close);
    }
  }

  /** A caller thread: asks, checks the token with the server's ledger, uses it briefly. */
  private static final class Caller extends Thread {
    private final TokenCoordinator coordinator;
    private final FakeAuthorizationServer server;
    private final Clock trueClock;
    private final LongAdder calls = new LongAdder();
    private final LongAdder expired = new LongAdder();
    private final LongAdder errors = new LongAdder();
    private volatile boolean running = true;

    Caller(TokenCoordinator coordinator, FakeAuthorizationServer server, Clock trueClock) {
      this.coordinator = coordinator;
      this.server = server;
      this.trueClock = trueClock;
      setDaemon(true);
    }

    @Override
    public void run() {
      while (running) {
        Instant asked = trueClock.instant();
        try {
          AccessToken token = coordinator.token();
          calls.increment();
          if (!server.isAccessTokenValid(token.value(), asked)) {
            expired.increment();
          }
        } catch (TokenRefreshException e) {
          errors.increment();
        }
        LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
      }
    }
  }

  private static String markdown(
      List<Run> runs, int expiries, Machine machine, Instant started, boolean quick) {
    StringBuilder out = new StringBuilder();
    out.append("# Clock suite: pods whose clocks are wrong\n\n");
    out.append("Run ")
        .append(started)
        .append(". Reproduce: `./mvnw -B -Pbench verify -pl benchmarks -am -DskipTests")
        .append(" -Dbench.suites=clock")
        .append(quick ? " -Dbench.quick=true" : "")
        .append("`.\n\n");
    out.append(
        String.format(
            Locale.ROOT,
            "%d pods x %d caller threads on one credential, one real Redis, the rotating fake"
                + " server (family revoked on reuse, %d ms latency, %d s access tokens), for %d.5"
                + " lifetimes; the pod an hour ahead stops half way. Each pod's herd and token endpoint read one clock, offset from the"
                + " true time that Redis and the server keep; the login is seeded on the pod 30 s"
                + " slow. A served token counts as expired when the server's ledger held it"
                + " invalid at the true instant the caller asked. Both fleets ran in this JVM,"
                + " one after the other.%n%n",
            OFFSETS.size(),
            THREADS,
            LATENCY.toMillis(),
            TTL.toSeconds(),
            expiries));
    for (Run run : runs) {
      out.append("## ").append(run.name()).append("\n\n");
      out.append(
          "| pod clock | measured offset | error bound | calls | expired served | errors |\n");
      out.append("|---|---:|---:|---:|---:|---:|\n");
      for (PodRow pod : run.pods()) {
        out.append(
            String.format(
                Locale.ROOT,
                "| %s | %s | %s | %,d | %,d | %,d |%n",
                describe(pod.offset()),
                pod.measured().measuredAt() == null ? "-" : describe(pod.measured().offset()),
                pod.measured().measuredAt() == null
                    ? "-"
                    : pod.measured().uncertainty().toNanos() / 1000 + " us",
                pod.calls(),
                pod.expiredServed(),
                pod.errors()));
      }
      ServerStats stats = run.server();
      out.append(
          String.format(
              Locale.ROOT,
              "%nServer: %d token requests, %d refresh events, %d reuse detections, %d families"
                  + " revoked; %d s.%n%n",
              stats.tokenRequests(),
              stats.refreshEvents(),
              stats.reuseDetections(),
              stats.familiesRevoked(),
              run.elapsed().toSeconds()));
    }
    out.append(
        String.format(
            Locale.ROOT,
            "Machine: %s, %d processors, %s, %s; load average (1, 5, 15 min) %s at the start, %s"
                + " at the end.%n",
            machine.cpu(),
            machine.processors(),
            machine.os(),
            machine.jvm(),
            machine.loadAverage(),
            Machine.currentLoadAverage()));
    return out.toString();
  }

  private static String describe(Duration offset) {
    if (offset.isZero()) {
      return "true time";
    }
    String sign = offset.isNegative() ? "-" : "+";
    Duration abs = offset.abs();
    return abs.toSeconds() >= 3600 && abs.toSecondsPart() == 0 && abs.toMinutesPart() == 0
        ? sign + abs.toHours() + " h"
        : sign + String.format(Locale.ROOT, "%.3f s", abs.toNanos() / 1e9);
  }
}

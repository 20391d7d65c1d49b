package dev.tokenherd.coordinator.redis;

import static dev.tokenherd.coordinator.redis.FleetWorker.KEY;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.tokenherd.coordinator.AccessToken;
import dev.tokenherd.coordinator.RefreshPolicy;
import dev.tokenherd.coordinator.StoreMisconfiguredException;
import dev.tokenherd.coordinator.StoreMisconfiguredException.Problem;
import dev.tokenherd.coordinator.TokenSet;
import dev.tokenherd.coordinator.spi.TokenRecord;
import dev.tokenherd.coordinator.spi.WriteOutcome;
import dev.tokenherd.testkit.Closer;
import dev.tokenherd.testkit.FakeAuthorizationServer;
import dev.tokenherd.testkit.RecordedTokenRequest;
import dev.tokenherd.testkit.RedisBinary;
import dev.tokenherd.testkit.RedisServerProcess;
import dev.tokenherd.testkit.RotationMode;
import dev.tokenherd.testkit.ServerStats;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.pubsub.RedisPubSubAdapter;
import io.lettuce.core.pubsub.StatefulRedisPubSubConnection;
import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.ToLongFunction;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A fleet on a Redis that is misconfigured in the ways operators get it wrong: the record key
 * overwritten by a string ({@code WRONGTYPE}), an ACL user without {@code +eval}, an ACL user
 * without {@code +publish}. Each test passes only if the invariants hold by the fake authorization
 * server's own ledger (I1 one request per refresh, I2 no refresh token presented twice, I4 no
 * expired token served; I3 the versions served never go back; I5 every call answers within its
 * bound) and the callers saw the typed error that the docs promise, without a retry loop (I6).
 */
final class StoreMisconfigurationIT {
  private static final String PASSWORD = "pw-St0re-errors";
  private static final Duration LIFETIME = Duration.ofSeconds(1);
  private static final RefreshPolicy POLICY =
      FleetWorker.shortPolicy()
          .leaseTime(Duration.ofSeconds(2))
          .endpointTimeout(Duration.ofSeconds(1))
          .waitTimeout(Duration.ofSeconds(2))
          .build();

  /** What a blocking caller may wait at most: the wait timeout plus the engine's 1 s grace. */
  private static final Duration CALL_BOUND = POLICY.waitTimeout().plusSeconds(1);

  private final FakeAuthorizationServer server =
      FakeAuthorizationServer.builder()
          .rotationMode(RotationMode.ROTATE_REVOKE_FAMILY_ON_REUSE)
          .accessTokenTtl(LIFETIME)
          .start();
  private final Closer resources = new Closer();

  @AfterEach
  void tearDown() throws Exception {
    resources.close();
    server.close();
  }

  // ---------------------------------------------------------------------------------------------
  // The record key overwritten by a string.

  @Test
  void recordReplacedByAString_everyCallerGetsWrongTypeNamingTheKey_noRequest_noRetryLoop()
      throws Exception {
    RedisServerProcess redis = resources.add(RedisServerProcess.builder().start());
    RedisClient adminClient = RedisClient.create("redis://127.0.0.1:" + redis.port());
    resources.add(adminClient::shutdown);
    StatefulRedisConnection<String, String> admin = resources.add(adminClient.connect());
    String recordKey = RedisKeys.defaults().record(KEY);
    List<FleetWorker> workers = FleetWorker.startAll(3, redis.uri(), server, POLICY);
    resources.add(() -> FleetWorker.closeAll(workers));
    workers.get(0).seed(FleetWorker.tokens(server.issueTokens("read")));

    FleetCallers callers = resources.add(new FleetCallers(server, workers, 2));
    await().atMost(Duration.ofSeconds(10)).until(() -> server.stats().refreshEvents() >= 2);
    // Overwrite the record just after a refresh landed, so that no request is in flight.
    long refreshes = server.stats().refreshEvents();
    await()
        .atMost(Duration.ofSeconds(3))
        .pollInterval(Duration.ofMillis(1))
        .until(() -> server.stats().refreshEvents() > refreshes);
    admin.sync().set(recordKey, "not-a-hash");
    long requestsAtBreak = server.stats().tokenRequests();

    for (FleetWorker worker : workers) {
      await()
          .atMost(Duration.ofSeconds(5))
          .until(() -> failure(worker) instanceof StoreMisconfiguredException);
      StoreMisconfiguredException error = (StoreMisconfiguredException) failure(worker);
      assertThat(error.problem()).isEqualTo(Problem.WRONG_TYPE);
      assertThat(error.target()).contains("'" + recordKey + "'");
      assertThat(error.getMessage()).contains("WRONGTYPE", recordKey, "DEL");
      assertThat(error.isRetryable()).isFalse();
    }
    // Two more token lifetimes with callers asking all the time: nobody asks the server, and the
    // store is asked at most once per poll pause per worker, not once per call.
    long readsBefore = commandCalls(admin, "hgetall");
    long servedBefore = callers.served.sum();
    int errorsBefore = callers.errors.size();
    await()
        .during(LIFETIME.multipliedBy(2))
        .atMost(LIFETIME.multipliedBy(3))
        .until(() -> server.stats().tokenRequests() == requestsAtBreak);
    long reads = commandCalls(admin, "hgetall") - readsBefore;
    int failedCalls = callers.errors.size() - errorsBefore;
    assertThat(callers.served.sum()).isEqualTo(servedBefore);
    assertThat(failedCalls).isGreaterThan(100);
    // 3 workers, 2 s, at most one read per 50 ms pause each (+ slack for timing): ~120.
    assertThat(reads).isLessThan(failedCalls / 4).isLessThan(250);
    System.out.printf(
        "wrong type: %d failed calls in 2 lifetimes, %d HGETALLs, %d token requests%n",
        failedCalls, reads, server.stats().tokenRequests() - requestsAtBreak);
    callers.close();
    // Once every worker knew (above), every failed call was this error. Before that a caller may
    // have timed out waiting for a refresh that a loaded machine made slow; that is not what this
    // test is about.
    assertThat(callers.errors.stream().skip(errorsBefore).toList())
        .allSatisfy(e -> assertThat(e).isInstanceOf(StoreMisconfiguredException.class));
    for (FleetWorker worker : workers) {
      // Reported once per worker, not once per call.
      assertThat(worker.events.failures).containsExactly("StoreMisconfiguredException stop");
    }

    // A seed does not overwrite the foreign value either: same typed error, key untouched.
    assertThatThrownBy(
            () ->
                workers
                    .get(1)
                    .coordinator
                    .seed(FleetWorker.tokens(server.issueTokens("read")))
                    .get(5, TimeUnit.SECONDS))
        .cause()
        .isInstanceOfSatisfying(
            StoreMisconfiguredException.class,
            e -> assertThat(e.problem()).isEqualTo(Problem.WRONG_TYPE));
    assertThat(admin.sync().get(recordKey)).isEqualTo("not-a-hash");

    // The remedy the message gives: delete the key, seed a new login. Every worker serves again,
    // although the version starts again at 1, below what each of them had cached.
    admin.sync().del(recordKey);
    workers.get(2).seed(FleetWorker.tokens(server.issueTokens("read")));
    for (FleetWorker worker : workers) {
      await()
          .atMost(Duration.ofSeconds(5))
          .ignoreExceptions()
          .until(() -> server.isAccessTokenValid(worker.coordinator.accessToken()));
    }
    FleetCallers after = resources.add(new FleetCallers(server, workers, 2));
    long refreshesAfter = server.stats().refreshEvents();
    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> server.stats().refreshEvents() >= refreshesAfter + 2);
    after.close();

    assertThat(after.errors).isEmpty();
    assertLedgerInvariants(callers, 0);
    assertLedgerInvariants(after, 0);
  }

  // ---------------------------------------------------------------------------------------------
  // The lock's counter lost, and an ACL that lets the lock be taken but not re-fenced (no +set).

  @Test
  void counterLost_aclWithoutSet_theRefenceIsRefusedTyped_andNoRequestIsSent() throws Exception {
    RedisServerProcess redis = resources.add(RedisServerProcess.builder().start());
    URI limited = aclUser(redis, "noset", "+set");
    String counter =
        "redisson_lock_token:" + RedisKeys.of(RedisKeys.DEFAULT_NAMESPACE).lock(FleetWorker.KEY);
    // The full worker refreshes under fence 1001: far above where a lost counter starts again.
    assertThat(redis.command("SET", counter, "1000")).isEqualTo("+OK");
    FleetWorker full = resources.add(FleetWorker.start("full", redis.uri(), server, POLICY));
    full.seed(FleetWorker.tokens(server.issueTokens("read")));
    await()
        .atMost(Duration.ofSeconds(30))
        .until(
            () -> {
              AccessToken unused = full.coordinator.token();
              return server.stats().refreshEvents() >= 1;
            });
    full.close();
    assertThat(redis.command("DEL", counter)).isEqualTo(":1");
    long requests = server.stats().tokenRequests();
    FleetWorker noSet = resources.add(FleetWorker.start("noset", limited, server, POLICY));

    // Its lease's fence (1) is below the stored one; re-fencing runs SET, which the ACL refuses.
    await()
        .atMost(Duration.ofSeconds(10))
        .until(
            () -> {
              RuntimeException unused = failure(noSet);
              return noSet.events.failures.contains("StoreMisconfiguredException stop");
            });
    StoreMisconfiguredException error =
        noSet.events.failureErrors.stream()
            .filter(StoreMisconfiguredException.class::isInstance)
            .map(StoreMisconfiguredException.class::cast)
            .findFirst()
            .orElseThrow();
    assertThat(error.problem()).isEqualTo(Problem.NO_PERMISSION);
    assertThat(error.getMessage()).contains("refresh lock");
    assertThat(error.remedy()).contains("+set");
    assertThat(server.stats().tokenRequests()).isEqualTo(requests);
  }

  // ---------------------------------------------------------------------------------------------
  // An ACL user without +eval / +evalsha.

  @Test
  void aclWithoutEval_callersGetNoPermissionNamingEval_noRequest_andOtherWorkersAreUnaffected()
      throws Exception {
    RedisServerProcess redis = resources.add(RedisServerProcess.builder().start());
    URI limited = aclUser(redis, "noeval", "+eval", "+evalsha");
    FleetWorker full = resources.add(FleetWorker.start("full", redis.uri(), server, POLICY));
    List<FleetWorker> noEval = startAll(2, limited);
    AccessToken seeded = full.seed(FleetWorker.tokens(server.issueTokens("read")));

    // Reads are allowed: the seeded token is served while it is valid.
    for (FleetWorker worker : noEval) {
      assertThat(worker.coordinator.accessToken()).isEqualTo(seeded.value());
    }
    FleetCallers callers = resources.add(new FleetCallers(server, noEval, 2));
    for (FleetWorker worker : noEval) {
      await()
          .atMost(Duration.ofSeconds(5))
          .until(() -> failure(worker) instanceof StoreMisconfiguredException);
      StoreMisconfiguredException error = (StoreMisconfiguredException) failure(worker);
      assertThat(error.problem()).isEqualTo(Problem.NO_PERMISSION);
      // Refreshing starts with the lock, whose Redisson script the ACL refuses.
      assertThat(error.target()).matches("command 'eval(sha)?' of the refresh lock");
      assertThat(error.remedy()).contains("+evalsha +eval");
      assertThat(error.getMessage()).contains("NOPERM");
    }
    await()
        .during(LIFETIME.multipliedBy(2))
        .atMost(LIFETIME.multipliedBy(3))
        .until(() -> server.stats().tokenRequests() == 0);
    assertThat(callers.errors)
        .isNotEmpty()
        .allSatisfy(e -> assertThat(e).isInstanceOf(StoreMisconfiguredException.class));
    for (FleetWorker worker : noEval) {
      assertThat(worker.events.failures).containsExactly("StoreMisconfiguredException stop");
    }

    // The store's own script is refused the same way: a seed names EVALSHA.
    assertThatThrownBy(
            () ->
                noEval
                    .get(0)
                    .coordinator
                    .seed(FleetWorker.tokens(server.issueTokens("read")))
                    .get(5, TimeUnit.SECONDS))
        .cause()
        .isInstanceOfSatisfying(
            StoreMisconfiguredException.class,
            e -> {
              assertThat(e.target()).isEqualTo("command 'evalsha' of the token store");
              assertThat(e.remedy()).contains("+evalsha +eval");
            });
    callers.close();

    // A worker with the full ACL refreshes; the limited ones adopt what it stores.
    FleetCallers mixed = resources.add(new FleetCallers(server, List.of(full), 2));
    await().atMost(Duration.ofSeconds(10)).until(() -> server.stats().refreshEvents() >= 2);
    for (FleetWorker worker : noEval) {
      await()
          .atMost(Duration.ofSeconds(5))
          .ignoreExceptions()
          .until(() -> server.isAccessTokenValid(worker.coordinator.accessToken()));
    }
    mixed.close();
    assertThat(mixed.errors).isEmpty();
    assertLedgerInvariants(callers, 0);
    assertLedgerInvariants(mixed, 0);
  }

  // ---------------------------------------------------------------------------------------------
  // An ACL user without +publish.

  @Test
  void aclWithoutPublish_writesApplyAndAreReportedUnannounced_workersConvergeByPolling()
      throws Exception {
    RedisServerProcess redis = resources.add(RedisServerProcess.builder().start());
    URI limited = aclUser(redis, "nopublish", "+publish");
    RedisClient adminClient = RedisClient.create("redis://127.0.0.1:" + redis.port());
    resources.add(adminClient::shutdown);
    StatefulRedisPubSubConnection<String, String> listening =
        resources.add(adminClient.connectPubSub());
    AtomicInteger announcements = new AtomicInteger();
    listening.addListener(
        new RedisPubSubAdapter<>() {
          @Override
          public void message(String channel, String message) {
            announcements.incrementAndGet();
          }
        });
    String channel = RedisKeys.defaults().changed(KEY);
    listening.sync().subscribe(channel);
    List<FleetWorker> workers = startAll(3, limited);

    // The seed is a write like any other: applied, reported as not announced, naming the rule.
    AccessToken seeded = workers.get(0).seed(FleetWorker.tokens(server.issueTokens("read")));
    assertThat(seeded.version()).isEqualTo(1);
    assertThat(workers.get(0).coordinator.stats().unannouncedWrites()).isOne();
    await().atMost(Duration.ofSeconds(5)).until(() -> !workers.get(0).events.unannounced.isEmpty());
    assertThat(workers.get(0).events.unannounced.get(0))
        .startsWith("v1 ")
        .contains("'" + channel + "'", "+publish");

    FleetCallers callers = resources.add(new FleetCallers(server, workers, 2));
    await().atMost(Duration.ofSeconds(15)).until(() -> server.stats().refreshEvents() >= 5);
    callers.close();

    assertThat(callers.errors).isEmpty();
    // A refresh-ahead started just before the callers stopped may still be storing its answer.
    await()
        .atMost(Duration.ofSeconds(5))
        .untilAsserted(
            () -> {
              ServerStats stats = server.stats();
              // Every write was applied and stored (none "not stored", no rotation lost): the
              // refreshes the workers counted are the server's refresh events, and the record is
              // at 1 + that version. Each of them, and the seed, was reported as not announced.
              assertThat(sum(workers, w -> w.coordinator.stats().refreshes()))
                  .isEqualTo(stats.refreshEvents());
              assertThat(storedVersion(redis)).isEqualTo(1 + stats.refreshEvents());
              assertThat(sum(workers, w -> w.coordinator.stats().unannouncedWrites()))
                  .isEqualTo(1 + stats.refreshEvents());
            });
    // Nobody heard of any version; the workers that did not refresh found each by reading.
    assertThat(announcements).hasValue(0);
    long adoptions = sum(workers, w -> w.coordinator.stats().adoptions());
    assertThat(adoptions).isGreaterThan(0);
    for (FleetWorker worker : workers) {
      assertThat(worker.events.failures).isEmpty();
    }
    System.out.printf(
        "no publish: %d refreshes, %d unannounced writes, %d adoptions by polling, %d served%n",
        server.stats().refreshEvents(),
        sum(workers, w -> w.coordinator.stats().unannouncedWrites()),
        adoptions,
        callers.served.sum());
    assertLedgerInvariants(callers, 0);
  }

  @Test
  void aclWithoutPublish_storeWaitingForReplicas_reportsTheRefusedPublishToo() throws Exception {
    RedisServerProcess redis = resources.add(RedisServerProcess.builder().start());
    URI limited = aclUser(redis, "nopublish", "+publish");
    RedisClient client = FailFastClients.create(limited);
    resources.add(client::shutdown);
    RedisTokenStore store =
        resources.add(
            RedisTokenStore.builder(client).waitForReplicas(1, Duration.ofMillis(50)).build());
    TokenSet tokens = FleetWorker.tokens(server.issueTokens("read"));
    Instant now = FleetWorker.CLOCK.instant();

    WriteOutcome content =
        store
            .compareAndSet(KEY, 0, TokenRecord.seeded(tokens, 1, 0, "w", now))
            .toCompletableFuture()
            .join();
    WriteOutcome metadata =
        store
            .compareAndSet(KEY, 1, TokenRecord.seeded(tokens, 1, 7, "w", now))
            .toCompletableFuture()
            .join();

    assertThat(content.applied()).isTrue();
    assertThat(content.announcementFailure())
        .contains("'" + RedisKeys.defaults().changed(KEY) + "'", "refused", "+publish");
    assertThat(metadata.applied()).isTrue();
    assertThat(metadata.announcementFailure()).isNull(); // nothing to announce
  }

  // ---------------------------------------------------------------------------------------------
  // Store-level: what RedisTokenStore itself reports.

  @Test
  void store_wrongTypeAndRefusedCommands_failTyped_andTheForeignValueStays() throws Exception {
    RedisServerProcess redis = resources.add(RedisServerProcess.builder().start());
    RedisClient adminClient = RedisClient.create("redis://127.0.0.1:" + redis.port());
    resources.add(adminClient::shutdown);
    RedisTokenStore admin = resources.add(RedisTokenStore.builder(adminClient).build());
    String recordKey = RedisKeys.defaults().record(KEY);
    TokenSet tokens = FleetWorker.tokens(server.issueTokens("read"));
    Instant now = FleetWorker.CLOCK.instant();
    TokenRecord first = TokenRecord.seeded(tokens, 1, 0, "w", now);
    assertThat(redis.command("SET", recordKey, "foreign")).isEqualTo("+OK");

    for (ThrowingCallable call :
        List.<ThrowingCallable>of(
            () -> admin.read(KEY).toCompletableFuture().join(),
            () -> admin.compareAndSet(KEY, 0, first).toCompletableFuture().join())) {
      assertThatThrownBy(call)
          .isInstanceOf(CompletionException.class)
          .cause()
          .isInstanceOfSatisfying(
              StoreMisconfiguredException.class,
              e -> {
                assertThat(e.problem()).isEqualTo(Problem.WRONG_TYPE);
                assertThat(e.target()).isEqualTo("key '" + recordKey + "' of the token store");
              });
    }
    assertThat(redis.command("GET", recordKey)).isEqualTo("$7");
    assertThat(redis.command("DEL", recordKey)).isEqualTo(":1");

    // Without +hset the script is refused inside: Redis 7.0 does not say which command, so every
    // command the script runs is named; 7.2+ names hset.
    URI noHset = aclUser(redis, "nohset", "+hset");
    RedisClient limitedClient = FailFastClients.create(noHset);
    resources.add(limitedClient::shutdown);
    RedisTokenStore limited = resources.add(RedisTokenStore.builder(limitedClient).build());
    assertThatThrownBy(() -> limited.compareAndSet(KEY, 0, first).toCompletableFuture().join())
        .cause()
        .isInstanceOfSatisfying(
            StoreMisconfiguredException.class,
            e -> {
              assertThat(e.problem()).isEqualTo(Problem.NO_PERMISSION);
              assertThat(e.target()).contains("inside a script of the token store");
              assertThat(e.remedy()).contains("+hset");
            });
    assertThat(admin.read(KEY).toCompletableFuture().join()).isEmpty();
  }

  // ---------------------------------------------------------------------------------------------

  /** Creates an ACL user with the recommended rules minus {@code removed}; returns its URI. */
  private static URI aclUser(RedisServerProcess redis, String name, String... removed)
      throws Exception {
    List<String> setUser = new ArrayList<>(List.of("ACL", "SETUSER", name, "on", ">" + PASSWORD));
    Set<String> without = Set.of(removed);
    for (String rule : RedisBackendIT.ACL_RULES) {
      if (!without.contains(rule)) {
        setUser.add(rule);
      }
    }
    if (RedisBinary.resolve().atLeast(7, 2)) {
      setUser.add("+client|setinfo");
    }
    assertThat(redis.command(setUser.toArray(new String[0]))).isEqualTo("+OK");
    return URI.create("redis://" + name + ":" + PASSWORD + "@127.0.0.1:" + redis.port());
  }

  private List<FleetWorker> startAll(int count, URI redis) {
    List<FleetWorker> workers = FleetWorker.startAll(count, redis, server, POLICY);
    resources.add(() -> FleetWorker.closeAll(workers));
    return workers;
  }

  /** Returns what a call on {@code worker} fails with, or {@code null} if it is served. */
  private static @Nullable RuntimeException failure(FleetWorker worker) {
    try {
      AccessToken unused = worker.coordinator.token();
      return null;
    } catch (RuntimeException e) {
      return e;
    }
  }

  private static long sum(List<FleetWorker> workers, ToLongFunction<FleetWorker> counter) {
    return workers.stream().mapToLong(counter).sum();
  }

  private static long commandCalls(StatefulRedisConnection<String, String> admin, String name) {
    Matcher calls =
        Pattern.compile("cmdstat_" + name + ":calls=(\\d+)")
            .matcher(admin.sync().info("commandstats"));
    return calls.find() ? Long.parseLong(calls.group(1)) : 0;
  }

  private static long storedVersion(RedisServerProcess redis) throws Exception {
    RedisClient client = RedisClient.create("redis://127.0.0.1:" + redis.port());
    try (RedisTokenStore store = RedisTokenStore.builder(client).build()) {
      return store.read(KEY).toCompletableFuture().join().orElseThrow().version();
    } finally {
      client.shutdown();
    }
  }

  /**
   * I1-I5 by the server's ledger and the callers' records: one token request per refresh event
   * (plus {@code invalidGrants}), no refresh token presented twice, no reuse detected or family
   * revoked, no expired or revoked token served, no served version going back, every call within
   * its bound.
   */
  private void assertLedgerInvariants(FleetCallers callers, long invalidGrants) {
    ServerStats stats = server.awaitAnswered(Duration.ofSeconds(5));
    assertThat(stats.tokenRequests()).isEqualTo(stats.refreshEvents() + invalidGrants); // I1
    assertThat(stats.reuseDetections()).isZero(); // I2
    assertThat(stats.graceReuses()).isZero();
    assertThat(stats.familiesRevoked()).isZero();
    assertThat(
            server.requests().stream().map(RecordedTokenRequest::refreshTokenFingerprint).toList())
        .doesNotHaveDuplicates(); // I2, request by request
    assertThat(callers.versionRegressions).isEmpty(); // I3 as the callers saw it
    assertThat(callers.expiredServes).isEmpty(); // I4, by the server's ledger
    assertThat(Duration.ofNanos(callers.slowestCallNanos.get())).isLessThan(CALL_BOUND); // I5
  }
}

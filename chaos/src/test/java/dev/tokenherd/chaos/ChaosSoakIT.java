package dev.tokenherd.chaos;

import static org.awaitility.Awaitility.await;

import dev.tokenherd.testkit.Fault;
import dev.tokenherd.testkit.RotationMode;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.awaitility.core.ConditionTimeoutException;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * Scenario 11, the soak: one long-lived fleet (3 workers, one redis-server with AOF and DEBUG
 * enabled) under a seeded random mix of the scenarios' faults for {@code -Dchaos.minutes}, then the
 * checker on the whole history. Only in the {@code chaos} profile:
 *
 * <pre>
 * ./mvnw verify -Pchaos -pl chaos -am -Dchaos.minutes=30 [-Dchaos.seed=...] [-Dchaos.overlap=0.25]
 * </pre>
 *
 * <p>With probability {@code chaos.overlap} (default 0.25) a second fault of another scope (worker,
 * Redis, token endpoint) is injected at the same moment: a holder SIGSTOPped while Redis restarts,
 * a worker cut off while the endpoint answers 503. 0 injects one fault at a time.
 *
 * <p>After each fault the soak heals it and awaits the next refresh grant (the fleet recovered by
 * itself). A fault that costs a re-authentication (a holder killed after the server rotated, an
 * ambiguous endpoint stall) is followed by a new seed, as an operator would do; the checker then
 * verifies that the loss was reported (I2, I6). The summary entry {@code 11-soak} carries the
 * iterations per fault, the violations with their evidence, and the checker's figures.
 */
class ChaosSoakIT {
  private static final Duration RECOVERY = Duration.ofSeconds(90);

  /** What a fault acts on: two faults overlap only when they act on different things. */
  enum Scope {
    WORKER,
    REDIS,
    ENDPOINT
  }

  /**
   * The faults, each picked with equal odds. The last three take the lock's guarantees away
   * (docs/architecture.md, "Fences: one owner, and a counter that goes back"); {@link
   * RedisLockFaultsIT} runs each once as its own scenario.
   */
  enum SoakFault {
    KILL_WORKER(Scope.WORKER),
    STOP_WORKER_PAST_LEASE(Scope.WORKER),
    REDIS_RESTART(Scope.REDIS),
    PROXY_CUT(Scope.WORKER),
    PROXY_RESET(Scope.WORKER),
    PROXY_BLACKHOLE(Scope.WORKER),
    PROXY_LATENCY(Scope.WORKER),
    PUBSUB_KILLED(Scope.REDIS),
    REDIS_CLIENT_PAUSE(Scope.REDIS),
    REDIS_DEBUG_SLEEP(Scope.REDIS),
    ENDPOINT_503(Scope.ENDPOINT),
    ENDPOINT_429(Scope.ENDPOINT),
    ENDPOINT_STALL(Scope.ENDPOINT),
    /** Redisson's fence counter deleted: the next lease's fence starts again at 1. */
    FENCE_COUNTER_DELETED(Scope.REDIS),
    /** The lock's key deleted while a worker holds it, as an eviction would. */
    LOCK_KEY_DELETED(Scope.REDIS),
    /** The next holder SIGSTOPped before it writes its refresh mark, until another writes. */
    STOP_HOLDER_BEFORE_MARK(Scope.WORKER);

    final Scope scope;

    SoakFault(Scope scope) {
      this.scope = scope;
    }

    static SoakFault pick(Random random) {
      return values()[random.nextInt(values().length)];
    }
  }

  /** One fault aimed at one worker (ignored by Redis and endpoint faults). */
  record Injection(SoakFault fault, ChaosFleet.Worker target) {
    String targetName() {
      if (fault == SoakFault.STOP_HOLDER_BEFORE_MARK) {
        return "the next holder"; // named in its own SIGSTOP@mark event
      }
      return switch (fault.scope) {
        case WORKER -> target.id;
        case REDIS -> "redis";
        case ENDPOINT -> "token endpoint";
      };
    }
  }

  @Test
  void soak_randomFaultsOnOneFleet_noViolations() throws Exception {
    double minutes = Double.parseDouble(System.getProperty("chaos.minutes", "0"));
    Assumptions.assumeTrue(minutes > 0, "the soak runs only with -Dchaos.minutes > 0 (-Pchaos)");
    long seed = ChaosSeed.get();
    Random random = new Random(seed);
    Map<String, Integer> iterations = new LinkedHashMap<>();
    int reseeds = 0;
    double overlap = Double.parseDouble(System.getProperty("chaos.overlap", "0.25"));
    int overlapped = 0;
    long deadline = System.nanoTime() + (long) (minutes * TimeUnit.MINUTES.toNanos(1));
    try (ChaosFleet fleet =
        new ChaosFleet(
            "11-soak",
            seed,
            RotationMode.ROTATE_REVOKE_FAMILY_ON_REUSE,
            "--enable-debug-command",
            "yes")) {
      fleet.seed();
      fleet.startWorkers(3, null);
      fleet.awaitRefreshes(1, RECOVERY);
      while (System.nanoTime() < deadline) {
        List<ChaosFleet.Worker> live =
            fleet.workers.stream().filter(w -> w.process.isAlive()).toList();
        List<Injection> injections = new ArrayList<>();
        injections.add(new Injection(SoakFault.pick(random), pickFrom(live, random)));
        if (random.nextDouble() < overlap) {
          SoakFault second = SoakFault.pick(random);
          while (second.scope == injections.get(0).fault().scope) {
            second = SoakFault.pick(random);
          }
          injections.add(new Injection(second, pickFrom(live, random)));
          overlapped++;
        }
        long before = fleet.refreshes();
        long reauthBefore = reauthWrites(fleet);
        for (Injection injection : injections) {
          fleet.fault(
              injection.fault().name() + (injections.size() > 1 ? " (overlapping)" : ""),
              injection.targetName());
        }
        injectTogether(fleet, injections);
        await(injections + ": a refresh or a reported re-authentication")
            .atMost(RECOVERY)
            .pollInterval(Duration.ofMillis(100))
            .until(() -> fleet.refreshes() > before || reauthWrites(fleet) > reauthBefore);
        if (reauthWrites(fleet) > reauthBefore) {
          // The loss was reported; the operator logs in again.
          fleet.seed();
          reseeds++;
          long seeded = fleet.refreshes();
          fleet.awaitRefreshes(seeded + 1, RECOVERY);
        }
        injections.forEach(i -> iterations.merge(i.fault().name(), 1, Integer::sum));
      }
      Map<String, Object> figures = new LinkedHashMap<>();
      figures.put("minutes", minutes);
      figures.put("iterationsPerFault", iterations);
      figures.put("overlapProbability", overlap);
      figures.put("overlappingPairs", overlapped);
      figures.put("reseeds", reseeds);
      figures.put("workersStarted", fleet.workers.size());
      fleet.finish(figures);
    }
  }

  private static ChaosFleet.Worker pickFrom(List<ChaosFleet.Worker> live, Random random) {
    return live.get(random.nextInt(live.size()));
  }

  /**
   * Injects the faults at the same moment, each on its own thread, and returns when all have run
   * their course. They act on different scopes, so no two touch the same thing (in particular, only
   * one can change the fleet's membership).
   */
  private static void injectTogether(ChaosFleet fleet, List<Injection> injections)
      throws Exception {
    if (injections.size() == 1) {
      inject(fleet, injections.get(0).fault(), injections.get(0).target());
      return;
    }
    ExecutorService threads = Executors.newFixedThreadPool(injections.size());
    try {
      List<Future<@Nullable Void>> running = new ArrayList<>();
      for (Injection injection : injections) {
        running.add(
            threads.submit(
                () -> {
                  inject(fleet, injection.fault(), injection.target());
                  return null;
                }));
      }
      for (Future<@Nullable Void> injection : running) {
        injection.get();
      }
    } finally {
      threads.shutdownNow();
    }
  }

  private static void inject(ChaosFleet fleet, SoakFault fault, ChaosFleet.Worker target)
      throws Exception {
    switch (fault) {
      case KILL_WORKER -> {
        target.kill();
        fleet.startWorkers(1, null);
      }
      case STOP_WORKER_PAST_LEASE -> {
        target.pause();
        pause(ChaosSettings.LEASE.plusMillis(500));
        target.resume();
      }
      case REDIS_RESTART -> fleet.redis().restart();
      case PROXY_CUT -> {
        target.link.cut();
        pause(Duration.ofSeconds(3));
        target.link.heal();
      }
      case PROXY_RESET -> {
        target.link.reset();
        pause(Duration.ofSeconds(1));
        target.link.heal();
      }
      case PROXY_BLACKHOLE -> {
        target.link.blackhole();
        pause(Duration.ofSeconds(3));
        // Bytes swallowed mid-command leave the stream unparseable: reset, as a real network
        // partition ends with the client's timeout and a reconnect.
        target.link.reset();
        target.link.heal();
      }
      case PROXY_LATENCY -> {
        target.link.latency(Duration.ofMillis(300));
        pause(Duration.ofSeconds(4));
        target.link.heal();
      }
      case PUBSUB_KILLED -> fleet.redis().command("CLIENT", "KILL", "TYPE", "pubsub");
      case REDIS_CLIENT_PAUSE -> fleet.redis().command("CLIENT", "PAUSE", "1500", "ALL");
      case REDIS_DEBUG_SLEEP -> fleet.redis().command("DEBUG", "SLEEP", "1.5");
      case ENDPOINT_503 -> fleet.server.enqueue(Fault.status(503), Fault.status(503));
      case ENDPOINT_429 -> fleet.server.enqueue(Fault.tooManyRequests(Duration.ofSeconds(1)));
      case ENDPOINT_STALL -> fleet.server.enqueue(Fault.delay(Duration.ofSeconds(2)));
      case FENCE_COUNTER_DELETED ->
          fleet.fault(
              "DEL "
                  + RedisLockFaultsIT.FENCE_COUNTER
                  + ": "
                  + fleet.redis().command("DEL", RedisLockFaultsIT.FENCE_COUNTER),
              "redis");
      case LOCK_KEY_DELETED -> deleteHeldLock(fleet);
      case STOP_HOLDER_BEFORE_MARK -> stopHolderBeforeMark(fleet);
    }
  }

  /**
   * Deletes the lock's key the moment a worker holds it (a lease lasts tens of milliseconds between
   * refreshes, so the key is polled for, atomically deleted only if present), for at most two token
   * lifetimes; logs whether it was held.
   */
  private static void deleteHeldLock(ChaosFleet fleet) {
    String script =
        "if redis.call('EXISTS', KEYS[1]) == 1 then return redis.call('DEL', KEYS[1]) end return 0";
    AtomicReference<String> reply = new AtomicReference<>(":0");
    try {
      await("a held lock")
          .atMost(ChaosSettings.TOKEN_TTL.multipliedBy(2))
          .pollInterval(Duration.ofMillis(5))
          .until(
              () -> {
                reply.set(fleet.redis().command("EVAL", script, "1", RedisLockFaultsIT.LOCK));
                return reply.get().equals(":1");
              });
    } catch (ConditionTimeoutException e) {
      // no lease in two token lifetimes (another fault holds the fleet up): nothing deleted
    }
    fleet.fault("DEL " + RedisLockFaultsIT.LOCK + " while held: " + reply.get(), "redis");
  }

  /**
   * Stops the next worker to reach its refresh mark (breakpoint {@code mark}, armed on every
   * worker) with SIGSTOP, awaits another worker's write under its own lease (its mark, at the
   * least) and resumes it: its mark must then be refused.
   */
  private static void stopHolderBeforeMark(ChaosFleet fleet) throws Exception {
    ChaosFleet.Worker holder = fleet.armAndAwaitBreak("mark", RECOVERY);
    if (holder == null) {
      fleet.fault("no worker reached its mark", "fleet");
      return;
    }
    fleet.fault("SIGSTOP@mark", holder.id);
    long stoppedAt = ChaosFleet.micros();
    holder.pause();
    holder.send("go"); // read once it runs again
    try {
      fleet.awaitEvent(
          "write",
          e ->
              !e.get("worker").asText().equals(holder.id)
                  && e.get("t").asLong() > stoppedAt
                  && e.get("outcome").asText().equals("APPLIED"),
          Duration.ofSeconds(20));
    } catch (ConditionTimeoutException e) {
      // nobody took over within 20 s (another fault holds the fleet up): resume anyway
    }
    fleet.fault("SIGCONT", holder.id);
    holder.resume();
  }

  /** A fault's deliberate duration (how long the fault lasts), not a wait for an outcome. */
  private static void pause(Duration duration) throws InterruptedException {
    Thread.sleep(duration.toMillis());
  }

  private static long reauthWrites(ChaosFleet fleet) {
    return fleet
        .events(
            "write",
            w ->
                w.get("outcome").asText().equals("APPLIED")
                    && w.get("status").asText().equals("REAUTH_REQUIRED"))
        .size();
  }
}

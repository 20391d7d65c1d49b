package dev.tokenherd.examples;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tokenherd.testkit.StartupTimeout;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Function;
import java.util.function.UnaryOperator;
import org.HdrHistogram.Histogram;
import org.jspecify.annotations.Nullable;

/**
 * {@code worker}: one pod against an external Redis and token endpoint, until stopped (SIGTERM, the
 * end of standard input with {@code --stdin}, or {@code --duration}). Prints a progress line a
 * second (a JSON object with {@code --json}) and adds its counters to the fleet totals in Redis
 * ({@code namespace:totals}), which the {@code totals} mode reads. With {@code --health-port} (or
 * {@value HealthServer#PORT_VARIABLE}) it answers {@code GET /health}: 200 while its pod has served
 * a token within {@code --unhealthy-after} (10 s), 503 while it waits for the credential, when it
 * stops, or when its callers got no token for that long ({@link WorkerHealth}).
 */
final class WorkerMode {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Set<String> VALUED =
      Set.of(
          "redis",
          "token-endpoint",
          "client-id",
          "client-secret",
          "threads",
          "strategy",
          "name",
          "namespace",
          "duration",
          "startup-timeout",
          "health-port",
          "unhealthy-after",
          "lease");
  private static final Set<String> FLAGS = Set.of("json", "stdin", "chaos-hook");

  /**
   * What one run does, from the command line and the environment.
   *
   * @param target the Redis, the token endpoint and the credentials
   * @param strategy how the pod gets its token
   * @param threads caller threads
   * @param name the pod's name in reports
   * @param json JSON lines instead of text
   * @param stdin stop at the end of standard input
   * @param duration stop after this long; zero: run until stopped
   * @param startupTimeout how long to wait for the credential to be seeded
   * @param lease the refresh lock's lease; null: the strategy's default
   * @param chaosHook whether standard input also carries the demo's chaos commands ({@link
   *     ChaosHook}); needs {@code stdin}
   */
  private record Plan(
      Target target,
      Strategy strategy,
      int threads,
      String name,
      boolean json,
      boolean stdin,
      Duration duration,
      Duration startupTimeout,
      @Nullable Duration lease,
      boolean chaosHook) {}

  private WorkerMode() {}

  static int run(
      List<String> arguments,
      PrintStream out,
      InputStream in,
      Function<String, @Nullable String> environment) {
    Args args = Args.parse(arguments, VALUED, FLAGS);
    String secret = ClientSecret.resolve(args.value("client-secret"), environment);
    if (secret == null) {
      throw new UsageException(
          "--client-secret (or "
              + ClientSecret.VARIABLE
              + ", or "
              + ClientSecret.FILE_VARIABLE
              + ") is required");
    }
    Plan plan =
        new Plan(
            new Target(
                args.required("redis"),
                URI.create(args.required("token-endpoint")),
                args.string("client-id", "test-client"),
                secret,
                args.string("namespace", Target.DEFAULT_NAMESPACE)),
            Strategy.parse(args.string("strategy", "tokenherd")),
            args.positiveInt("threads", 16),
            args.string("name", defaultName(environment)),
            args.flag("json"),
            args.flag("stdin"),
            args.duration("duration", Duration.ZERO),
            args.duration("startup-timeout", StartupTimeout.get()),
            args.value("lease") == null ? null : args.duration("lease", Duration.ZERO),
            args.flag("chaos-hook"));
    if (plan.chaosHook() && !plan.stdin()) {
      throw new UsageException("--chaos-hook reads its commands from standard input: add --stdin");
    }
    if (plan.lease() != null && plan.lease().isZero()) {
      throw new UsageException("--lease must be positive");
    }
    Duration unhealthyAfter = args.duration("unhealthy-after", Duration.ofSeconds(10));
    if (unhealthyAfter.isZero()) {
      throw new UsageException("--unhealthy-after must be positive: " + unhealthyAfter);
    }
    Integer healthPort = HealthServer.port(args, environment);

    WorkerHealth health = new WorkerHealth(Clock.systemUTC(), unhealthyAfter);
    try (HealthServer healthServer =
        healthPort == null ? null : HealthServer.start(healthPort, health)) {
      if (healthServer != null) {
        print(
            out,
            plan.json(),
            Map.of("type", "health", "pod", plan.name(), "port", healthServer.port()),
            plan.name()
                + ": health at http://127.0.0.1:"
                + healthServer.port()
                + HealthServer.PATH);
      }
      return serve(plan, health, out, in);
    }
  }

  private static int serve(Plan plan, WorkerHealth health, PrintStream out, InputStream in) {
    Target target = plan.target();
    String name = plan.name();
    boolean json = plan.json();
    Duration duration = plan.duration();
    long startupDeadline = System.nanoTime() + plan.startupTimeout().toNanos();
    CountDownLatch stop = new CountDownLatch(1);
    CountDownLatch done = new CountDownLatch(1);
    ChaosHook hook =
        new ChaosHook(
            () ->
                print(
                    out,
                    json,
                    Map.of("type", "chaos", "event", "sending", "pod", name),
                    name + ": chaos: about to send a token request, holding"));
    if (plan.stdin()) {
      Thread watcher = new Thread(() -> readInput(in, hook, stop), name + "-stdin");
      watcher.setDaemon(true);
      watcher.start();
    }
    Thread shutdown =
        new Thread(
            () -> {
              stop.countDown();
              try {
                done.await(30, TimeUnit.SECONDS);
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
              }
            },
            name + "-shutdown");
    Runtime.getRuntime().addShutdownHook(shutdown);

    RedisClient redis = RedisClient.create(target.redisUri());
    try (StatefulRedisConnection<String, String> totals = redis.connect()) {
      Pod pod =
          new Pod(
              name,
              plan.strategy()
                  .open(
                      target,
                      name,
                      plan.lease(),
                      plan.chaosHook() ? hook::wrap : UnaryOperator.identity()),
              plan.threads());
      // The pod's clients are open: whoever seeds can now do it without the first token's
      // lifetime running out while JVMs start (the fleet demo waits for this line).
      print(out, json, Map.of("type", "opened", "pod", name), name + ": clients open");
      // How long to wait for the fake-auth-server (or a login) to seed the credential: it starts
      // beside this worker, in compose as in the tests.
      while (!target.isSeeded(plan.strategy())) {
        if (System.nanoTime() > startupDeadline) {
          out.println(name + ": no credential was seeded in Redis; is the fake-auth-server up?");
          pod.stop();
          return 1;
        }
        LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(200));
      }
      pod.start();
      health.started(pod::counts);
      print(
          out,
          json,
          Map.of("type", "ready", "pod", name),
          name + ": ready, " + plan.strategy().id());
      long started = System.nanoTime();
      PodHandle.Counts reported = PodHandle.Counts.ZERO;
      while (!awaitQuietly(stop, Duration.ofSeconds(1))) {
        health.sample();
        reported = addTotals(totals, target, pod.counts(), reported);
        print(out, json, report("progress", name, pod.counts(), null), line(name, pod, started));
        if (!duration.isZero() && System.nanoTime() - started >= duration.toNanos()) {
          break;
        }
      }
      health.stopping();
      PodHandle.Waits waits = pod.stop();
      addTotals(totals, target, pod.counts(), reported);
      print(
          out,
          json,
          report("result", name, pod.counts(), waits),
          line(name, pod, started) + " (stopped)");
      return 0;
    } finally {
      redis.shutdown(Duration.ZERO, Duration.ofSeconds(2));
      done.countDown();
      try {
        Runtime.getRuntime().removeShutdownHook(shutdown);
      } catch (IllegalStateException e) {
        // the JVM is shutting down: the hook is running
      }
    }
  }

  private static String defaultName(Function<String, @Nullable String> environment) {
    String host = environment.apply("HOSTNAME");
    return (host == null ? "worker" : host) + "/" + ProcessHandle.current().pid();
  }

  /**
   * Reads standard input until it ends, which stops the worker; its lines are the chaos hook's
   * commands (ignored unless {@code --chaos-hook} put the hook on the endpoint).
   */
  private static void readInput(InputStream in, ChaosHook hook, CountDownLatch stop) {
    try (BufferedReader lines =
        new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
      String line;
      while ((line = lines.readLine()) != null) {
        hook.command(line);
      }
    } catch (IOException e) {
      // treated as the end
    }
    hook.close();
    stop.countDown();
  }

  private static boolean awaitQuietly(CountDownLatch latch, Duration timeout) {
    try {
      return latch.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return true;
    }
  }

  private static PodHandle.Counts addTotals(
      StatefulRedisConnection<String, String> totals,
      Target target,
      PodHandle.Counts now,
      PodHandle.Counts reported) {
    try {
      var commands = totals.sync();
      commands.hincrby(target.totalsHash(), "calls", now.calls() - reported.calls());
      commands.hincrby(target.totalsHash(), "errors", now.errors() - reported.errors());
      commands.hincrby(
          target.totalsHash(), "reauth_required", now.reauthRequired() - reported.reauthRequired());
      return now;
    } catch (RuntimeException e) {
      return reported; // Redis unreachable: added next time
    }
  }

  private static String line(String name, Pod pod, long started) {
    PodHandle.Counts c = pod.counts();
    return String.format(
        "%s: [%3ds] calls %,d  errors %,d  re-login required %,d",
        name,
        (System.nanoTime() - started) / 1_000_000_000L,
        c.calls(),
        c.errors(),
        c.reauthRequired());
  }

  private static Map<String, Object> report(
      String type, String name, PodHandle.Counts counts, PodHandle.@Nullable Waits waits) {
    Map<String, Object> map = new LinkedHashMap<>();
    map.put("type", type);
    map.put("pod", name);
    map.put("calls", counts.calls());
    map.put("errors", counts.errors());
    map.put("reauth_required", counts.reauthRequired());
    if (waits != null) {
      Histogram latencies = waits.latencies();
      map.put("p50_us", latencies.getTotalCount() == 0 ? 0 : latencies.getValueAtPercentile(50));
      map.put("p99_us", latencies.getTotalCount() == 0 ? 0 : latencies.getValueAtPercentile(99));
      map.put("max_us", latencies.getMaxValue());
      map.put("histogram", WorkerProcess.encode(latencies));
      map.put("timeline", waits.timeline().toMap());
    }
    return map;
  }

  private static void print(PrintStream out, boolean json, Map<String, Object> map, String text) {
    if (json) {
      try {
        out.println(JSON.writeValueAsString(map));
      } catch (JsonProcessingException e) {
        throw new UncheckedIOException(e);
      }
    } else {
      out.println(text);
    }
    out.flush();
  }
}

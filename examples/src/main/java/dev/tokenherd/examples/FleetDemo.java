package dev.tokenherd.examples;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;

/**
 * The fleet demo: {@code java -jar fleet-demo.jar [options]}, or one of the modes the docker fleet
 * runs ({@code worker}, {@code fake-auth-server}, {@code totals}). See {@link #USAGE}.
 */
public final class FleetDemo {
  static final String USAGE =
      """
      usage: java -jar fleet-demo.jar [options]            a fleet on this machine, then a summary
               --pods N          pods (default 4)
               --threads N       caller threads per pod (default 16)
               --ttl D           access token lifetime, whole seconds (default 5s)
               --duration D      how long each strategy runs (default 20s; 90s, 1m30s, 500ms)
               --latency D       the fake server's time per token request (default 50ms)
               --strategy S      tokenherd|naive|local|lockpoll (default tokenherd)
               --compare         run all four, one after the other, side by side
               --redis URI       use this Redis instead of starting one
               --processes       each pod its own JVM
               --chaos           run each strategy under faults, pods in worker processes: the pod
                                 about to send a token request is killed (SIGKILL), and in a run
                                 of its own paused (SIGSTOP) past its 2s lease; which fleets keep
                                 the credential alive? (--chaos=kill or --chaos=pause for one;
                                 tokens then default to 20s, runs to 30s)
               --json            end with one JSON line per strategy
               --chart FILE      the PNG of caller waits around expiries
                                 (default fleet-demo-waits.png; --chart none: no picture)
             java -jar fleet-demo.jar --issuer URL|--token-uri URL --client-id ID
               --refresh-token-file F [--client-secret-file F | --public-client] [--scope S]
               [--refresh-ahead FRACTION] [--allow-insecure-http] [--pods N] [--threads N]
               [--duration D] [--redis URI] [--json]
                                 Tokenherd alone against your own authorization server,
                                 starting from the refresh token in F and writing the
                                 rotated one back to F; the client secret from its file
                                 or TOKENHERD_CLIENT_SECRET(_FILE), never the command line
             java -jar fleet-demo.jar worker --redis URI --token-endpoint URI [--client-id ID]
               [--client-secret S] [--threads N] [--strategy S] [--name NAME] [--namespace NS]
               [--duration D] [--json] [--stdin] [--health-port P [--unhealthy-after D]]
               [--lease D] [--chaos-hook]    (the demo's --chaos: lock lease; hold token
                                             requests on the commands read from stdin)
             java -jar fleet-demo.jar fake-auth-server [--port P] [--bind ADDRESS] [--ttl D]
               [--mode revoke-family|grace-period|no-family-revocation|no-rotation|
                omit-refresh-token] [--latency D] [--client-id ID] [--client-secret S]
               [--redis URI [--namespace NS]] [--duration D] [--stdin] [--health-port P]
             java -jar fleet-demo.jar totals --auth-server URI [--redis URI] [--namespace NS]
      environment of worker and fake-auth-server:
             TOKENHERD_CLIENT_SECRET       the client secret, if --client-secret is absent
             TOKENHERD_CLIENT_SECRET_FILE  or the path of a file holding it; not both
             TOKENHERD_HEALTH_PORT         if --health-port is absent: GET 127.0.0.1:P/health
      """;

  private FleetDemo() {}

  /**
   * Runs the demo or a mode and exits: 0 done, 1 could not run here, 2 bad command line or
   * configuration.
   */
  public static void main(String[] args) {
    int status = run(args, System.out, System.err, System.in);
    // client libraries leave non-daemon threads behind; the demo is done
    System.exit(status);
  }

  /**
   * Runs the demo or a mode.
   *
   * @return the exit status: 0 done, 1 could not run here, 2 bad command line
   */
  static int run(String[] argv, PrintStream out, PrintStream err, InputStream in) {
    return run(argv, out, err, in, System::getenv);
  }

  /**
   * Runs the demo or a mode with {@code environment} in place of the process environment.
   *
   * @return the exit status: 0 done, 1 could not run here, 2 bad command line or configuration
   */
  static int run(
      String[] argv,
      PrintStream out,
      PrintStream err,
      InputStream in,
      Function<String, @Nullable String> environment) {
    List<String> args = new ArrayList<>(Arrays.asList(argv));
    try {
      if (!args.isEmpty() && !args.get(0).startsWith("--")) {
        String mode = args.remove(0);
        return switch (mode) {
          case "worker" -> WorkerMode.run(args, out, in, environment);
          case "fake-auth-server" -> FakeAuthServerMode.run(args, out, in, environment);
          case "totals" -> TotalsMode.run(args, out, err);
          case "help" -> {
            out.print(USAGE);
            yield 0;
          }
          default -> throw new UsageException("unknown mode: " + mode);
        };
      }
      if (args.contains("--help")) {
        out.print(USAGE);
        return 0;
      }
      if (OwnServerOptions.isRequested(args)) {
        return OwnServerRun.run(OwnServerOptions.parse(args), out, err, environment);
      }
      return demo(DemoOptions.parse(args), out, err, /* redisOnPath= */ true);
    } catch (UsageException e) {
      err.println("fleet-demo: " + e.getMessage());
      err.print(USAGE);
      return 2;
    } catch (DemoException e) {
      err.println("fleet-demo: " + e.getMessage());
      return 1;
    }
  }

  static int demo(DemoOptions options, PrintStream out, PrintStream err, boolean redisOnPath) {
    List<RunResult> results = new ArrayList<>();
    String given = options.redisUri();
    LocalRedis local = given == null ? LocalRedis.start(redisOnPath, err) : null;
    try {
      String redisUri = local != null ? local.uri() : requireNonNull(given);
      List<Strategy> strategies = options.strategies();
      List<@Nullable ChaosFault> faults =
          options.faults().isEmpty()
              ? java.util.Collections.singletonList(null)
              : List.copyOf(options.faults());
      int count = strategies.size() * faults.size();
      int index = 0;
      for (Strategy strategy : strategies) {
        for (ChaosFault fault : faults) {
          index++;
          err.printf(
              "== %s%s (%d of %d): %s%n   %d pods x %d threads%s, %s tokens (rotation, family"
                  + " revoked on reuse), server latency %s, for %s%n",
              strategy.id(),
              fault == null ? "" : ", chaos: " + fault.id(),
              index,
              count,
              strategy.description(),
              options.pods(),
              options.threads(),
              options.processes() ? " (one JVM each)" : "",
              Durations.format(options.ttl()),
              Durations.format(options.latency()),
              Durations.format(options.duration()));
          if (fault != null) {
            err.printf(
                "   the pod about to send a token request will be %s; lease %s%n",
                fault.description(strategy), Durations.format(ChaosFault.LEASE));
          }
          results.add(FleetRun.run(strategy, fault, options, redisUri, err, index, count));
        }
      }
    } finally {
      if (local != null) {
        local.close();
      }
    }
    out.println();
    out.print(Report.table(results));
    Path chart = options.chart();
    if (chart != null) {
      try {
        out.println(
            "Chart of the waits around expiries: "
                + WaitChart.write(results, chart).toAbsolutePath());
      } catch (IOException | RuntimeException | LinkageError e) {
        // a JDK without AWT or fonts cannot draw; the numbers above stand without the picture
        err.println("fleet-demo: could not draw " + chart + ": " + e);
      }
    }
    if (options.json()) {
      for (RunResult result : results) {
        out.println(result.toJson());
      }
    }
    out.flush();
    return 0;
  }
}

package dev.tokenherd.examples;

import dev.tokenherd.testkit.FakeAuthorizationServer;
import dev.tokenherd.testkit.RotationMode;
import dev.tokenherd.testkit.ServerStats;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;

/**
 * {@code fake-auth-server}: the testkit's {@link FakeAuthorizationServer} as a process, serving
 * until stopped, printing its counters a second and answering {@code GET /stats}. With {@code
 * --redis} it also plays the user who logged in: it issues one token family per layout and stores
 * them in Redis, replacing what is there (a restarted fake server knows none of the old tokens).
 * With {@code --health-port} (or {@value HealthServer#PORT_VARIABLE}) it answers {@code GET
 * /health} with 200 once it serves and the credential is seeded.
 */
final class FakeAuthServerMode {
  private static final Set<String> VALUED =
      Set.of(
          "port",
          "ttl",
          "mode",
          "latency",
          "bind",
          "client-id",
          "client-secret",
          "redis",
          "namespace",
          "duration",
          "health-port");
  private static final Set<String> FLAGS = Set.of("stdin");

  private FakeAuthServerMode() {}

  static int run(
      List<String> arguments,
      PrintStream out,
      InputStream in,
      Function<String, @Nullable String> environment) {
    Args args = Args.parse(arguments, VALUED, FLAGS);
    Duration ttl = args.duration("ttl", Duration.ofSeconds(3));
    if (ttl.toMillis() < 1000 || ttl.toMillis() % 1000 != 0) {
      throw new UsageException("--ttl must be whole seconds, at least 1s: " + ttl);
    }
    String given = ClientSecret.resolve(args.value("client-secret"), environment);
    String secret = given == null ? FakeAuthorizationServer.DEFAULT_CLIENT_SECRET : given;
    RotationMode mode = mode(args.string("mode", "revoke-family"));
    String clientId = args.string("client-id", FakeAuthorizationServer.DEFAULT_CLIENT_ID);
    Duration duration = args.duration("duration", Duration.ZERO);
    Integer healthPort = HealthServer.port(args, environment);
    try (FakeAuthorizationServer server =
        FakeAuthorizationServer.builder()
            .port(args.port("port", 8080))
            .bindAddress(bind(args.string("bind", "127.0.0.1")))
            .rotationMode(mode)
            .accessTokenTtl(ttl)
            .latency(args.duration("latency", Duration.ofMillis(50)))
            .clientId(clientId)
            .clientSecret(secret)
            .requestLogLimit(0)
            .start()) {
      String redis = args.value("redis");
      if (redis != null) {
        new Target(
                redis,
                server.tokenEndpoint(),
                clientId,
                secret,
                args.string("namespace", Target.DEFAULT_NAMESPACE))
            .seed(server.issueTokens("read"), server.issueTokens("read"));
      }
      out.printf(
          "fake-auth-server: port %d, %s, access tokens live %ds%s; GET /stats for the counters%n",
          server.uri().getPort(),
          mode,
          ttl.toSeconds(),
          redis == null ? "" : ", credential seeded in Redis");
      out.flush();
      // healthy from here on: serving, and (with --redis) the credential is seeded, which is
      // what the workers wait for (compose: depends_on ... condition: service_healthy)
      try (HealthServer health =
          healthPort == null
              ? null
              : HealthServer.start(
                  healthPort,
                  () ->
                      HealthServer.Status.up(
                          "serving; token requests " + server.stats().tokenRequests()))) {
        if (health != null) {
          out.printf(
              "fake-auth-server: health at http://127.0.0.1:%d%s%n",
              health.port(), HealthServer.PATH);
          out.flush();
        }
        return serve(server, args.flag("stdin"), duration, out, in);
      }
    }
  }

  private static int serve(
      FakeAuthorizationServer server,
      boolean stdin,
      Duration duration,
      PrintStream out,
      InputStream in) {
    CountDownLatch stop = new CountDownLatch(1);
    if (stdin) {
      Thread watcher =
          new Thread(
              () -> {
                try {
                  while (in.read() >= 0) {
                    // only the end of input matters
                  }
                } catch (IOException e) {
                  // the end
                }
                stop.countDown();
              },
              "fake-auth-server-stdin");
      watcher.setDaemon(true);
      watcher.start();
    }
    long started = System.nanoTime();
    while (!await(stop)) {
      out.println(statsLine((System.nanoTime() - started) / 1_000_000_000L, server.stats()));
      out.flush();
      if (!duration.isZero() && System.nanoTime() - started >= duration.toNanos()) {
        break;
      }
    }
    return 0;
  }

  static String statsLine(long seconds, ServerStats s) {
    return String.format(
        "fake-auth-server: [%3ds] token requests %,d  refresh events %,d  reuse detected %,d"
            + "  families revoked %,d  invalid_grant %,d",
        seconds,
        s.tokenRequests(),
        s.refreshEvents(),
        s.reuseDetections(),
        s.familiesRevoked(),
        s.invalidGrants());
  }

  private static boolean await(CountDownLatch stop) {
    try {
      return stop.await(1, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return true;
    }
  }

  static RotationMode mode(String value) {
    return switch (value.toLowerCase(Locale.ROOT)) {
      case "revoke-family" -> RotationMode.ROTATE_REVOKE_FAMILY_ON_REUSE;
      case "grace-period" -> RotationMode.ROTATE_WITH_GRACE_PERIOD;
      case "no-family-revocation" -> RotationMode.ROTATE_NO_FAMILY_REVOCATION;
      case "no-rotation" -> RotationMode.NO_ROTATION;
      case "omit-refresh-token" -> RotationMode.OMIT_REFRESH_TOKEN;
      default ->
          throw new UsageException(
              "--mode must be one of revoke-family|grace-period|no-family-revocation|"
                  + "no-rotation|omit-refresh-token: "
                  + value);
    };
  }

  private static InetAddress bind(String host) {
    try {
      return InetAddress.getByName(host);
    } catch (UnknownHostException e) {
      throw new UsageException("--bind must be an address: " + host);
    }
  }
}

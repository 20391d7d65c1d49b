package dev.tokenherd.coordinator.redis.fleet;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tokenherd.TokenHerd;
import dev.tokenherd.coordinator.CoordinatorStats;
import dev.tokenherd.coordinator.TokenCoordinator;
import dev.tokenherd.coordinator.oauth2.OAuth2TokenEndpoint;
import dev.tokenherd.coordinator.redis.RedisBackend;
import dev.tokenherd.testkit.ProcessArguments;
import dev.tokenherd.testkit.StartupTimeout;
import java.io.InputStream;
import java.net.URI;
import java.time.Clock;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One fleet worker in its own JVM, for the multi-process tests: its own Redis clients, its own herd
 * and its own caller threads on one credential. Arguments are {@code name=value} pairs ({@code
 * redis, tokenUri, clientId, clientSecret, namespace, threads, workerId}). It runs until its
 * standard input closes, then prints one JSON line with what its callers saw.
 */
public final class FleetWorkerMain {
  private FleetWorkerMain() {}

  /**
   * Runs the worker.
   *
   * @param args {@code name=value} pairs
   * @throws Exception if the worker cannot start
   */
  public static void main(String[] args) throws Exception {
    ProcessArguments options = ProcessArguments.parse(args);
    String workerId = options.get("workerId", "worker");
    int threads = Integer.parseInt(options.get("threads", "32"));
    OAuth2TokenEndpoint endpoint =
        FleetSettings.endpoint(
            URI.create(options.required("tokenUri")),
            options.required("clientId"),
            options.required("clientSecret"));
    Clock clock = Clock.systemUTC();
    Map<String, Object> report = new LinkedHashMap<>();
    try (RedisBackend redis =
            StartupTimeout.retry(
                "connecting to Redis",
                () ->
                    RedisBackend.builder()
                        .uri(options.required("redis"))
                        .namespace(options.get("namespace", "tokenherd"))
                        .build());
        TokenHerd herd =
            redis
                .configure(TokenHerd.builder())
                .workerId(workerId)
                .refreshPolicy(FleetSettings.policy())
                .build()) {
      TokenCoordinator coordinator = herd.coordinator(FleetSettings.KEY, endpoint);
      System.out.println("ready");
      System.out.flush();
      try (CallerLoad load =
          new CallerLoad(workerId, coordinator, threads, clock, (token, at) -> true)) {
        InputStream in = System.in;
        while (in.read() >= 0) {
          // The parent closes our standard input to stop us.
        }
        load.close();
        report.put("worker", workerId);
        report.put("calls", load.calls());
        report.put("expiredServed", load.expiredServed());
        report.put("versionRegressions", load.versionRegressions());
        report.put("errors", load.errors());
        CoordinatorStats stats = coordinator.stats();
        report.put("tokenRequests", stats.tokenRequests());
        report.put("refreshes", stats.refreshes());
        report.put("lostRotations", stats.lostRotations());
      }
    }
    System.out.println(new ObjectMapper().writeValueAsString(report));
    System.out.flush();
  }
}

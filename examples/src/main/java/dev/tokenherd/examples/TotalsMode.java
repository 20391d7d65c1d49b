package dev.tokenherd.examples;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * {@code totals}: one JSON line with the fleet's totals: the fake server's counters ({@code GET
 * /stats}) and, with {@code --redis}, what the workers added up in Redis.
 */
final class TotalsMode {
  private static final ObjectMapper JSON = new ObjectMapper();

  private TotalsMode() {}

  static int run(List<String> arguments, PrintStream out, PrintStream err) {
    Args args = Args.parse(arguments, Set.of("auth-server", "redis", "namespace"), Set.of());
    URI stats = URI.create(args.required("auth-server")).resolve("/stats");
    ObjectNode totals = JSON.createObjectNode();
    try {
      HttpResponse<String> response =
          HttpClient.newBuilder()
              .connectTimeout(Duration.ofSeconds(5))
              .build()
              .send(
                  HttpRequest.newBuilder(stats).timeout(Duration.ofSeconds(5)).GET().build(),
                  HttpResponse.BodyHandlers.ofString());
      if (response.statusCode() != 200) {
        err.println("totals: " + stats + " answered " + response.statusCode());
        return 1;
      }
      JsonNode server = JSON.readTree(response.body());
      totals.set("server", server);
    } catch (IOException e) {
      err.println("totals: cannot reach " + stats + ": " + e);
      return 1;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return 1;
    }
    String redis = args.value("redis");
    if (redis != null) {
      Target target =
          new Target(
              redis, stats, "unused", "unused", args.string("namespace", Target.DEFAULT_NAMESPACE));
      ObjectNode workers = totals.putObject("workers");
      for (Map.Entry<String, String> field : target.totals().entrySet()) {
        workers.put(field.getKey(), Long.parseLong(field.getValue()));
      }
    }
    out.println(totals);
    return 0;
  }
}

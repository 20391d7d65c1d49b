package dev.tokenherd.benchmarks;

import static java.util.Objects.requireNonNull;

import dev.tokenherd.benchmarks.TimedEndpoint.TokenCall;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * The Redis requests a Tokenherd fleet's clients sent per refresh, split between the refresh's
 * holder (the pod that sent the token request) and every other pod.
 *
 * <p>Each request a pod sent while the callers ran is given to the nearest token request in time
 * (its send-to-answer interval), if one is within {@link #WINDOW_MICROS}; the rest are counted as
 * outside every refresh (a pod's first load of the record at the start, and anything a hot path
 * would send: there should be nothing else). Refreshes are far apart (a token lifetime times the
 * refresh-ahead fraction), their traffic lasts milliseconds, so the nearest one is the one a
 * request belongs to.
 *
 * @param refreshes token requests the requests were counted against: those that ended, with a token
 *     set, while the callers ran (a refresh cut by the end of the cell is left out, its requests
 *     too; see {@code cut})
 * @param holderMean the holder's requests per refresh, mean
 * @param holderMax the holder's requests in one refresh, most
 * @param otherMean every other pod's requests per refresh, mean over pods and refreshes (NaN with
 *     one pod)
 * @param otherMax one other pod's requests in one refresh, most
 * @param outside requests outside every refresh's window
 * @param holderSequence the holder's most frequent sequence of requests and how often it occurred
 * @param otherSequence another pod's most frequent sequence and how often it occurred
 * @param holderByLabel the holder's requests per refresh by kind
 * @param otherByLabel the other pods' requests per pod per refresh by kind
 * @param outsideByLabel the requests outside every refresh by kind
 * @param cut token requests left out: still in flight, failed, or answered after the callers
 *     stopped
 */
record RoundTrips(
    int refreshes,
    double holderMean,
    int holderMax,
    double otherMean,
    int otherMax,
    long outside,
    String holderSequence,
    String otherSequence,
    Map<String, Double> holderByLabel,
    Map<String, Double> otherByLabel,
    Map<String, Long> outsideByLabel,
    int cut) {

  /**
   * A request a pod sent to Redis, as its {@link dev.tokenherd.examples.resp.RequestCountingProxy}
   * saw it.
   *
   * @param micros when it reached the proxy, on the cell's time base
   * @param pod the pod whose proxy it went through
   * @param connection the proxy's number for the connection
   * @param arguments the command and its arguments
   */
  record Request(long micros, String pod, int connection, List<String> arguments) {}

  /** A request further than this from every token request belongs to none. */
  static final long WINDOW_MICROS = 700_000;

  /** No measurement (the peers' cells run without the proxies). */
  static final RoundTrips NONE =
      new RoundTrips(0, Double.NaN, 0, Double.NaN, 0, 0, "", "", Map.of(), Map.of(), Map.of(), 0);

  RoundTrips {
    requireNonNull(holderSequence, "holderSequence");
    requireNonNull(otherSequence, "otherSequence");
    holderByLabel = Map.copyOf(holderByLabel);
    otherByLabel = Map.copyOf(otherByLabel);
    outsideByLabel = Map.copyOf(outsideByLabel);
  }

  /**
   * Counts {@code requests} against {@code calls}.
   *
   * @param pods every pod's name
   * @param requests what the pods sent, in any order
   * @param calls the token requests, in any order
   * @param fromMicros the callers' start; earlier requests (opening the clients) are not counted
   * @param toMicros the callers' stop; later requests (closing) are not counted
   */
  static RoundTrips of(
      List<String> pods,
      Collection<Request> requests,
      Collection<TokenCall> calls,
      long fromMicros,
      long toMicros) {
    List<TokenCall> anchors =
        calls.stream().sorted(Comparator.comparingLong(TokenCall::sentMicros)).toList();
    List<Request> sorted =
        requests.stream()
            .filter(r -> r.micros() >= fromMicros && r.micros() <= toMicros)
            .sorted(Comparator.comparingLong(Request::micros))
            .toList();
    // per refresh, per pod: the labels of what it sent, in order
    List<Map<String, List<String>>> perRefresh = new ArrayList<>();
    for (int i = 0; i < anchors.size(); i++) {
      Map<String, List<String>> byPod = new LinkedHashMap<>();
      for (String pod : pods) {
        byPod.put(pod, new ArrayList<>());
      }
      perRefresh.add(byPod);
    }
    Map<String, Long> outsideByLabel = new TreeMap<>();
    long outside = 0;
    for (Request request : sorted) {
      int nearest = -1;
      long best = Long.MAX_VALUE;
      for (int i = 0; i < anchors.size(); i++) {
        TokenCall call = anchors.get(i);
        long distance =
            request.micros() < call.sentMicros()
                ? call.sentMicros() - request.micros()
                : Math.max(0, request.micros() - call.endedMicros());
        if (distance < best) {
          best = distance;
          nearest = i;
        }
      }
      String label = label(request.arguments());
      if (nearest < 0 || best > WINDOW_MICROS) {
        outside++;
        outsideByLabel.merge(label, 1L, Long::sum);
        continue;
      }
      perRefresh.get(nearest).computeIfAbsent(request.pod(), p -> new ArrayList<>()).add(label);
    }
    long holderTotal = 0;
    int holderMax = 0;
    long otherTotal = 0;
    int otherCount = 0;
    int otherMax = 0;
    Map<String, Integer> holderSequences = new HashMap<>();
    Map<String, Integer> otherSequences = new HashMap<>();
    Map<String, Long> holderLabels = new TreeMap<>();
    Map<String, Long> otherLabels = new TreeMap<>();
    int refreshes = 0;
    for (int i = 0; i < anchors.size(); i++) {
      TokenCall call = anchors.get(i);
      if (!call.answered() || call.endedMicros() > toMicros) {
        continue; // cut by the end of the cell, or failed: not a whole refresh
      }
      refreshes++;
      String holder = call.pod();
      for (Map.Entry<String, List<String>> pod : perRefresh.get(i).entrySet()) {
        List<String> sent = pod.getValue();
        String sequence = String.join(" → ", sent);
        if (pod.getKey().equals(holder)) {
          holderTotal += sent.size();
          holderMax = Math.max(holderMax, sent.size());
          holderSequences.merge(sequence, 1, Integer::sum);
          sent.forEach(l -> holderLabels.merge(l, 1L, Long::sum));
        } else {
          otherTotal += sent.size();
          otherCount++;
          otherMax = Math.max(otherMax, sent.size());
          otherSequences.merge(sequence, 1, Integer::sum);
          sent.forEach(l -> otherLabels.merge(l, 1L, Long::sum));
        }
      }
    }
    if (refreshes == 0) {
      return new RoundTrips(
          0,
          Double.NaN,
          0,
          Double.NaN,
          0,
          outside,
          "",
          "",
          Map.of(),
          Map.of(),
          outsideByLabel,
          anchors.size());
    }
    return new RoundTrips(
        refreshes,
        (double) holderTotal / refreshes,
        holderMax,
        otherCount == 0 ? Double.NaN : (double) otherTotal / otherCount,
        otherMax,
        outside,
        mostFrequent(holderSequences, refreshes),
        mostFrequent(otherSequences, otherCount),
        divided(holderLabels, refreshes),
        divided(otherLabels, otherCount),
        outsideByLabel,
        anchors.size() - refreshes);
  }

  private static String mostFrequent(Map<String, Integer> sequences, int of) {
    return sequences.entrySet().stream()
        .max(
            Map.Entry.<String, Integer>comparingByValue().thenComparing(Map.Entry.comparingByKey()))
        .map(
            e ->
                String.format(
                    Locale.ROOT,
                    "%s (%d of %d)",
                    e.getKey().isEmpty() ? "nothing" : e.getKey(),
                    e.getValue(),
                    of))
        .orElse("");
  }

  private static Map<String, Double> divided(Map<String, Long> counts, int by) {
    Map<String, Double> out = new TreeMap<>();
    if (by > 0) {
      counts.forEach((label, count) -> out.put(label, (double) count / by));
    }
    return out;
  }

  /**
   * Names a request for the report: Tokenherd's record reads and writes, Redisson's lock scripts,
   * the change feed's subscriptions, by the keys they touch and, for the store's write script, by
   * what it writes (a content change bumps the version; a mark does not).
   */
  static String label(List<String> arguments) {
    if (arguments.isEmpty()) {
      return "(empty)";
    }
    String name = arguments.get(0).toUpperCase(Locale.ROOT);
    switch (name) {
      case "EVAL", "EVALSHA" -> {
        return script(name, arguments);
      }
      case "HGETALL" -> {
        return arguments.size() > 1 && arguments.get(1).endsWith(":record")
            ? "read"
            : "HGETALL " + role(arguments.size() > 1 ? arguments.get(1) : "");
      }
      case "SUBSCRIBE", "UNSUBSCRIBE", "PSUBSCRIBE", "PUNSUBSCRIBE", "PUBLISH", "PING", "WAIT" -> {
        return name.toLowerCase(Locale.ROOT);
      }
      case "HELLO", "AUTH", "SELECT", "CLIENT", "READONLY", "QUIT" -> {
        return "connection setup (" + name.toLowerCase(Locale.ROOT) + ")";
      }
      default -> {
        return name + (arguments.size() > 1 ? " " + role(arguments.get(1)) : "");
      }
    }
  }

  private static String script(String name, List<String> arguments) {
    if (arguments.size() < 3) {
      return name;
    }
    int keys;
    try {
      keys = Integer.parseInt(arguments.get(2));
    } catch (NumberFormatException e) {
      return name;
    }
    List<String> roles = new ArrayList<>();
    for (int i = 3; i < 3 + keys && i < arguments.size(); i++) {
      roles.add(role(arguments.get(i)));
    }
    List<String> argv = arguments.subList(Math.min(3 + keys, arguments.size()), arguments.size());
    if (roles.equals(List.of("record")) && argv.size() >= 6) {
      // compare-and-set.lua: ARGV[1] expected version, ARGV[3] next version, ARGV[6] mark id
      boolean content = !argv.get(0).equals(argv.get(2));
      return content ? "write" : argv.get(5).isEmpty() ? "unmark" : "mark";
    }
    if (roles.contains("lock") && roles.contains("fence")) {
      return "lock";
    }
    if (roles.contains("lock") && roles.contains("channel")) {
      return "unlock";
    }
    return "script[" + String.join(",", roles) + "]";
  }

  private static String role(String key) {
    if (key.contains("redisson_lock_token")) {
      return "fence";
    }
    if (key.contains("redisson_lock__channel")) {
      return "channel";
    }
    if (key.contains("redisson_unlock_latch")) {
      return "latch";
    }
    if (key.endsWith(":record")) {
      return "record";
    }
    if (key.endsWith(":lock")) {
      return "lock";
    }
    if (key.endsWith(":changed")) {
      return "changed";
    }
    return "key";
  }
}

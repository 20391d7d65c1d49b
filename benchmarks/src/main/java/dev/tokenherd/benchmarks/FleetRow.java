package dev.tokenherd.benchmarks;

import static java.util.Objects.requireNonNull;

import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * One cell's numbers: a row of {@code fleet.csv}. Counts run up to the revocation when the server
 * revoked the token family (see {@link #revokedAfterMillis()}), else over the whole cell. Times are
 * microseconds; NaN stands for "not defined" (no refresh, no call in a window, no token that
 * reached every pod) and is written as an empty CSV field.
 *
 * @param strategy the strategy's id
 * @param redis the Redis deployment's id ({@link FleetTopology#id()})
 * @param pods pods in the fleet
 * @param threads caller threads per pod
 * @param refreshEvents refresh_token grants that advanced the credential
 * @param tokenRequests token requests of the refresh events: those that presented a refresh token
 *     that was rotated in the cell, plus any other received before the revocation
 * @param reuseDetected rotated-away refresh tokens presented (reuse detections)
 * @param familiesRevoked token families the server revoked
 * @param tokenRequestsTotal every token request the server received during the cell, including
 *     those of a fleet already logged out
 * @param invalidGrants token requests answered {@code invalid_grant}
 * @param revokedAfterMillis when the family was revoked, in ms since the cell began; -1 if never
 * @param waitCalls calls that started in the windows around expiries and refreshes
 * @param p50Wait median wait of those calls
 * @param p99Wait 99th percentile wait of those calls
 * @param maxWait longest wait of those calls
 * @param propagationP99 99th percentile time from the holder's receipt of a new token to the last
 *     pod serving it
 * @param propagatedTokens how many new tokens reached every pod (the propagation sample size)
 * @param redisCommands Redis commands during the cell ({@code INFO commandstats} delta, without
 *     {@code info} and {@code ping}; summed over a cluster's masters)
 * @param redisCommandsByName the same commands by name (lower case), for the breakdown
 * @param redisRtt median round trip of a {@code PING} just before the cell (to a cluster's master
 *     of the credential's slot)
 * @param calls calls made by the fleet
 * @param errors calls that failed
 * @param durationMillis how long the callers ran
 * @param roundTrips the requests the pods' Redis clients sent per refresh, holder and others
 *     ({@link RoundTrips#NONE} for the peers and on a cluster, whose pods are not behind the
 *     counting proxies)
 */
record FleetRow(
    String strategy,
    String redis,
    int pods,
    int threads,
    long refreshEvents,
    long tokenRequests,
    long reuseDetected,
    long familiesRevoked,
    long tokenRequestsTotal,
    long invalidGrants,
    long revokedAfterMillis,
    long waitCalls,
    double p50Wait,
    double p99Wait,
    double maxWait,
    double propagationP99,
    int propagatedTokens,
    long redisCommands,
    Map<String, Long> redisCommandsByName,
    double redisRtt,
    long calls,
    long errors,
    long durationMillis,
    RoundTrips roundTrips) {

  FleetRow {
    requireNonNull(strategy, "strategy");
    requireNonNull(redis, "redis");
    requireNonNull(roundTrips, "roundTrips");
    redisCommandsByName = Collections.unmodifiableMap(new TreeMap<>(redisCommandsByName));
  }

  /** Token requests per refresh event: 1 is the ideal; NaN without a refresh. */
  double requestsPerRefresh() {
    return refreshEvents == 0 ? Double.NaN : (double) tokenRequests / refreshEvents;
  }

  /** Redis commands per refresh event; NaN without a refresh. */
  double redisCommandsPerRefresh() {
    return refreshEvents == 0 ? Double.NaN : (double) redisCommands / refreshEvents;
  }

  /**
   * Returns the commands by name, each per refresh event and pod, the most frequent first; empty
   * without a refresh.
   */
  List<Map.Entry<String, Double>> redisCommandsPerRefreshPerPod() {
    if (refreshEvents == 0) {
      return List.of();
    }
    double per = (double) refreshEvents * pods;
    return redisCommandsByName.entrySet().stream()
        .sorted(
            Map.Entry.<String, Long>comparingByValue()
                .reversed()
                .thenComparing(Map.Entry.comparingByKey()))
        .map(e -> Map.entry(e.getKey(), e.getValue() / per))
        .toList();
  }

  /**
   * Returns whether a command is one a cluster client sends to learn the layout or to open a
   * connection ({@code cluster|nodes}, {@code hello}, {@code client|setname}, ...), at a pace set
   * by the clock and the topology refresh period, not by refreshes.
   */
  static boolean isTopologyOrHandshake(String command) {
    return command.startsWith("cluster|")
        || command.startsWith("client|")
        || command.equals("hello");
  }

  /** Topology reads and connection handshakes ({@link #isTopologyOrHandshake}) per refresh. */
  double topologyCommandsPerRefresh() {
    if (refreshEvents == 0) {
      return Double.NaN;
    }
    long topology =
        redisCommandsByName.entrySet().stream()
            .filter(e -> isTopologyOrHandshake(e.getKey()))
            .mapToLong(Map.Entry::getValue)
            .sum();
    return (double) topology / refreshEvents;
  }

  /** The propagation time as a multiple of the Redis round trip; NaN if either is undefined. */
  double propagationInRoundTrips() {
    return redisRtt > 0 ? propagationP99 / redisRtt : Double.NaN;
  }

  boolean revoked() {
    return revokedAfterMillis >= 0;
  }
}

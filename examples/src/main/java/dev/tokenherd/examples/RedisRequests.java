package dev.tokenherd.examples;

import dev.tokenherd.examples.resp.RequestCountingProxy;
import java.net.URI;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.LongAdder;
import org.jspecify.annotations.Nullable;

/**
 * Counts the Redis requests a strategy's pods send while their callers run: one {@link
 * RequestCountingProxy} in front of the demo's Redis, whose address the pods are given instead. A
 * request is what a client sends and waits for (one round trip, or one slot of a pipeline); the
 * commands a Lua script runs inside Redis are not requests, so this counts less than {@code INFO
 * commandstats} does. The demo's own bookkeeping (the workers adding up their totals) is left out.
 * A TLS Redis ({@code rediss://}) cannot be read in passing: there the count is unknown.
 */
final class RedisRequests implements AutoCloseable {
  private final @Nullable RequestCountingProxy proxy;
  private final String podUri;
  private final LongAdder counted = new LongAdder();
  private volatile long fromNanos = Long.MAX_VALUE;
  private volatile long toNanos = Long.MAX_VALUE;

  private RedisRequests(String redisUri, String totalsHash) {
    URI uri = URI.create(redisUri);
    if (!"redis".equals(uri.getScheme()) || uri.getHost() == null) {
      this.proxy = null;
      this.podUri = redisUri;
      return;
    }
    String totalsKey = totalsHash.toLowerCase(Locale.ROOT);
    this.proxy =
        RequestCountingProxy.start(
            "fleet-demo",
            uri.getHost(),
            uri.getPort() < 0 ? 6379 : uri.getPort(),
            (arrived, connection, arguments) -> {
              if (arrived >= fromNanos
                  && arrived <= toNanos
                  && !isBookkeeping(arguments, totalsKey)) {
                counted.increment();
              }
            });
    // raw parts, as given: the password stays encoded exactly as the user wrote it
    this.podUri =
        uri.getScheme()
            + "://"
            + (uri.getRawUserInfo() == null ? "" : uri.getRawUserInfo() + "@")
            + "127.0.0.1:"
            + proxy.port()
            + (uri.getRawPath() == null ? "" : uri.getRawPath())
            + (uri.getRawQuery() == null ? "" : "?" + uri.getRawQuery());
  }

  /**
   * Starts counting in front of {@code redisUri}.
   *
   * @param redisUri the demo's Redis
   * @param totalsHash the key the workers add their totals to, whose writes are not counted
   */
  static RedisRequests start(String redisUri, String totalsHash) {
    return new RedisRequests(redisUri, totalsHash);
  }

  /** The Redis URI to give the pods: the proxy's, with the same credentials and database. */
  String podUri() {
    return podUri;
  }

  /** Counts from now on. */
  void startCounting() {
    fromNanos = System.nanoTime();
  }

  /** Stops counting. */
  void stopCounting() {
    toNanos = System.nanoTime();
  }

  /** Requests counted between {@link #startCounting()} and {@link #stopCounting()}; -1: unknown. */
  long count() {
    return proxy == null ? -1 : counted.sum();
  }

  private static boolean isBookkeeping(List<String> arguments, String totalsKey) {
    return arguments.size() > 1
        && arguments.get(0).equalsIgnoreCase("HINCRBY")
        && arguments.get(1).toLowerCase(Locale.ROOT).equals(totalsKey);
  }

  @Override
  public void close() {
    if (proxy != null) {
      proxy.close();
    }
  }
}

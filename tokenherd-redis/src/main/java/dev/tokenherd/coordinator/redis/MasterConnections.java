package dev.tokenherd.coordinator.redis;

import io.lettuce.core.RedisURI;
import io.lettuce.core.cluster.event.ClusterTopologyChangedEvent;
import io.lettuce.core.cluster.models.partitions.Partitions;
import io.lettuce.core.cluster.models.partitions.RedisClusterNode;
import io.lettuce.core.resource.ClientResources;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.function.BiFunction;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.Disposable;

/**
 * Keeps a Lettuce cluster connection connected to every master, so that a command is never refused
 * for a node connection still being opened.
 *
 * <p>Lettuce opens its connection to a cluster node on the first command routed there; a client
 * that rejects commands while disconnected (as the backend's clients do, so that nothing is
 * buffered and replayed late) also rejects the commands that find that connection still opening:
 * the first write to each master, and the first after a failover promoted a new one. So the
 * connections to every master are opened at start, and again whenever the client sees the topology
 * change.
 */
final class MasterConnections {
  private static final Logger log = LoggerFactory.getLogger(RedisBackend.class);

  /** How long the start waits for the masters' connections; a slow one is opened later anyway. */
  private static final Duration START_WAIT = Duration.ofSeconds(10);

  private MasterConnections() {}

  /**
   * Opens the connections to every master now (waiting up to {@link #START_WAIT}) and after every
   * topology change.
   *
   * @param resources the client's resources, whose event bus announces topology changes
   * @param partitions the connection's view of the cluster
   * @param connect opens (or returns) the connection's connection to {@code host:port}
   * @return the subscription to topology changes; dispose it when the connection closes
   */
  static Disposable keep(
      ClientResources resources,
      Supplier<Partitions> partitions,
      BiFunction<String, Integer, CompletionStage<?>> connect) {
    CompletableFuture<?> all = open(partitions, connect);
    try {
      all.get(START_WAIT.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (Exception e) {
      log.debug("not every cluster master could be connected at start", e);
    }
    return resources
        .eventBus()
        .get()
        .filter(e -> e instanceof ClusterTopologyChangedEvent)
        .subscribe(
            e -> {
              // Each connection's failure is logged inside; nothing to wait for here.
              CompletableFuture<?> unused = open(partitions, connect);
            },
            e -> log.debug("the cluster client's events ended", e));
  }

  private static CompletableFuture<?> open(
      Supplier<Partitions> partitions, BiFunction<String, Integer, CompletionStage<?>> connect) {
    return CompletableFuture.allOf(
        partitions.get().stream()
            .filter(node -> node.is(RedisClusterNode.NodeFlag.UPSTREAM))
            .map(RedisClusterNode::getUri)
            .map(uri -> open(uri, connect))
            .toArray(CompletableFuture[]::new));
  }

  private static CompletableFuture<?> open(
      RedisURI uri, BiFunction<String, Integer, CompletionStage<?>> connect) {
    try {
      return connect
          .apply(uri.getHost(), uri.getPort())
          .toCompletableFuture()
          .exceptionally(
              e -> {
                log.debug("cannot connect to cluster master {}:{}", uri.getHost(), uri.getPort());
                return null;
              });
    } catch (RuntimeException e) {
      log.debug("cannot connect to cluster master {}:{}", uri.getHost(), uri.getPort(), e);
      return CompletableFuture.completedFuture(null);
    }
  }
}

package dev.tokenherd.coordinator.redis;

import io.lettuce.core.api.StatefulConnection;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.cluster.api.StatefulRedisClusterConnection;
import io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands;
import io.lettuce.core.cluster.models.partitions.RedisClusterNode;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.jspecify.annotations.Nullable;
import reactor.core.Disposable;

/**
 * The connections a {@link RedisTokenStore} talks through, and where a write's {@code WAIT} must
 * follow it.
 *
 * <p>{@code WAIT} counts the replicas that acknowledged the last write <em>of the connection it is
 * sent on</em>: sent on any other connection it answers for other writes, or at once for none. On
 * one server (standalone, or the master a Sentinel group names) the store writes on one connection
 * and waits on it. On a Redis Cluster, Lettuce routes each write to the master of its key's slot
 * (following {@code MOVED} and {@code ASK} during a migration), over its connection to that node;
 * which node that was, only the node can say: the write script returns its {@code CLUSTER MYID},
 * and the {@code WAIT} goes to Lettuce's connection to that node, the one the routed write went out
 * on. Lettuce offers no way to learn where a routed command went, and pinning writes to a node by
 * hand would mean re-implementing its redirections.
 */
abstract class StoreConnections implements AutoCloseable {
  private final RedisClusterAsyncCommands<String, String> reads;
  private final RedisClusterAsyncCommands<String, String> writes;
  private final List<StatefulConnection<String, String>> owned;

  private StoreConnections(
      StatefulConnection<String, String> reads,
      StatefulConnection<String, String> writes,
      List<? extends StatefulConnection<String, String>> owned) {
    this.reads = commands(reads);
    this.writes = commands(writes);
    this.owned = List.copyOf(owned);
  }

  private static RedisClusterAsyncCommands<String, String> commands(
      StatefulConnection<String, String> connection) {
    return connection instanceof StatefulRedisClusterConnection<String, String> cluster
        ? cluster.async()
        : ((StatefulRedisConnection<String, String>) connection).async();
  }

  /** Returns the commands reads go out on. */
  final RedisClusterAsyncCommands<String, String> reads() {
    return reads;
  }

  /** Returns the commands writes go out on; a re-read after a timed-out write follows them. */
  final RedisClusterAsyncCommands<String, String> writes() {
    return writes;
  }

  /** Whether the store publishes on shard channels ({@code SPUBLISH}): a cluster. */
  abstract boolean sharded();

  /**
   * Returns the commands a {@code WAIT} for an applied write goes out on.
   *
   * @param node the node the write script said applied it (clustered stores), or empty
   * @return a stage failed if that connection cannot be found (the node left the client's view of
   *     the cluster); the caller then counts no replica
   */
  abstract CompletionStage<RedisClusterAsyncCommands<String, String>> waitOn(String node);

  /** Returns the connection to a single server's reads, or {@code null} for a cluster. */
  abstract @Nullable StatefulRedisConnection<String, String> single();

  /** Closes the connections this store opened; given ones stay open. */
  @Override
  public void close() {
    RuntimeException failure = null;
    for (StatefulConnection<String, String> connection : owned) {
      try {
        connection.close();
      } catch (RuntimeException e) {
        if (failure == null) {
          failure = e;
        } else {
          failure.addSuppressed(e);
        }
      }
    }
    if (failure != null) {
      throw failure;
    }
  }

  /** One server: a connection for reads and writes, or two when writes wait for replicas. */
  static StoreConnections single(
      StatefulRedisConnection<String, String> reads,
      StatefulRedisConnection<String, String> writes,
      List<StatefulRedisConnection<String, String>> owned) {
    return new Single(reads, writes, owned);
  }

  /** A cluster: the same, on Lettuce's cluster connections. */
  static StoreConnections cluster(
      StatefulRedisClusterConnection<String, String> reads,
      StatefulRedisClusterConnection<String, String> writes,
      List<StatefulRedisClusterConnection<String, String>> owned) {
    return new Cluster(reads, writes, owned);
  }

  private static final class Single extends StoreConnections {
    private final StatefulRedisConnection<String, String> reads;

    Single(
        StatefulRedisConnection<String, String> reads,
        StatefulRedisConnection<String, String> writes,
        List<StatefulRedisConnection<String, String>> owned) {
      super(reads, writes, owned);
      this.reads = reads;
    }

    @Override
    boolean sharded() {
      return false;
    }

    @Override
    CompletionStage<RedisClusterAsyncCommands<String, String>> waitOn(String node) {
      return CompletableFuture.completedFuture(writes());
    }

    @Override
    StatefulRedisConnection<String, String> single() {
      return reads;
    }
  }

  private static final class Cluster extends StoreConnections {
    private final StatefulRedisClusterConnection<String, String> writes;
    private final List<Disposable> connected;

    Cluster(
        StatefulRedisClusterConnection<String, String> reads,
        StatefulRedisClusterConnection<String, String> writes,
        List<StatefulRedisClusterConnection<String, String>> owned) {
      super(reads, writes, owned);
      this.writes = writes;
      this.connected =
          (reads == writes ? List.of(reads) : List.of(reads, writes))
              .stream()
                  .map(
                      c ->
                          MasterConnections.keep(
                              c.getResources(), c::getPartitions, c::getConnectionAsync))
                  .toList();
    }

    @Override
    public void close() {
      connected.forEach(Disposable::dispose);
      super.close();
    }

    @Override
    boolean sharded() {
      return true;
    }

    /**
     * Lettuce's connection to {@code node} with the write intent: the routed writes to that node go
     * out on it (both are keyed by the node's host and port).
     */
    @Override
    CompletionStage<RedisClusterAsyncCommands<String, String>> waitOn(String node) {
      RedisClusterNode target =
          node.isEmpty() ? null : writes.getPartitions().getPartitionByNodeId(node);
      if (target == null) {
        return CompletableFuture.failedFuture(
            new IllegalStateException(
                node.isEmpty()
                    ? "the write script could not say which node applied the write (CLUSTER"
                        + " MYID refused? allow +cluster|myid for the Redis user)"
                    : "node " + node + " is not in the client's view of the cluster"));
      }
      return writes
          .getConnectionAsync(target.getUri().getHost(), target.getUri().getPort())
          .thenApply(StatefulRedisConnection::async);
    }

    @Override
    @Nullable StatefulRedisConnection<String, String> single() {
      return null;
    }
  }
}

package dev.tokenherd.coordinator.redis;

import static dev.tokenherd.coordinator.redis.internal.Dispatch.dispatch;

import dev.tokenherd.coordinator.StoreMisconfiguredException;
import dev.tokenherd.coordinator.TokenKey;
import dev.tokenherd.coordinator.redis.internal.ChangeMessage;
import dev.tokenherd.coordinator.redis.internal.RedisErrors;
import dev.tokenherd.coordinator.spi.TokenRecord;
import dev.tokenherd.coordinator.spi.WriteOutcome;
import dev.tokenherd.coordinator.spi.WriteOutcome.Durability;
import dev.tokenherd.coordinator.spi.WriteOutcome.Result;
import io.lettuce.core.RedisCommandExecutionException;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What {@link RedisTokenStore} reports for a write that is applied: at once when it waits for no
 * replica; otherwise after {@code WAIT} on the connection the write went out on ({@link
 * StoreConnections#waitOn}), and then the {@code PUBLISH} that the script left out (a script cannot
 * {@code WAIT}), with the {@link Durability} it got. Logs under the store's category, the one users
 * configure.
 */
final class ReplicaWait {
  /**
   * The node of a write applied earlier (a retry finds it stored): on a cluster, no WAIT target.
   */
  static final String UNKNOWN_NODE = "";

  private static final Logger log = LoggerFactory.getLogger(RedisTokenStore.class);

  private final RedisKeys keys;
  private final StoreConnections connections;
  private final int replicas;
  private final Duration timeout;

  /**
   * Creates the wait.
   *
   * @param keys the key layout
   * @param connections where the writes go out; {@code WAIT} must follow them there
   * @param replicas how many replicas must confirm; 0 for no {@code WAIT}
   * @param timeout how long {@code WAIT} waits
   */
  ReplicaWait(RedisKeys keys, StoreConnections connections, int replicas, Duration timeout) {
    this.keys = keys;
    this.connections = connections;
    this.replicas = replicas;
    this.timeout = timeout;
  }

  /**
   * Checks at start-up that the server lets the store wait for replicas: {@code WAIT} (0 replicas,
   * so it answers at once) and, on a cluster, {@code CLUSTER MYID} inside a script. Refused, every
   * refresh mark would count as confirmed by no replica and no refresh could ever be sent; so the
   * start fails instead, naming the command and the ACL rule.
   *
   * @param server how messages name the deployment
   * @throws RedisConfigurationException if a command is refused
   */
  void checkAllowed(String server) {
    if (replicas == 0) {
      return;
    }
    probe(server, "wait", () -> connections.writes().waitForReplication(0, 1));
    if (connections.sharded()) {
      probe(
          server,
          "cluster|myid",
          () ->
              connections
                  .writes()
                  .eval(
                      "return redis.call('CLUSTER', 'MYID')",
                      ScriptOutputType.VALUE,
                      new String[0]));
    }
  }

  private static void probe(String server, String command, Supplier<CompletionStage<?>> call) {
    try {
      dispatch(call::get).toCompletableFuture().get(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while checking " + command, e);
    } catch (ExecutionException | TimeoutException e) {
      Throwable cause = e.getCause() == null ? e : e.getCause();
      if (!(cause instanceof RedisCommandExecutionException refused)
          || !isRefusal(refused.getMessage())) {
        // Not a refusal (a timeout, a lost connection; on a cluster, a replica answering WAIT
        // that it cannot be used there): the writes will report anything real themselves.
        return;
      }
      throw new RedisConfigurationException(
          server,
          "waitForReplicas",
          command,
          "Redis at "
              + server
              + " refused "
              + command.toUpperCase(Locale.ROOT)
              + ", which waitForReplicas needs ("
              + firstLine(refused.getMessage())
              + "): without it no refresh mark could be confirmed and no token request sent."
              + " Allow +"
              + command
              + " for the Redis user (docs/redis.md lists the rules of each topology), or do not"
              + " set waitForReplicas.");
    }
  }

  /** An ACL refusal, or a command the server does not know (renamed or disabled). */
  private static boolean isRefusal(@Nullable String message) {
    return message != null
        && (message.startsWith("NOPERM")
            || message.contains("unknown command")
            || message.contains("no permissions"));
  }

  private static String firstLine(@Nullable String message) {
    if (message == null) {
      return "no message";
    }
    int end = message.indexOf('\n');
    return end < 0 ? message : message.substring(0, end);
  }

  /**
   * Reports {@code next} as applied. {@code contentChange} says whether it is a new version, to be
   * announced once the replicas had their chance; {@code unannounced} why the script's own {@code
   * PUBLISH} failed, or {@code null}; {@code node} the cluster node that applied it, as the script
   * said, or {@link #UNKNOWN_NODE}.
   */
  CompletionStage<WriteOutcome> applied(
      TokenKey key,
      TokenRecord next,
      boolean contentChange,
      @Nullable String unannounced,
      String node) {
    if (unannounced != null) {
      log.debug("credential '{}': version {} not announced: {}", key, next.version(), unannounced);
    }
    return replicas == 0
        ? CompletableFuture.completedFuture(
            new WriteOutcome(Result.APPLIED, next, Durability.NOT_REQUESTED, unannounced))
        : connections
            .waitOn(node)
            .handle(
                (commands, error) ->
                    error == null
                        ? awaitReplicas(commands, key, next, contentChange)
                        : unconfirmed(key, next, contentChange, error))
            .thenCompose(stage -> stage);
  }

  /** A write whose {@code WAIT} has nowhere to go: confirmed by no replica, announced anyway. */
  private CompletionStage<WriteOutcome> unconfirmed(
      TokenKey key, TokenRecord next, boolean contentChange, Throwable why) {
    log.warn(
        "credential '{}': cannot WAIT for replicas after version {} was written: {}",
        key,
        next.version(),
        why.getMessage());
    return announce(connections.writes(), key, next, contentChange, 0);
  }

  private CompletionStage<WriteOutcome> awaitReplicas(
      RedisClusterAsyncCommands<String, String> commands,
      TokenKey key,
      TokenRecord next,
      boolean contentChange) {
    return dispatch(() -> commands.waitForReplication(replicas, timeout.toMillis()))
        .handle(
            (acknowledged, error) -> {
              if (error != null) {
                // The write is applied; only the confirmation failed. Reporting it as
                // unconfirmed (not failing the write) keeps the caller from retrying a write
                // that took effect.
                StoreMisconfiguredException refused =
                    StoreErrors.misconfiguration(keys, key, error);
                if (refused != null) {
                  log.warn(
                      "credential '{}': WAIT after version {} was written: {}",
                      key,
                      next.version(),
                      refused.getMessage());
                } else {
                  log.warn(
                      "credential '{}': WAIT for {} replicas failed after version {} was written",
                      key,
                      replicas,
                      next.version(),
                      error);
                }
                return 0;
              }
              return acknowledged == null ? 0 : (int) Math.min(acknowledged, Integer.MAX_VALUE);
            })
        .thenCompose(acknowledged -> announce(commands, key, next, contentChange, acknowledged));
  }

  /** Publishes a new version (not a mark) once its replicas had their chance. */
  private CompletionStage<WriteOutcome> announce(
      RedisClusterAsyncCommands<String, String> commands,
      TokenKey key,
      TokenRecord next,
      boolean contentChange,
      int acknowledged) {
    Durability durability = new Durability(replicas, acknowledged);
    if (!contentChange) {
      return CompletableFuture.completedFuture(new WriteOutcome(Result.APPLIED, next, durability));
    }
    String channel = keys.changed(key);
    String body = ChangeMessage.changed(next.version());
    return dispatch(
            () ->
                connections.sharded()
                    ? commands.spublish(channel, body)
                    : commands.publish(channel, body))
        .handle(
            (receivers, error) -> {
              if (error == null) {
                return new WriteOutcome(Result.APPLIED, next, durability);
              }
              // Best effort, like every announcement: waiters also poll the store. The
              // outcome names the failure; the engine reports it.
              String unannounced =
                  RedisErrors.announcementFailure(error, channel, keys.namespace());
              log.debug(
                  "credential '{}': version {} not announced: {}",
                  key,
                  next.version(),
                  unannounced);
              return new WriteOutcome(Result.APPLIED, next, durability, unannounced);
            });
  }
}

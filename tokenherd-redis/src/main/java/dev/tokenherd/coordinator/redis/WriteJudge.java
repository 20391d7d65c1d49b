package dev.tokenherd.coordinator.redis;

import static dev.tokenherd.coordinator.redis.internal.Dispatch.dispatch;
import static java.util.Objects.requireNonNull;

import dev.tokenherd.coordinator.AmbiguousStoreWriteException;
import dev.tokenherd.coordinator.StoreMisconfiguredException;
import dev.tokenherd.coordinator.StoreUnavailableException;
import dev.tokenherd.coordinator.TokenKey;
import dev.tokenherd.coordinator.UnreadableRecordException;
import dev.tokenherd.coordinator.redis.internal.RecordCodec;
import dev.tokenherd.coordinator.redis.internal.RedisErrors;
import dev.tokenherd.coordinator.spi.RefreshMark;
import dev.tokenherd.coordinator.spi.TokenRecord;
import dev.tokenherd.coordinator.spi.WriteOutcome;
import dev.tokenherd.coordinator.spi.WriteOutcome.Result;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Decides what a compare-and-set of {@link RedisTokenStore} did: from the script's reply, or, when
 * no reply came within the command timeout, from a re-read of the record on the write connection.
 * An applied write goes on to the {@link ReplicaWait}. Logs under the store's category, the one
 * users configure.
 */
final class WriteJudge {
  private static final Logger log = LoggerFactory.getLogger(RedisTokenStore.class);

  private final RedisKeys keys;
  private final RecordCodec codec;
  private final StoreConnections connections;
  private final ReplicaWait replicaWait;

  /**
   * Creates the judge.
   *
   * @param keys the key layout
   * @param codec the store's record codec, to read a rejection's or a re-read's record
   * @param connections where the writes go out; a re-read must follow them there
   * @param replicaWait what reports an applied write
   */
  WriteJudge(
      RedisKeys keys, RecordCodec codec, StoreConnections connections, ReplicaWait replicaWait) {
    this.keys = keys;
    this.codec = codec;
    this.connections = connections;
    this.replicaWait = replicaWait;
  }

  /** Returns what reports an applied write. */
  ReplicaWait replicaWait() {
    return replicaWait;
  }

  /**
   * Returns the outcome of the write of {@code next} over {@code expectedVersion}, given the
   * script's {@code reply} or {@code error} (exactly one of them is set). {@code contentChange}
   * says whether {@code next} is a new version. A misconfiguration fails the stage with a {@link
   * StoreMisconfiguredException}; any other error but a timeout fails it as it was.
   */
  CompletionStage<WriteOutcome> outcome(
      TokenKey key,
      long expectedVersion,
      TokenRecord next,
      boolean contentChange,
      List<Object> reply,
      @Nullable Throwable error) {
    if (error == null) {
      return onReply(key, next, contentChange, reply);
    }
    if (RedisErrors.isTimeout(error)) {
      return afterTimeout(key, expectedVersion, next, contentChange, error);
    }
    throw StoreErrors.failure(keys, key, error);
  }

  private CompletionStage<WriteOutcome> onReply(
      TokenKey key, TokenRecord next, boolean contentChange, List<Object> reply) {
    String result = String.valueOf(reply.get(0));
    if (result.equals("APPLIED")) {
      // The second element is the error of the script's PUBLISH (the write stands regardless),
      // the third the node that applied it (on a cluster, when waiting for replicas).
      String failure = reply.size() > 1 ? String.valueOf(reply.get(1)) : "";
      String unannounced =
          failure.isEmpty()
              ? null
              : RedisErrors.announcementFailure(failure, keys.changed(key), keys.namespace());
      String node = reply.size() > 2 ? String.valueOf(reply.get(2)) : "";
      return replicaWait.applied(key, next, contentChange, unannounced, node);
    }
    WriteOutcome outcome = rejected(key, result, reply);
    if (outcome.result() == Result.VERSION_MOVED && next.equals(outcome.current())) {
      // Exactly this record is stored: an earlier send of this very write was applied and its
      // answer lost (a timeout), and this is the retry. Reporting it as lost would make the
      // writer drop a rotation that is in fact stored.
      log.debug(
          "credential '{}': version {} was already stored by this write", key, next.version());
      return replicaWait.applied(key, next, contentChange, null, ReplicaWait.UNKNOWN_NODE);
    }
    return CompletableFuture.completedFuture(outcome);
  }

  /**
   * Decides a write whose answer did not come within the command timeout by re-reading the record.
   * The read goes out on the connection the write went out on, and Redis answers a connection's
   * commands in order: its answer comes after the write has run, or the write never runs. So the
   * record read shows the outcome: exactly our record means applied; a moved version, a higher
   * fence or a newer schema means rejected; the record we expected means not applied (retrying is
   * safe). Only if the read fails too is the outcome unknown: {@link AmbiguousStoreWriteException}.
   */
  private CompletionStage<WriteOutcome> afterTimeout(
      TokenKey key,
      long expectedVersion,
      TokenRecord next,
      boolean contentChange,
      Throwable timeout) {
    String what = "the write of version " + next.version() + " (fence " + next.fence() + ")";
    return dispatch(() -> connections.writes().hgetall(keys.record(key)))
        .handle(
            (fields, error) -> {
              if (error != null) {
                StoreMisconfiguredException misconfigured =
                    StoreErrors.misconfiguration(keys, key, error);
                if (misconfigured != null) {
                  throw new CompletionException(misconfigured);
                }
                AmbiguousStoreWriteException ambiguous =
                    new AmbiguousStoreWriteException(
                        key,
                        what
                            + " got no answer within the command timeout, and re-reading the"
                            + " record failed too ("
                            + unwrap(error).getClass().getSimpleName()
                            + "): it may or may not have been applied; retrying it is safe",
                        timeout);
                ambiguous.addSuppressed(unwrap(error));
                throw new CompletionException(ambiguous);
              }
              return verdict(key, expectedVersion, next, contentChange, fields, what, timeout);
            })
        .thenCompose(stage -> stage);
  }

  private CompletionStage<WriteOutcome> verdict(
      TokenKey key,
      long expectedVersion,
      TokenRecord next,
      boolean contentChange,
      @Nullable Map<String, String> fields,
      String what,
      Throwable timeout) {
    TokenRecord stored = null;
    if (fields != null && !fields.isEmpty()) {
      stored = codec.decodeLeniently(key, fields, keys.associatedData(key));
      if (stored == null) {
        // Unreadable: the script refuses to judge such a record too (CORRUPT), as decode says.
        return CompletableFuture.failedFuture(unreadable(key, fields));
      }
    }
    WriteOutcome outcome;
    if (stored != null && stored.equals(next)) {
      log.info("credential '{}': {} timed out; a re-read shows it applied", key, what);
      return replicaWait.applied(key, next, contentChange, null, ReplicaWait.UNKNOWN_NODE);
    } else if (stored == null) {
      outcome = expectedVersion == 0 ? null : new WriteOutcome(Result.VERSION_MOVED, null);
    } else if (stored.schemaVersion() > next.schemaVersion()) {
      outcome = new WriteOutcome(Result.SCHEMA_NEWER, stored);
    } else if (stored.fence() > next.fence()) {
      outcome = new WriteOutcome(Result.FENCE_REJECTED, stored);
    } else if (stored.version() != expectedVersion
        || !stored.generation().equals(next.generation())) {
      outcome = new WriteOutcome(Result.VERSION_MOVED, stored);
    } else if (heldByAnother(stored, next)) {
      // Whether that mark is still live, only the server's clock can tell: say it is, so the
      // writer waits and tries again rather than send.
      outcome = new WriteOutcome(Result.MARK_HELD, stored);
    } else {
      outcome = null;
    }
    if (outcome == null) {
      return CompletableFuture.failedFuture(
          new StoreUnavailableException(
              key,
              what
                  + " got no answer within the command timeout; a re-read shows it was not"
                  + " applied, so retrying it is safe",
              timeout));
    }
    log.info(
        "credential '{}': {} timed out; a re-read shows it was rejected ({})",
        key,
        what,
        outcome.result());
    return CompletableFuture.completedFuture(outcome);
  }

  private WriteOutcome rejected(TokenKey key, String result, List<Object> reply) {
    Map<String, String> fields = new LinkedHashMap<>();
    for (int i = 1; i + 1 < reply.size(); i += 2) {
      fields.put(String.valueOf(reply.get(i)), String.valueOf(reply.get(i + 1)));
    }
    String associatedData = keys.associatedData(key);
    return switch (result) {
      case "SCHEMA_NEWER" ->
          new WriteOutcome(Result.SCHEMA_NEWER, codec.decodeLeniently(key, fields, associatedData));
      case "FENCE_REJECTED", "VERSION_MOVED", "MARK_HELD" ->
          new WriteOutcome(
              Result.valueOf(result),
              fields.isEmpty() ? null : codec.decode(key, fields, associatedData));
      case "CORRUPT" ->
          throw new UnreadableRecordException(
              key,
              UnreadableRecordException.Problem.CORRUPT,
              "schema, version or fence is missing or not a number; the write was refused",
              null);
      default ->
          throw new IllegalStateException("unexpected reply from the write script: " + result);
    };
  }

  private UnreadableRecordException unreadable(TokenKey key, Map<String, String> fields) {
    try {
      codec.decode(key, fields, keys.associatedData(key));
    } catch (UnreadableRecordException e) {
      return e;
    }
    return new UnreadableRecordException(
        key, UnreadableRecordException.Problem.CORRUPT, "the record cannot be read", null);
  }

  private static boolean heldByAnother(TokenRecord stored, TokenRecord next) {
    RefreshMark held = stored.refreshing();
    RefreshMark mark = next.refreshing();
    return mark != null && held != null && !held.id().equals(mark.id());
  }

  private static Throwable unwrap(Throwable error) {
    Throwable current = error;
    while (current instanceof CompletionException && current.getCause() != null) {
      current = requireNonNull(current.getCause());
    }
    return current;
  }
}

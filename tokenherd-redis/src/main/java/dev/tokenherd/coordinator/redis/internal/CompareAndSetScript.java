package dev.tokenherd.coordinator.redis.internal;

import dev.tokenherd.coordinator.spi.RefreshMark;
import dev.tokenherd.coordinator.spi.TokenRecord;
import io.lettuce.core.api.async.RedisScriptingAsyncCommands;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionStage;
import org.jspecify.annotations.Nullable;

/**
 * The store's one write, {@code compare-and-set.lua}: its {@code ARGV} layout, as the script's
 * header documents it, built in one place. What the reply means is the caller's to judge.
 */
public final class CompareAndSetScript {
  private static final LuaScript SCRIPT = LuaScript.load("compare-and-set.lua");

  private CompareAndSetScript() {}

  /**
   * Runs the script on a record.
   *
   * @param commands the connection to run it on
   * @param recordKey the record's hash ({@code KEYS[1]})
   * @param expectedVersion the version the writer read, 0 for no record
   * @param next the record to write
   * @param fields {@code next} encoded by a {@link RecordCodec}
   * @param publishOn the channel to {@code PUBLISH} the new version on, or {@code null} for none
   * @param announceOn the channel to announce a metadata change (a refresh mark) on, or {@code
   *     null} for none
   * @param sharded whether to publish with {@code SPUBLISH} (a cluster's shard channels) rather
   *     than {@code PUBLISH}
   * @param reportNode whether an applied write's reply names the node that applied it ({@code
   *     CLUSTER MYID})
   * @return the script's reply: {@code APPLIED}, the error of a failed {@code PUBLISH} or empty,
   *     the node or empty; or a rejection followed by the stored record's fields
   */
  public static CompletionStage<List<Object>> run(
      RedisScriptingAsyncCommands<String, String> commands,
      String recordKey,
      long expectedVersion,
      TokenRecord next,
      Map<String, String> fields,
      @Nullable String publishOn,
      @Nullable String announceOn,
      boolean sharded,
      boolean reportNode) {
    String[] args =
        arguments(expectedVersion, next, fields, publishOn, announceOn, sharded, reportNode);
    return SCRIPT.run(commands, new String[] {recordKey}, args);
  }

  private static String[] arguments(
      long expectedVersion,
      TokenRecord next,
      Map<String, String> fields,
      @Nullable String publishOn,
      @Nullable String announceOn,
      boolean sharded,
      boolean reportNode) {
    List<String> args = new ArrayList<>();
    args.add(Long.toString(expectedVersion));
    args.add(Integer.toString(next.schemaVersion()));
    args.add(Long.toString(next.version()));
    args.add(Long.toString(next.fence()));
    args.add(publishOn == null ? "" : publishOn);
    RefreshMark mark = next.refreshing();
    args.add(mark == null ? "" : mark.id());
    args.add(mark == null ? "0" : Long.toString(mark.window().toMillis()));
    args.add(next.generation());
    args.add(announceOn == null ? "" : announceOn);
    args.add(sharded ? "SPUBLISH" : "PUBLISH");
    args.add(reportNode ? "1" : "");
    args.add(Integer.toString(fields.size()));
    fields.forEach(
        (field, value) -> {
          args.add(field);
          args.add(value);
        });
    for (String field : RecordCodec.FIELDS) {
      if (!fields.containsKey(field)) {
        args.add(field); // absent now: removed, so no stale value outlives the write
      }
    }
    return args.toArray(new String[0]);
  }
}

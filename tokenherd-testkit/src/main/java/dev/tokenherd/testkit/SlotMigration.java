package dev.tokenherd.testkit;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * Moves one hash slot from its master to another, in the steps {@code redis-cli --cluster reshard}
 * takes: {@code CLUSTER SETSLOT IMPORTING} on the target, {@code MIGRATING} on the source, the keys
 * in batches ({@code CLUSTER GETKEYSINSLOT}, then {@code MIGRATE ... KEYS}), and {@code SETSLOT
 * NODE} on the target, the source and every other master. A test runs its own code between the
 * steps to see {@code ASK} (while the slot migrates) and {@code MOVED} (after).
 */
final class SlotMigration {
  private static final int BATCH = 100;
  private static final int MIGRATE_TIMEOUT_MILLIS = 20_000;

  private SlotMigration() {}

  static void migrate(
      RedisCluster cluster,
      int slot,
      RedisServerProcess target,
      Runnable whileMigrating,
      Runnable beforeOwnerChange) {
    if (slot < 0 || slot >= ClusterView.SLOTS) {
      throw new IllegalArgumentException("no slot " + slot);
    }
    RedisServerProcess source = cluster.masterOf(slot);
    if (source.equals(target)) {
      throw new IllegalArgumentException(target + " already owns slot " + slot);
    }
    String s = Integer.toString(slot);
    String sourceId = cluster.nodeId(source);
    String targetId = cluster.nodeId(target);
    try {
      if (!ClusterView.of(target).myself().master()) {
        throw new IllegalArgumentException(target + " is not a master");
      }
      Replies.ok(target, "CLUSTER", "SETSLOT", s, "IMPORTING", sourceId);
      Replies.ok(source, "CLUSTER", "SETSLOT", s, "MIGRATING", targetId);
      whileMigrating.run();
      moveKeys(source, target, s, cluster.password());
      beforeOwnerChange.run();
      Replies.ok(target, "CLUSTER", "SETSLOT", s, "NODE", targetId);
      Replies.ok(source, "CLUSTER", "SETSLOT", s, "NODE", targetId);
      for (RedisServerProcess master : cluster.masters()) {
        if (!master.equals(source) && !master.equals(target)) {
          Replies.ok(master, "CLUSTER", "SETSLOT", s, "NODE", targetId);
        }
      }
    } catch (IOException e) {
      throw new IllegalStateException("cannot migrate slot " + slot, e);
    }
    Poll.until(
        "every node to see slot " + slot + " owned by " + target,
        () -> {
          for (RedisServerProcess node : cluster.liveNodes()) {
            ClusterView view = ClusterView.of(node);
            if (!targetId.equals(view.ownerOf(slot)) || view.hasOpenSlots()) {
              return "127.0.0.1:"
                  + node.port()
                  + " sees slot "
                  + slot
                  + " owned by "
                  + view.ownerOf(slot)
                  + (view.hasOpenSlots() ? ", migrating or importing" : "");
            }
          }
          return null;
        },
        cluster::describe);
  }

  private static void moveKeys(
      RedisServerProcess source, RedisServerProcess target, String slot, @Nullable String password)
      throws IOException {
    while (true) {
      List<@Nullable Object> keys =
          Replies.array(source, "CLUSTER", "GETKEYSINSLOT", slot, Integer.toString(BATCH));
      if (keys.isEmpty()) {
        return;
      }
      List<String> migrate =
          new ArrayList<>(
              List.of(
                  "MIGRATE",
                  "127.0.0.1",
                  Integer.toString(target.port()),
                  "",
                  "0",
                  Integer.toString(MIGRATE_TIMEOUT_MILLIS)));
      if (password != null) {
        migrate.addAll(List.of("AUTH", password));
      }
      migrate.add("KEYS");
      keys.forEach(key -> migrate.add(String.valueOf(key)));
      String[] arguments = migrate.toArray(new String[0]);
      Object reply = source.call(Duration.ofMillis(MIGRATE_TIMEOUT_MILLIS + 10_000), arguments);
      if (!"OK".equals(reply) && !"NOKEY".equals(reply)) {
        // Replies.unexpected names MIGRATE and the host only: the AUTH password stays out.
        throw Replies.unexpected(source, arguments, reply);
      }
    }
  }
}

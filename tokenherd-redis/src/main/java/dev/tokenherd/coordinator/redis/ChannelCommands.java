package dev.tokenherd.coordinator.redis;

import static dev.tokenherd.coordinator.redis.internal.Dispatch.dispatch;

import io.lettuce.core.pubsub.StatefulRedisPubSubConnection;
import java.util.List;
import java.util.function.BiConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@code SUBSCRIBE} and {@code UNSUBSCRIBE} a {@link FeedSubscriptions} sends: all channels in
 * one command on one server; on a cluster, shard channels ({@code SSUBSCRIBE}, {@code
 * SUNSUBSCRIBE}) one per command, since a command's shard channels must share a slot and two
 * credentials' channels may not. Logs under the feed's category, the one users configure.
 */
final class ChannelCommands {
  private static final Logger log = LoggerFactory.getLogger(RedisChangeFeed.class);

  private final StatefulRedisPubSubConnection<String, String> pubSub;
  private final boolean sharded;

  ChannelCommands(StatefulRedisPubSubConnection<String, String> pubSub, boolean sharded) {
    this.pubSub = pubSub;
    this.sharded = sharded;
  }

  /** Returns the subscribing command's name, for messages. */
  String subscribeCommand() {
    return sharded ? "SSUBSCRIBE" : "SUBSCRIBE";
  }

  /** Sends the subscriptions; {@code failed} gets each command's channels and error. */
  void subscribe(List<String> names, BiConsumer<List<String>, Throwable> failed) {
    for (List<String> batch : batches(names)) {
      String[] array = batch.toArray(String[]::new);
      dispatch(() -> sharded ? pubSub.async().ssubscribe(array) : pubSub.async().subscribe(array))
          .whenComplete(
              (ignored, error) -> {
                if (error != null) {
                  failed.accept(batch, error);
                }
              });
    }
  }

  /** Sends the unsubscriptions; a failure is only logged, with {@code why} they were sent. */
  void unsubscribe(List<String> names, String why) {
    for (List<String> batch : batches(names)) {
      String[] array = batch.toArray(String[]::new);
      dispatch(
              () ->
                  sharded ? pubSub.async().sunsubscribe(array) : pubSub.async().unsubscribe(array))
          .whenComplete(
              (ignored, error) -> {
                if (error != null) {
                  log.debug("UNSUBSCRIBE {} ({}) failed", batch, why, error);
                }
              });
    }
  }

  private List<List<String>> batches(List<String> names) {
    return sharded ? names.stream().map(List::of).toList() : List.of(names);
  }
}

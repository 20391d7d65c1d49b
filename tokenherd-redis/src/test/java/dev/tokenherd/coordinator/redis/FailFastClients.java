package dev.tokenherd.coordinator.redis;

import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.TimeoutOptions;
import java.net.URI;
import java.time.Duration;

/**
 * Lettuce clients configured as {@link RedisTokenStore} requires: commands against a disconnected
 * client fail at once, and every command has a timeout.
 */
final class FailFastClients {
  static final Duration COMMAND_TIMEOUT = Duration.ofSeconds(5);

  private FailFastClients() {}

  static RedisClient create(URI uri) {
    RedisClient client = RedisClient.create(RedisURI.create(uri));
    client.setOptions(
        ClientOptions.builder()
            .disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS)
            .timeoutOptions(TimeoutOptions.enabled(COMMAND_TIMEOUT))
            .build());
    return client;
  }
}

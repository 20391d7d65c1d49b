package dev.tokenherd.coordinator.redis;

import dev.tokenherd.testkit.Closer;
import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.SocketOptions;
import io.lettuce.core.TimeoutOptions;
import io.lettuce.core.resource.ClientResources;
import io.lettuce.core.resource.Delay;
import java.net.URI;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.redisson.Redisson;
import org.redisson.api.RedissonClient;
import org.redisson.config.Config;
import org.redisson.config.ConstantDelay;

/**
 * Creates the Lettuce and Redisson clients of integration tests, configured the way the fleet
 * builder will configure them: fail fast while Redis is down ({@code REJECT_COMMANDS}, short
 * timeouts), reconnect by themselves, small pools. Closing this shuts every client it created.
 */
final class RedisTestClients implements AutoCloseable {
  /** Command timeout of both clients. */
  static final Duration COMMAND_TIMEOUT = Duration.ofSeconds(1);

  /** Lettuce's pause between reconnect attempts; short so that fault tests take seconds. */
  static final Duration RECONNECT_DELAY = Duration.ofMillis(100);

  private final URI uri;
  private final Closer created = new Closer();

  RedisTestClients(URI uri) {
    this.uri = uri;
  }

  /** Returns a new Lettuce client: REJECT_COMMANDS while disconnected, auto-reconnect on. */
  synchronized RedisClient lettuce() {
    ClientResources resources =
        ClientResources.builder()
            .ioThreadPoolSize(2)
            .computationThreadPoolSize(2)
            .reconnectDelay(Delay.constant(RECONNECT_DELAY))
            .build();
    RedisClient client = RedisClient.create(resources, RedisURI.create(uri));
    client.setOptions(
        ClientOptions.builder()
            .autoReconnect(true)
            .disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS)
            .timeoutOptions(TimeoutOptions.enabled(COMMAND_TIMEOUT))
            .socketOptions(SocketOptions.builder().connectTimeout(Duration.ofMillis(500)).build())
            .build());
    created.add(() -> resources.shutdown(0, 2, TimeUnit.SECONDS).get());
    created.add(() -> client.shutdown(Duration.ZERO, Duration.ofSeconds(2)));
    return client;
  }

  /** Returns a new Redisson client with small pools, short timeouts and one quick retry. */
  synchronized RedissonClient redisson() {
    Config config = new Config();
    config.setThreads(2).setNettyThreads(4).setLockWatchdogTimeout(5_000);
    config
        .useSingleServer()
        .setAddress("redis://" + uri.getHost() + ":" + uri.getPort())
        .setConnectionPoolSize(4)
        .setConnectionMinimumIdleSize(1)
        .setSubscriptionConnectionPoolSize(2)
        .setSubscriptionConnectionMinimumIdleSize(1)
        .setConnectTimeout(500)
        .setTimeout((int) COMMAND_TIMEOUT.toMillis())
        .setRetryAttempts(1)
        .setRetryDelay(new ConstantDelay(Duration.ofMillis(100)))
        .setReconnectionDelay(new ConstantDelay(RECONNECT_DELAY));
    RedissonClient client = Redisson.create(config);
    created.add(() -> client.shutdown(0, 2, TimeUnit.SECONDS));
    return client;
  }

  @Override
  public void close() throws Exception {
    created.close();
  }
}

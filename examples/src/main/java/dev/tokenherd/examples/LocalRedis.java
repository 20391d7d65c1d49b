package dev.tokenherd.examples;

import dev.tokenherd.testkit.RedisBinary;
import dev.tokenherd.testkit.RedisServerProcess;
import java.io.PrintStream;

/**
 * Starts the demo's own Redis on a free loopback port: the {@code redis-server} on the {@code
 * PATH}, else the Redis 7.4 binary that the Maven Central package {@code cn.ponfee:embedded-redis}
 * ships for this platform (Linux and macOS, x86-64 and arm64), found and verified by the testkit's
 * {@link RedisBinary}. Either way it runs as a {@link RedisServerProcess}, without persistence: the
 * demo's data is throwaway.
 */
final class LocalRedis implements AutoCloseable {
  private final RedisServerProcess server;

  private LocalRedis(RedisServerProcess server) {
    this.server = server;
  }

  /**
   * Starts Redis.
   *
   * @param onPath whether to use a {@code redis-server} on the {@code PATH} if there is one
   * @param log where to say which one runs
   * @throws DemoException if no Redis can be started here
   */
  static LocalRedis start(boolean onPath, PrintStream log) {
    RedisBinary binary;
    try {
      binary = onPath ? RedisBinary.resolve() : RedisBinary.bundled();
    } catch (IllegalStateException e) {
      throw new DemoException(e.getMessage() + ", or pass --redis redis://host:port");
    }
    try {
      RedisServerProcess server =
          RedisServerProcess.builder()
              .executable(binary.executable().toString())
              .appendOnly(false)
              .start();
      log.println("redis: " + binary + " on " + server.uri());
      return new LocalRedis(server);
    } catch (RuntimeException e) {
      throw new DemoException(
          binary
              + " did not start ("
              + e.getMessage()
              + "). Install Redis (apt-get install redis-server) or pass --redis redis://host:port");
    }
  }

  String uri() {
    return server.uri().toString();
  }

  @Override
  public void close() {
    server.close();
  }
}

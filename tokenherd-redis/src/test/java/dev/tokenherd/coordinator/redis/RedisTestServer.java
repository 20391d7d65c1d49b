package dev.tokenherd.coordinator.redis;

import com.redis.testcontainers.RedisContainer;
import dev.tokenherd.testkit.RedisServerProcess;
import dev.tokenherd.testkit.StartupTimeout;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import org.jspecify.annotations.Nullable;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.utility.DockerImageName;

/**
 * A real Redis server for integration tests. Where a Docker engine runs (developers' laptops, CI
 * elsewhere) it is a Testcontainers {@code redis:7.0} container; otherwise (these machines) it is a
 * {@code redis-server} process on a free loopback port: the one on the {@code PATH} ({@code
 * .ci/run} installs Debian's), else the Redis binary a Maven artifact ships ({@link
 * dev.tokenherd.testkit.RedisBinary}). No test ever talks to a Redis mock.
 *
 * <p>Tests that kill, pause or restart the server need a process: they use {@link #process()}.
 */
public final class RedisTestServer implements AutoCloseable {
  /** The image tested through Testcontainers; Debian 12 ships Redis 7.0 for the process path. */
  public static final String IMAGE = "redis:7.0";

  private final @Nullable RedisServerProcess process;
  private final @Nullable RedisContainer container;

  private RedisTestServer(
      @Nullable RedisServerProcess process, @Nullable RedisContainer container) {
    this.process = process;
    this.container = container;
  }

  /**
   * Starts a Redis server the best way this machine allows. Set {@code -Dtokenherd.redis=process}
   * or {@code =container} to force one.
   */
  public static RedisTestServer start() {
    String forced = System.getProperty("tokenherd.redis", "");
    if (!forced.equals("process") && (forced.equals("container") || dockerLikely())) {
      try {
        if (DockerClientFactory.instance().isDockerAvailable()) {
          RedisContainer container =
              new RedisContainer(DockerImageName.parse(IMAGE))
                  .withStartupTimeout(StartupTimeout.get());
          container.start();
          return new RedisTestServer(null, container);
        }
      } catch (RuntimeException e) {
        // An engine that answers but cannot run the image: no registry to pull it (or
        // Testcontainers' Ryuk) from, as on a machine where CI set up a local engine.
        if (forced.equals("container")) {
          throw e;
        }
        System.out.println(
            "tokenherd-redis tests: a Docker engine answers but "
                + IMAGE
                + " did not start ("
                + e
                + "); using a redis-server process");
      }
    }
    return new RedisTestServer(startProcess(), null);
  }

  /** Starts a {@code redis-server} process (AOF on), for tests that inject process faults. */
  public static RedisTestServer process() {
    return new RedisTestServer(startProcess(), null);
  }

  private static RedisServerProcess startProcess() {
    // redis-server from the PATH, else the bundled fallback (RedisBinary says which, once).
    return RedisServerProcess.builder().appendOnly(true).start();
  }

  private static boolean dockerLikely() {
    // Asking Testcontainers costs seconds and a page of logs when there is no engine at all.
    return System.getenv("DOCKER_HOST") != null || Files.exists(Path.of("/var/run/docker.sock"));
  }

  /** Returns the server's {@code redis://} URI. */
  public URI uri() {
    if (container != null) {
      return URI.create("redis://" + container.getRedisHost() + ":" + container.getRedisPort());
    }
    return processOrFail().uri();
  }

  /** Returns the process behind this server; fails for a container. */
  public RedisServerProcess processOrFail() {
    if (process == null) {
      throw new IllegalStateException("this test needs a redis-server process, not a container");
    }
    return process;
  }

  /** Returns whether this server is a container. */
  public boolean isContainer() {
    return container != null;
  }

  @Override
  public void close() {
    if (process != null) {
      process.close();
    }
    if (container != null) {
      container.stop();
    }
  }

  @Override
  public String toString() {
    return container != null
        ? "RedisTestServer[container " + IMAGE + "]"
        : "RedisTestServer[" + process + "]";
  }
}

package dev.tokenherd.examples;

import dev.tokenherd.testkit.RedisServerProcess;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Locale;
import org.jspecify.annotations.Nullable;

/**
 * Starts the demo's own Redis on a free loopback port: the {@code redis-server} on the {@code
 * PATH}, else the binary that the Maven Central package {@code
 * com.github.codemonstur:embedded-redis} ships for this platform (Redis 6.2, Linux x86-64/arm64 and
 * macOS), copied to a temporary file. Either way it runs as a {@link RedisServerProcess}, without
 * persistence: the demo's data is throwaway.
 */
final class LocalRedis implements AutoCloseable {
  private final RedisServerProcess server;
  private final @Nullable Path extracted;

  private LocalRedis(RedisServerProcess server, @Nullable Path extracted) {
    this.server = server;
    this.extracted = extracted;
  }

  /**
   * Starts Redis.
   *
   * @param onPath whether to use a {@code redis-server} on the {@code PATH} if there is one
   * @param log where to say which one runs
   * @throws DemoException if no Redis can be started here
   */
  static LocalRedis start(boolean onPath, PrintStream log) {
    if (onPath && RedisServerProcess.isAvailable()) {
      RedisServerProcess server = RedisServerProcess.builder().appendOnly(false).start();
      log.println("redis: redis-server from the PATH on " + server.uri());
      return new LocalRedis(server, null);
    }
    String resource = bundledBinary(System.getProperty("os.name"), System.getProperty("os.arch"));
    InputStream binary =
        resource == null ? null : LocalRedis.class.getResourceAsStream("/" + resource);
    if (binary == null) {
      throw new DemoException(
          "no redis-server on the PATH and no bundled Redis for "
              + System.getProperty("os.name")
              + "/"
              + System.getProperty("os.arch")
              + ". Install Redis (Debian/Ubuntu: apt-get install redis-server; macOS: brew install"
              + " redis) or pass --redis redis://host:port");
    }
    Path file;
    try (binary) {
      file = Files.createTempFile("fleet-demo-redis-server-", "");
      Files.copy(binary, file, StandardCopyOption.REPLACE_EXISTING);
      if (!file.toFile().setExecutable(true, true)) {
        throw new DemoException("cannot make " + file + " executable");
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot unpack the bundled redis-server", e);
    }
    try {
      RedisServerProcess server =
          RedisServerProcess.builder().executable(file.toString()).appendOnly(false).start();
      log.println(
          "redis: bundled " + resource + " (no redis-server on the PATH) on " + server.uri());
      return new LocalRedis(server, file);
    } catch (RuntimeException e) {
      deleteQuietly(file);
      throw new DemoException(
          "the bundled redis-server did not start ("
              + e.getMessage()
              + "). Install Redis (apt-get install redis-server) or pass --redis redis://host:port");
    }
  }

  /** Returns the resource name of the bundled binary for this platform, or {@code null}. */
  static @Nullable String bundledBinary(String osName, String osArch) {
    String os = osName.toLowerCase(Locale.ROOT);
    String arch = osArch.toLowerCase(Locale.ROOT);
    boolean x64 = arch.equals("amd64") || arch.equals("x86_64");
    boolean arm64 = arch.equals("aarch64") || arch.equals("arm64");
    if (os.contains("linux")) {
      return x64
          ? "redis-server-6.2.6-v5-linux-amd64"
          : arm64 ? "redis-server-6.2.7-linux-arm64" : null;
    }
    if (os.contains("mac")) {
      return x64
          ? "redis-server-6.2.6-v5-darwin-amd64"
          : arm64 ? "redis-server-6.2.6-v5-darwin-arm64" : null;
    }
    return null;
  }

  String uri() {
    return server.uri().toString();
  }

  @Override
  public void close() {
    server.close();
    if (extracted != null) {
      deleteQuietly(extracted);
    }
  }

  private static void deleteQuietly(Path file) {
    try {
      Files.deleteIfExists(file);
    } catch (IOException e) {
      // a temp file left behind is harmless
    }
  }
}

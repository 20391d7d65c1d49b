package dev.tokenherd.testkit;

import static java.util.Objects.requireNonNull;

import com.google.errorprone.annotations.CanIgnoreReturnValue;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.jspecify.annotations.Nullable;

/**
 * A real {@code redis-server} process on 127.0.0.1, for tests, benchmarks and demos: started on a
 * free port with its own data directory, stopped (or killed, paused, restarted on the same port and
 * data) on demand. No Redis client is needed: readiness is checked with a raw RESP {@code PING}.
 *
 * <pre>{@code
 * try (RedisServerProcess redis = RedisServerProcess.builder().appendOnly(true).start()) {
 *   URI uri = redis.uri();   // redis://127.0.0.1:PORT
 * }
 * }</pre>
 *
 * <p>One file, a little over the project's 400 lines, because it is one role, the life of one
 * process (start, readiness, signals, stop), plus the {@link Builder} that callers name as {@code
 * RedisServerProcess.Builder}; finding the executable ({@link RedisBinary}), its command line
 * ({@code ServerCommand}) and speaking RESP ({@link RespClient}) live in classes of their own.
 */
public final class RedisServerProcess implements AutoCloseable {
  private final String executable;
  private final boolean appendOnly;
  private final @Nullable String password;
  private final List<String> extraArguments;
  private final @Nullable List<String> sentinelConfiguration;
  private final Path dataDirectory;
  private final boolean ownsDataDirectory;
  private final int port;
  private final int tlsPort;
  private @Nullable Process process;

  private RedisServerProcess(
      Builder builder, String executable, int port, int tlsPort, Path dataDirectory, boolean owns) {
    this.executable = executable;
    this.appendOnly = builder.appendOnly;
    this.password = builder.password;
    List<String> arguments = new ArrayList<>();
    TlsCertificates tls = builder.tls;
    if (tls != null) {
      arguments.addAll(
          List.of(
              "--tls-port",
              Integer.toString(tlsPort),
              "--tls-cert-file",
              tls.certificate().toString(),
              "--tls-key-file",
              tls.key().toString(),
              "--tls-ca-cert-file",
              tls.caCertificate().toString(),
              "--tls-auth-clients",
              "no",
              "--tls-replication",
              "yes",
              "--tls-cluster",
              "yes"));
    }
    arguments.addAll(builder.extraArguments);
    this.extraArguments = List.copyOf(arguments);
    this.tlsPort = tlsPort;
    List<String> sentinel = builder.sentinelConfiguration;
    this.sentinelConfiguration = sentinel == null ? null : List.copyOf(sentinel);
    this.dataDirectory = dataDirectory;
    this.ownsDataDirectory = owns;
    this.port = port;
  }

  /**
   * Returns a builder. Unless {@link Builder#executable(String)} names one, the executable is
   * {@link RedisBinary#resolve()}'s: the {@code redis-server} on the {@code PATH}, else the bundled
   * fallback.
   *
   * @return a new builder with the defaults
   */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * Returns whether a {@code redis-server} can be run here: one named by a system property, one on
   * the {@code PATH}, or the bundled fallback ({@link RedisBinary}).
   *
   * @return whether {@link Builder#start()} can find an executable
   */
  public static boolean isAvailable() {
    return RedisBinary.isAvailable();
  }

  /**
   * Returns the port the server listens on without TLS (the same across restarts); with {@link
   * Builder#tls} it stays open on 127.0.0.1 for the fixtures' own probes ({@link #command}).
   *
   * @return a loopback port
   */
  public int port() {
    return port;
  }

  /**
   * Returns the TLS port of a server started with {@link Builder#tls} (the same across restarts).
   *
   * @return a loopback port
   * @throws IllegalStateException if the server has no TLS port
   */
  public int tlsPort() {
    if (tlsPort == 0) {
      throw new IllegalStateException(this + " was started without TLS");
    }
    return tlsPort;
  }

  /**
   * Returns the port other servers and clients know this one by: its {@linkplain #tlsPort TLS port}
   * if it has one (replicas, Sentinels and cluster nodes then announce and connect to TLS ports),
   * else {@link #port()}.
   *
   * @return a loopback port
   */
  public int clientPort() {
    return tlsPort == 0 ? port : tlsPort;
  }

  /**
   * Returns {@code redis://127.0.0.1:port}, with the password if one was set.
   *
   * @return the URI a Redis client connects to
   */
  public URI uri() {
    return URI.create(
        "redis://" + (password == null ? "" : ":" + password + "@") + "127.0.0.1:" + port);
  }

  /**
   * Returns the data directory (AOF and RDB files, the server's log), kept across restarts.
   *
   * @return the directory the server writes to
   */
  public Path dataDirectory() {
    return dataDirectory;
  }

  /**
   * Returns the process id of the running server.
   *
   * @return the operating system's process id
   * @throws NullPointerException if the server is not running
   */
  public synchronized long pid() {
    return requireNonNull(process, "not running").pid();
  }

  /**
   * Returns whether the server process is alive (a paused one is).
   *
   * @return {@code true} between a start and a stop, kill or close
   */
  public synchronized boolean isRunning() {
    return process != null && process.isAlive();
  }

  private synchronized void launch() {
    List<String> command =
        ServerCommand.of(
            executable,
            port,
            dataDirectory,
            appendOnly,
            password,
            sentinelConfiguration,
            extraArguments);
    try {
      process =
          new ProcessBuilder(command)
              .redirectErrorStream(true)
              .redirectOutput(dataDirectory.resolve("stdout.log").toFile())
              .start();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start " + executable, e);
    }
    awaitReady();
  }

  private void awaitReady() {
    Duration timeout = StartupTimeout.get();
    long deadline = System.nanoTime() + timeout.toNanos();
    IOException last = null;
    while (System.nanoTime() < deadline) {
      Process running = process;
      if (running == null || !running.isAlive()) {
        throw new IllegalStateException(
            executable
                + " exited during start-up"
                + (running == null ? "" : " with status " + running.exitValue())
                + startupOutput());
      }
      try {
        if (ping()) {
          return;
        }
      } catch (IOException e) {
        last = e;
      }
      try {
        // Polling a child process's start-up; there is no event to await.
        Thread.sleep(20);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted while starting redis-server", e);
      }
    }
    throw new IllegalStateException(
        executable
            + " on port "
            + port
            + " did not answer PING within "
            + timeout
            + " (the start-up timeout; -D"
            + StartupTimeout.PROPERTY
            + "=PT10M, for example, waits longer)"
            + startupOutput(),
        last);
  }

  /** What the server wrote while starting: the tails of its log and of its standard output. */
  private String startupOutput() {
    return "\n--- "
        + dataDirectory.resolve("redis.log")
        + " ---\n"
        + ProcessOutput.tail(dataDirectory.resolve("redis.log"))
        + "\n--- "
        + dataDirectory.resolve("stdout.log")
        + " ---\n"
        + ProcessOutput.tail(dataDirectory.resolve("stdout.log"));
  }

  /**
   * Sends a raw RESP {@code PING} (after {@code AUTH} if a password is set).
   *
   * @return whether the server answered {@code +PONG}
   * @throws IOException if the server cannot be reached
   */
  public boolean ping() throws IOException {
    return "+PONG".equals(command("PING"));
  }

  /**
   * Sends one command (after {@code AUTH} if a password is set) and returns the first line of the
   * reply, for example {@code +OK}, {@code :1} or {@code -ERR ...}.
   *
   * @param arguments the command and its arguments
   * @return the reply's first line
   * @throws IOException if the server cannot be reached
   */
  public String command(String... arguments) throws IOException {
    return RespClient.command(address(), password, List.of(arguments));
  }

  /**
   * Sends one command (after {@code AUTH} if a password is set) and returns the whole reply, parsed
   * as {@link RespClient#call} does.
   */
  @Nullable Object call(String... arguments) throws IOException {
    return RespClient.call(address(), password, List.of(arguments));
  }

  /** {@link #call(String...)} with another read timeout, for commands that block for a while. */
  @Nullable Object call(Duration readTimeout, String... arguments) throws IOException {
    return RespClient.call(address(), password, readTimeout, List.of(arguments));
  }

  private InetSocketAddress address() {
    return new InetSocketAddress(InetAddress.getLoopbackAddress(), port);
  }

  /** Stops the server gracefully ({@code SIGTERM}; Redis flushes the AOF) and waits for it. */
  public synchronized void stop() {
    Process running = process;
    if (running != null) {
      running.destroy();
      awaitExit(running);
      process = null;
    }
  }

  /** Kills the server ({@code SIGKILL}): nothing is flushed beyond what fsync already wrote. */
  public synchronized void kill() {
    Process running = process;
    if (running != null) {
      running.destroyForcibly();
      awaitExit(running);
      process = null;
    }
  }

  /** Starts the server again on the same port with the same data directory. */
  public synchronized void restart() {
    stop();
    launch();
  }

  /** Starts a stopped or killed server again on the same port with the same data. */
  public synchronized void startAgain() {
    if (!isRunning()) {
      launch();
    }
  }

  /** Freezes the server process ({@code SIGSTOP}): it holds its connections but answers nothing. */
  public void pause() {
    signal("STOP");
  }

  /** Resumes a paused server ({@code SIGCONT}). */
  public void resume() {
    signal("CONT");
  }

  private void signal(String name) {
    long pid = pid();
    try {
      Process kill = new ProcessBuilder("kill", "-" + name, Long.toString(pid)).start();
      if (!kill.waitFor(10, TimeUnit.SECONDS) || kill.exitValue() != 0) {
        throw new IllegalStateException("kill -" + name + " " + pid + " failed");
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while signalling redis-server", e);
    }
  }

  private static void awaitExit(Process process) {
    try {
      if (!process.waitFor(20, TimeUnit.SECONDS)) {
        process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** Kills the server if running and deletes the data directory if this object created it. */
  @Override
  public synchronized void close() {
    Process running = process;
    if (running != null && running.isAlive()) {
      // A paused process ignores SIGTERM until resumed; SIGKILL works regardless.
      running.destroyForcibly();
      awaitExit(running);
    }
    process = null;
    if (ownsDataDirectory) {
      try (Stream<Path> files = Files.walk(dataDirectory)) {
        files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      } catch (IOException e) {
        // best effort: a temp directory left behind is harmless
      }
    }
  }

  @Override
  public String toString() {
    return "RedisServerProcess[127.0.0.1:" + port + (isRunning() ? ", running" : ", stopped") + "]";
  }

  /** Builds a {@link RedisServerProcess}. */
  public static final class Builder {
    private @Nullable String executable;
    private boolean appendOnly = true;
    private @Nullable String password;
    private final List<String> extraArguments = new ArrayList<>();
    private @Nullable Path dataDirectory;
    private @Nullable List<String> sentinelConfiguration;
    private @Nullable TlsCertificates tls;

    private Builder() {}

    /**
     * Sets the executable (default: {@link RedisBinary#resolve()}, the {@code redis-server} on the
     * {@code PATH} or the bundled fallback).
     *
     * @param executable the path of a {@code redis-server} executable
     * @return this builder
     */
    @CanIgnoreReturnValue
    public Builder executable(String executable) {
      this.executable = requireNonNull(executable, "executable");
      return this;
    }

    /**
     * Turns the append-only file on (default) or off. AOF uses {@code appendfsync always}.
     *
     * @param appendOnly whether the server writes an append-only file
     * @return this builder
     */
    @CanIgnoreReturnValue
    public Builder appendOnly(boolean appendOnly) {
      this.appendOnly = appendOnly;
      return this;
    }

    /**
     * Requires clients to authenticate with {@code password}; {@link #toString()} never shows it.
     *
     * @param password the {@code requirepass} value
     * @return this builder
     */
    @CanIgnoreReturnValue
    public Builder password(String password) {
      this.password = requireNonNull(password, "password");
      return this;
    }

    /**
     * Adds configuration arguments, for example {@code "--replicaof", "127.0.0.1", "6380"}.
     *
     * @param arguments {@code redis-server} command-line arguments, added after the defaults
     * @return this builder
     */
    @CanIgnoreReturnValue
    public Builder arguments(String... arguments) {
      extraArguments.addAll(List.of(arguments));
      return this;
    }

    /**
     * Also listens with TLS, on a second free port ({@link RedisServerProcess#tlsPort()}), with
     * these certificates, asking clients for none ({@code tls-auth-clients no}); replication, a
     * cluster's bus and a Sentinel's connections to its nodes use TLS too ({@code tls-replication},
     * {@code tls-cluster}). The plain port stays open, bound to 127.0.0.1, for the fixtures' own
     * probes, which speak plain RESP; clients under test use the TLS port.
     *
     * @param certificates the server's certificate and key and the authority to trust
     * @return this builder
     */
    @CanIgnoreReturnValue
    public Builder tls(TlsCertificates certificates) {
      this.tls = requireNonNull(certificates, "certificates");
      return this;
    }

    /**
     * Sets the data directory (default: a new temporary one, deleted at close).
     *
     * @param dataDirectory an existing directory, kept at close
     * @return this builder
     */
    @CanIgnoreReturnValue
    public Builder dataDirectory(Path dataDirectory) {
      this.dataDirectory = requireNonNull(dataDirectory, "dataDirectory");
      return this;
    }

    /**
     * Runs a Redis Sentinel instead of a data node: {@code redis-server <dir>/sentinel.conf
     * --sentinel}, the file written at the first start as {@code port <port>} followed by {@code
     * configuration}, and kept (Sentinel rewrites it) across restarts. The data-node options
     * (append-only file, {@code save}) are not passed; a {@linkplain #password password} becomes
     * the Sentinel's own {@code requirepass}.
     */
    @CanIgnoreReturnValue
    Builder sentinel(List<String> configuration) {
      this.sentinelConfiguration = List.copyOf(configuration);
      return this;
    }

    /**
     * Starts the server on a free loopback port and waits until it answers {@code PING}.
     *
     * @return the running server; close it to stop it and delete its temporary data
     * @throws IllegalStateException if no executable is found, or the server exits or does not
     *     answer during start-up (the message names its log)
     */
    public RedisServerProcess start() {
      String command =
          executable != null ? executable : RedisBinary.resolve().executable().toString();
      try {
        boolean owns = dataDirectory == null;
        Path dir =
            owns ? Files.createTempDirectory("tokenherd-redis-") : requireNonNull(dataDirectory);
        int port = freePort();
        int tlsPort = 0;
        while (tls != null && (tlsPort == 0 || tlsPort == port)) {
          tlsPort = freePort();
        }
        RedisServerProcess server = new RedisServerProcess(this, command, port, tlsPort, dir, owns);
        server.launch();
        return server;
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }

    /** A loopback port that was free a moment ago. */
    static int freePort() throws IOException {
      try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
        return socket.getLocalPort();
      }
    }
  }
}

package dev.tokenherd.examples;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tokenherd.testkit.ProcessOutput;
import dev.tokenherd.testkit.StartupTimeout;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.zip.DataFormatException;
import org.HdrHistogram.Histogram;
import org.jspecify.annotations.Nullable;

/**
 * A pod in its own JVM: this jar's {@code worker} mode, started with {@code --json --stdin}. It
 * reports its counters as one JSON line a second and, when its standard input is closed, a last
 * line with its latency histogram (HdrHistogram's compressed encoding, base64). Its standard error
 * reaches this JVM's.
 */
final class WorkerProcess implements PodHandle {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final TypeReference<List<Long>> LONGS = new TypeReference<>() {};
  private static final TypeReference<List<Integer>> INTEGERS = new TypeReference<>() {};

  private final String name;
  private final Process process;

  /**
   * Orders writes to and the closing of the worker's standard input (not the Process's own lock).
   */
  private final Object stdin = new Object();

  private volatile java.util.function.Consumer<WorkerProcess> onChaos = pod -> {};
  private volatile Counts counts = Counts.ZERO;
  private volatile @Nullable Histogram histogram;
  private volatile WaitTimeline timeline = new WaitTimeline();
  private final ProcessOutput output;

  private WorkerProcess(String name, Process process) {
    this.name = name;
    this.process = process;
    this.output = ProcessOutput.follow("worker " + name, process, null, this::readReport);
  }

  static WorkerProcess start(Target target, Strategy strategy, int threads, String name) {
    return start(target, strategy, threads, name, List.of());
  }

  /**
   * Starts a worker.
   *
   * @param lease the refresh lock's lease; null: the strategy's default
   * @param chaos whether the worker's chaos hook is on ({@link ChaosHook}): its token requests can
   *     then be held for {@link #send commands}
   */
  static WorkerProcess start(
      Target target,
      Strategy strategy,
      int threads,
      String name,
      @Nullable Duration lease,
      boolean chaos) {
    return start(target, strategy, threads, name, workerOptions(lease, chaos));
  }

  private static List<String> workerOptions(@Nullable Duration lease, boolean chaos) {
    List<String> options = new ArrayList<>();
    if (lease != null) {
      options.add("--lease");
      options.add(lease.toMillis() + "ms");
    }
    if (chaos) {
      options.add("--chaos-hook");
    }
    return options;
  }

  private static WorkerProcess start(
      Target target, Strategy strategy, int threads, String name, List<String> extraOptions) {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.add("-cp");
    command.add(System.getProperty("java.class.path"));
    command.add(FleetDemo.class.getName());
    command.addAll(
        List.of(
            "worker",
            "--redis",
            target.redisUri(),
            "--token-endpoint",
            target.tokenUri().toString(),
            "--client-id",
            target.clientId(),
            "--threads",
            Integer.toString(threads),
            "--strategy",
            strategy.id(),
            "--name",
            name,
            "--namespace",
            target.namespace(),
            "--json",
            "--stdin"));
    command.addAll(startupTimeoutArguments());
    command.addAll(extraOptions);
    // standard error piped: ProcessOutput copies it to ours and keeps its tail for failures
    ProcessBuilder builder = new ProcessBuilder(command);
    // the secret travels in the environment, not on a command line that ps shows; what this
    // JVM was given for itself stays here (a secret file would conflict with the variable, and
    // every worker would try to bind the same health port)
    builder.environment().remove(ClientSecret.FILE_VARIABLE);
    builder.environment().remove(HealthServer.PORT_VARIABLE);
    builder.environment().put(ClientSecret.VARIABLE, target.clientSecret());
    try {
      return new WorkerProcess(name, builder.start());
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start worker " + name, e);
    }
  }

  /**
   * Returns the worker mode's {@code --startup-timeout} argument: the start-up timeout in effect
   * here ({@link StartupTimeout#get()}), for its wait for the credential to be seeded.
   */
  static List<String> startupTimeoutArguments() {
    return List.of("--startup-timeout", StartupTimeout.get().toMillis() + "ms");
  }

  private void readReport(String line) {
    if (!line.startsWith("{")) {
      return;
    }
    try {
      report(JSON.readTree(line));
    } catch (IOException | DataFormatException | IllegalArgumentException e) {
      // a garbled line: the counts so far stand, and if it was the last, stop() reports no
      // latencies
    }
  }

  private void report(JsonNode line) throws DataFormatException {
    String type = line.path("type").asText();
    switch (type) {
      case "chaos" -> onChaos.accept(this);
      case "progress", "result" -> {
        counts =
            new Counts(
                line.path("calls").asLong(),
                line.path("errors").asLong(),
                line.path("reauth_required").asLong());
        String encoded = line.path("histogram").asText("");
        if (!encoded.isEmpty()) {
          histogram =
              Histogram.decodeFromCompressedByteBuffer(
                  ByteBuffer.wrap(Base64.getDecoder().decode(encoded)), 0);
        }
        JsonNode calls = line.path("timeline");
        if (calls.isObject()) {
          timeline =
              WaitTimeline.fromMap(
                  calls.path("origin").asLong(),
                  JSON.convertValue(calls.path("slowest_us"), LONGS),
                  JSON.convertValue(calls.path("waited"), INTEGERS));
        }
      }
      default -> {
        // other lines are for people
      }
    }
  }

  /**
   * Waits for the worker's {@code opened} line (its clients are open; it waits for the credential
   * to be seeded), for at most {@link StartupTimeout#get()} from its start.
   *
   * @throws IllegalStateException if it does not come: with the deadline and the tail of what the
   *     worker wrote
   */
  void awaitOpened() {
    awaitLine("opened");
  }

  /**
   * Waits for the worker's {@code ready} line, for at most {@link StartupTimeout#get()} from its
   * start.
   *
   * @throws IllegalStateException if it does not come: with the deadline and the tail of what the
   *     worker wrote
   */
  void awaitReady() {
    awaitLine("ready");
  }

  private void awaitLine(String type) {
    try {
      output.awaitStartup("\"type\":\"" + type + "\"");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
  }

  @Override
  public String name() {
    return name;
  }

  /** Calls {@code listener}, on this worker's output thread, when its chaos hook holds. */
  void onChaos(java.util.function.Consumer<WorkerProcess> listener) {
    this.onChaos = listener;
  }

  /** Sends the worker one line on its standard input (a chaos command); false if it is gone. */
  boolean send(String line) {
    synchronized (stdin) {
      try {
        process
            .getOutputStream()
            .write((line + "\n").getBytes(java.nio.charset.StandardCharsets.UTF_8));
        process.getOutputStream().flush();
        return true;
      } catch (IOException e) {
        return false;
      }
    }
  }

  /** Kills the worker at once: SIGKILL, no shutdown hook, no last report. */
  void kill() {
    process.destroyForcibly();
  }

  /**
   * Stops ({@code SIGSTOP}) or continues ({@code SIGCONT}) the worker's whole JVM, every thread and
   * timer of it, as a long GC pause or a frozen container would; Java has no call for these
   * signals, so {@code kill(1)} sends them.
   *
   * @throws IllegalStateException if the signal could not be sent
   */
  void signal(String signal) {
    try {
      Process kill =
          new ProcessBuilder("kill", "-" + signal, Long.toString(process.pid()))
              .redirectErrorStream(true)
              .start();
      String said =
          new String(kill.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
      if (!kill.waitFor(30, TimeUnit.SECONDS) || kill.exitValue() != 0) {
        throw new IllegalStateException(
            "kill -" + signal + " " + process.pid() + " failed: " + said.trim());
      }
    } catch (IOException e) {
      throw new IllegalStateException("cannot run kill -" + signal + ": " + e.getMessage(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
  }

  @Override
  public Counts counts() {
    return counts;
  }

  /** Closes the worker's standard input, waits for its last report and for it to exit. */
  @Override
  public Waits stop() {
    synchronized (stdin) {
      try {
        process.getOutputStream().close();
      } catch (IOException e) {
        // already gone
      }
    }
    try {
      output.awaitEnd(Duration.ofSeconds(30));
      if (!process.waitFor(10, TimeUnit.SECONDS)) {
        process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      process.destroyForcibly();
    }
    Histogram h = histogram;
    return new Waits(h == null ? Pod.newHistogram() : h, timeline);
  }

  static String encode(Histogram histogram) {
    ByteBuffer buffer = ByteBuffer.allocate(histogram.getNeededByteBufferCapacity());
    int length = histogram.encodeIntoCompressedByteBuffer(buffer);
    return Base64.getEncoder().encodeToString(java.util.Arrays.copyOf(buffer.array(), length));
  }
}

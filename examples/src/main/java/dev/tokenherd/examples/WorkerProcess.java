package dev.tokenherd.examples;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.zip.DataFormatException;
import org.HdrHistogram.Histogram;
import org.jspecify.annotations.Nullable;

/**
 * A pod in its own JVM: this jar's {@code worker} mode, started with {@code --json --stdin}. It
 * reports its counters as one JSON line a second and, when its standard input is closed, a last
 * line with its latency histogram (HdrHistogram's compressed encoding, base64).
 */
final class WorkerProcess implements PodHandle {
  private static final ObjectMapper JSON = new ObjectMapper();

  private final String name;
  private final Process process;
  private final CountDownLatch ready = new CountDownLatch(1);
  private final CountDownLatch finished = new CountDownLatch(1);
  private volatile Counts counts = Counts.ZERO;
  private volatile @Nullable Histogram histogram;

  private WorkerProcess(String name, Process process) {
    this.name = name;
    this.process = process;
    Thread reader = new Thread(this::readReports, name + "-reports");
    reader.setDaemon(true);
    reader.start();
  }

  static WorkerProcess start(Target target, Strategy strategy, int threads, String name) {
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
    ProcessBuilder builder =
        new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT);
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

  private void readReports() {
    try (BufferedReader lines =
        new BufferedReader(
            new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
      String line;
      while ((line = lines.readLine()) != null) {
        if (line.startsWith("{")) {
          report(JSON.readTree(line));
        }
      }
    } catch (IOException | DataFormatException e) {
      // the worker died or wrote garbage: the counts so far stand, stop() reports no latencies
    } finally {
      ready.countDown();
      finished.countDown();
    }
  }

  private void report(JsonNode line) throws DataFormatException {
    String type = line.path("type").asText();
    switch (type) {
      case "ready" -> ready.countDown();
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
      }
      default -> {
        // other lines are for people
      }
    }
  }

  void awaitReady(Duration timeout) {
    try {
      if (!ready.await(timeout.toMillis(), TimeUnit.MILLISECONDS) || !process.isAlive()) {
        throw new IllegalStateException("worker " + name + " did not start");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public Counts counts() {
    return counts;
  }

  /** Closes the worker's standard input, waits for its last report and for it to exit. */
  @Override
  public Histogram stop() {
    try {
      process.getOutputStream().close();
    } catch (IOException e) {
      // already gone
    }
    try {
      finished.await(30, TimeUnit.SECONDS);
      if (!process.waitFor(10, TimeUnit.SECONDS)) {
        process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      process.destroyForcibly();
    }
    Histogram h = histogram;
    return h == null ? Pod.newHistogram() : requireNonNull(h);
  }

  static String encode(Histogram histogram) {
    ByteBuffer buffer = ByteBuffer.allocate(histogram.getNeededByteBufferCapacity());
    int length = histogram.encodeIntoCompressedByteBuffer(buffer);
    return Base64.getEncoder().encodeToString(java.util.Arrays.copyOf(buffer.array(), length));
  }
}

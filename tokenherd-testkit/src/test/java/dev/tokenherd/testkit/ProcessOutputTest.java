package dev.tokenherd.testkit;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PipedInputStream;
import java.io.PipedOutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Following a process's output, awaiting its lines and the tails in failure messages, on a fake
 * {@link Process} whose streams this test writes ({@link ProcessOutputIT} runs real ones).
 */
final class ProcessOutputTest {
  private static final Duration LONG = Duration.ofSeconds(30);

  @TempDir Path directory;

  private final FakeProcess process = new FakeProcess();
  private final @Nullable String savedTimeout = System.getProperty(StartupTimeout.PROPERTY);

  @AfterEach
  void restoreTimeout() {
    if (savedTimeout == null) {
      System.clearProperty(StartupTimeout.PROPERTY);
    } else {
      System.setProperty(StartupTimeout.PROPERTY, savedTimeout);
    }
  }

  @Test
  void awaitStartup_findsTheReadyLine_printedBeforeOrAfterTheCall() throws Exception {
    List<String> handled = new CopyOnWriteArrayList<>();
    ProcessOutput output = ProcessOutput.follow("w1", process, null, handled::add);
    process.out("starting");
    process.out("ready");
    assertThat(output.awaitStartup("ready")).isEqualTo("ready");

    Thread late = new Thread(() -> process.out("{\"report\":1}"));
    late.start();
    assertThat(output.awaitLine("{", LONG)).isEqualTo("{\"report\":1}");
    late.join();
    assertThat(output.lines()).containsExactly("starting", "ready", "{\"report\":1}");
    assertThat(handled).containsExactly("starting", "ready", "{\"report\":1}");
    assertThat(output.name()).isEqualTo("w1");
  }

  @Test
  void awaitStartup_outputEndsFirst_failsAtOnceWithTheExitStatusAndBothTails() throws Exception {
    Path stderr = directory.resolve("w1.stderr.log");
    Files.writeString(stderr, "Exception in thread \"main\" java.net.ConnectException: refused\n");
    ProcessOutput output = ProcessOutput.follow("worker w1", process, stderr);
    process.out("connecting to redis://127.0.0.1:1");
    process.exit(1);

    long started = System.nanoTime();
    assertThatThrownBy(() -> output.awaitStartup("ready"))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageStartingWith(
            "worker w1 did not start: its output ended (exit status 1) without a line containing"
                + " \"ready\"")
        .hasMessageContaining("--- standard output of worker w1 ---\nconnecting to redis")
        .hasMessageContaining(
            "--- standard error of worker w1 (" + stderr + ") ---\nException in thread \"main\"");
    assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(LONG);
  }

  @Test
  void awaitStartup_deadlineRunsOut_saysWhichDeadlineAndHowToRaiseIt() throws Exception {
    System.setProperty(StartupTimeout.PROPERTY, "200ms");
    ProcessOutput output = ProcessOutput.follow("process-0", process, null);
    process.out("loading classes");
    process.err("slow start: GC overhead");
    // Both read before the failure is written (the deadline may pass meanwhile: no matter)
    output.awaitLine("loading classes", LONG);
    await().atMost(LONG).until(() -> output.tail().contains("slow start"));

    assertThatThrownBy(() -> output.awaitStartup("ready"))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageStartingWith(
            "process-0 did not start: no line containing \"ready\" within PT0.2S of its start"
                + " (the start-up timeout; set -Dtokenherd.startupTimeout=PT10M, for example, to"
                + " wait longer); the process is still running\n")
        .hasMessageContaining("--- standard output of process-0 ---\nloading classes")
        .hasMessageContaining("--- standard error of process-0 ---\nslow start: GC overhead");
  }

  @Test
  void awaitLine_timeoutRunsOut_namesTheTimeout() throws Exception {
    ProcessOutput output = ProcessOutput.follow("server", process, null);
    process.out("fake-auth-server: [  1s] token requests 0");

    assertThatThrownBy(() -> output.awaitLine("\"type\":\"result\"", Duration.ofMillis(50)))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageStartingWith(
            "server did not print it: no line containing \"\"type\":\"result\"\" within PT0.05S;"
                + " the process is still running\n--- standard output of server ---\n"
                + "fake-auth-server: [  1s] token requests 0");
  }

  @Test
  void awaitEnd_waitsForTheEndOfStandardOutput() throws Exception {
    ProcessOutput output = ProcessOutput.follow("w", process, null);
    assertThat(output.awaitEnd(Duration.ofMillis(20))).isFalse();
    process.exit(0);
    assertThat(output.awaitEnd(LONG)).isTrue();
  }

  @Test
  void aHandlerThatThrows_doesNotStopTheReading_andTheTailSaysSo() throws Exception {
    ProcessOutput output =
        ProcessOutput.follow(
            "w",
            process,
            null,
            line -> {
              if (line.startsWith("{")) {
                throw new IllegalArgumentException("not JSON: " + line);
              }
            });
    process.out("{garbage");
    process.out("ready");
    assertThat(output.awaitStartup("ready")).isEqualTo("ready");
    assertThat(output.tail())
        .contains(
            "(the line handler failed: java.lang.IllegalArgumentException: not JSON: {garbage)");
  }

  @Test
  void pipedStandardError_keepsItsLast50Lines() throws Exception {
    ProcessOutput output = ProcessOutput.follow("w", process, null);
    for (int i = 1; i <= 80; i++) {
      process.err("e" + i);
    }
    process.exit(2);
    await().atMost(LONG).until(() -> output.tail().endsWith("\ne80"));

    String tail = output.tail();
    assertThat(tail)
        .startsWith("--- standard output of w ---\n(nothing)\n--- standard error of w ---\ne31\n")
        .endsWith("\ne80")
        .doesNotContain("e30\n");
  }

  @Test
  void tailOfLines_keepsTheLast50() {
    List<String> lines = numbered(120, "line ");

    String tail = ProcessOutput.tail(lines);

    assertThat(tail.lines().toList())
        .hasSize(51)
        .startsWith("(70 earlier lines left out)", "line 71")
        .endsWith("line 120");
    assertThat(ProcessOutput.tail(List.of())).isEqualTo("(nothing)");
    assertThat(ProcessOutput.tail(List.of("a", "b"))).isEqualTo("a\nb");
  }

  @Test
  void tailOfLines_keepsAtMost8KiB() {
    String filler = "x".repeat(199);
    List<String> lines = numbered(45, filler + " ");

    String tail = ProcessOutput.tail(lines);

    // 40 lines of about 204 bytes (and their newlines) fit in 8 KiB; 41 do not
    List<String> shown = tail.lines().toList();
    assertThat(shown.get(0))
        .isEqualTo("(" + (45 - (shown.size() - 1)) + " earlier lines left out)");
    assertThat(shown.subList(1, shown.size())).allMatch(l -> l.startsWith(filler));
    assertThat(shown.get(shown.size() - 1)).endsWith(" 45");
    assertThat(tail.substring(tail.indexOf('\n') + 1).getBytes(UTF_8).length)
        .isLessThanOrEqualTo(ProcessOutput.TAIL_BYTES);
    assertThat(shown.size() - 1).isBetween(39, 41);
  }

  @Test
  void tailOfLines_aHugeLastLine_showsItsEnd() {
    String huge = "é".repeat(10_000) + "THE END";

    String tail = ProcessOutput.tail(List.of("before", huge));

    assertThat(tail).startsWith("(1 earlier lines left out)\n...").endsWith("éTHE END");
    assertThat(tail.substring(tail.indexOf('\n') + 1).getBytes(UTF_8).length)
        .isLessThanOrEqualTo(ProcessOutput.TAIL_BYTES);
  }

  @Test
  void tailOfFile_readsOnlyItsEnd() throws IOException {
    Path log = directory.resolve("big.log");
    Files.write(log, numbered(100_000, "log line "));

    String tail = ProcessOutput.tail(log);

    assertThat(tail.lines().toList())
        .hasSize(51)
        .startsWith("(earlier output left out)", "log line 99951")
        .endsWith("log line 100000");
  }

  @Test
  void tailOfFile_short_empty_missing() throws IOException {
    Path log = Files.writeString(directory.resolve("short.log"), "one\ntwo\n");
    Path empty = Files.createFile(directory.resolve("empty.log"));
    Path missing = directory.resolve("missing.log");

    assertThat(ProcessOutput.tail(log)).isEqualTo("one\ntwo");
    assertThat(ProcessOutput.tail(empty)).isEqualTo("(nothing)");
    assertThat(ProcessOutput.tail(missing)).isEqualTo("(no file " + missing + ")");
    assertThatThrownBy(() -> ProcessOutput.tail(directory))
        .isInstanceOf(UncheckedIOException.class)
        .hasMessageContaining("cannot read " + directory);
  }

  @Test
  void tailOfFile_oneLineLongerThanTheTail_showsItsEnd() throws IOException {
    Path log = Files.writeString(directory.resolve("one.log"), "y".repeat(20_000) + "END\n");

    String tail = ProcessOutput.tail(log);

    assertThat(tail).startsWith("(earlier output left out)\nyyy").endsWith("yEND");
    assertThat(tail.getBytes(UTF_8).length).isLessThanOrEqualTo(ProcessOutput.TAIL_BYTES + 30);
  }

  private static List<String> numbered(int count, String prefix) {
    return IntStream.rangeClosed(1, count)
        .mapToObj(i -> prefix + i)
        .collect(Collectors.toUnmodifiableList());
  }

  /** A process whose standard output and error this test writes, line by line. */
  private static final class FakeProcess extends Process {
    private final PipedOutputStream stdout = new PipedOutputStream();
    private final PipedOutputStream stderr = new PipedOutputStream();
    private final InputStream stdoutIn;
    private final InputStream stderrIn;
    private volatile @Nullable Integer exitStatus;

    FakeProcess() {
      try {
        stdoutIn = new PipedInputStream(stdout, 1 << 16);
        stderrIn = new PipedInputStream(stderr, 1 << 16);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }

    void out(String line) {
      write(stdout, line);
    }

    void err(String line) {
      write(stderr, line);
    }

    private static void write(OutputStream stream, String line) {
      try {
        stream.write((line + "\n").getBytes(UTF_8));
        stream.flush();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }

    void exit(int status) {
      exitStatus = status;
      try {
        stdout.close();
        stderr.close();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }

    @Override
    public OutputStream getOutputStream() {
      return OutputStream.nullOutputStream();
    }

    @Override
    public InputStream getInputStream() {
      return stdoutIn;
    }

    @Override
    public InputStream getErrorStream() {
      return stderrIn;
    }

    @Override
    public int waitFor() {
      throw new UnsupportedOperationException();
    }

    @Override
    public int exitValue() {
      Integer status = exitStatus;
      if (status == null) {
        throw new IllegalThreadStateException("running");
      }
      return status;
    }

    @Override
    public boolean isAlive() {
      return exitStatus == null;
    }

    @Override
    public void destroy() {
      exit(137);
    }
  }
}

package dev.tokenherd.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link ProcessOutput} on real processes ({@code sh}): a start, a failed start, a silent one. */
final class ProcessOutputIT {
  private static final Duration LONG = Duration.ofSeconds(60);

  @TempDir Path directory;

  private final List<Process> processes = new ArrayList<>();

  @AfterEach
  void tearDown() throws InterruptedException {
    for (Process process : processes) {
      process.destroyForcibly().waitFor();
    }
  }

  @Test
  void aProcessThatStarts_isAwaited_andItsEndToo() throws Exception {
    Process process = start(new ProcessBuilder("sh", "-c", "echo starting; echo ready; cat"));
    ProcessOutput output = ProcessOutput.follow("sh", process, null);

    assertThat(output.awaitStartup("ready")).isEqualTo("ready");
    process.getOutputStream().close();
    assertThat(output.awaitEnd(LONG)).isTrue();
    assertThat(output.lines()).containsExactly("starting", "ready");
  }

  @Test
  void aProcessThatDiesDuringStartUp_failsWithItsExitStatusAndWhatItWrote() throws Exception {
    Path stderr = directory.resolve("sh.stderr.log");
    Process process =
        start(
            new ProcessBuilder("sh", "-c", "echo connecting; echo 'boom: no Redis' >&2; exit 3")
                .redirectError(stderr.toFile()));
    ProcessOutput output = ProcessOutput.follow("worker w0", process, stderr);
    process.waitFor();

    assertThatThrownBy(() -> output.awaitStartup("ready"))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageStartingWith("worker w0 did not start: its output ended")
        .hasMessageContaining("(exit status 3) without a line containing \"ready\"")
        .hasMessageContaining("--- standard output of worker w0 ---\nconnecting")
        .hasMessageContaining("(" + stderr + ") ---\nboom: no Redis");
  }

  @Test
  void aSilentProcess_timesOut_withItsPipedStandardError() throws Exception {
    Process process = start(new ProcessBuilder("sh", "-c", "echo 'warming up' >&2; cat"));
    ProcessOutput output = ProcessOutput.follow("silent", process, null);
    await().atMost(LONG).until(() -> output.tail().contains("warming up"));

    assertThatThrownBy(() -> output.awaitLine("ready", Duration.ofMillis(100)))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageStartingWith(
            "silent did not print it: no line containing \"ready\" within PT0.1S; the process is"
                + " still running")
        .hasMessageContaining("--- standard error of silent ---\nwarming up");
  }

  private Process start(ProcessBuilder builder) throws IOException {
    Process process = builder.start();
    processes.add(process);
    return process;
  }
}

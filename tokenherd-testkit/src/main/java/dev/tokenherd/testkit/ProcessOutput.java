package dev.tokenherd.testkit;

import static java.nio.charset.StandardCharsets.UTF_8;
import static java.util.Objects.requireNonNull;

import com.google.errorprone.annotations.concurrent.GuardedBy;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;

/**
 * What a child process writes, followed on two daemon threads: every line of its standard output
 * (kept, and handed to an optional handler as it arrives) and the tail of its standard error. A
 * standard error redirected to a file is read from that file when needed; a piped one is copied to
 * this JVM's {@code System.err}, as {@code Redirect.INHERIT} would, and its tail kept.
 *
 * <p>Waits for a line fail with the tail of both streams (the last {@value #TAIL_LINES} lines and
 * at most {@value #TAIL_BYTES} bytes of each), so that a process that did not start, or did not say
 * what was expected, says why in the failure itself:
 *
 * <pre>{@code
 * Process process = new ProcessBuilder(command).redirectError(stderr.toFile()).start();
 * ProcessOutput output = ProcessOutput.follow("worker-1", process, stderr);
 * output.awaitStartup("ready"); // within StartupTimeout.get() of the process's start
 * }</pre>
 *
 * <p>All standard output lines are kept for the life of this object: it is meant for test and demo
 * processes, which write little.
 */
public final class ProcessOutput {
  /** The most lines of each stream that a {@linkplain #tail() tail} shows. */
  public static final int TAIL_LINES = 50;

  /** The most bytes (UTF-8) of each stream that a {@linkplain #tail() tail} shows. */
  public static final int TAIL_BYTES = 8 * 1024;

  /** Longer waits than this (about 100 years) are waits without a deadline. */
  private static final Duration FOREVER = Duration.ofDays(36_500);

  private final String name;
  private final Process process;
  private final @Nullable Path stderrFile;
  private final Consumer<String> onLine;
  private final long followedSince = System.nanoTime();

  @GuardedBy("this")
  private final List<String> lines = new ArrayList<>();

  @GuardedBy("this")
  private final Deque<String> pipedStderr = new ArrayDeque<>();

  @GuardedBy("this")
  private boolean ended;

  @GuardedBy("this")
  private @Nullable RuntimeException handlerFailure;

  private ProcessOutput(
      String name, Process process, @Nullable Path stderrFile, Consumer<String> onLine) {
    this.name = requireNonNull(name, "name");
    this.process = requireNonNull(process, "process");
    this.stderrFile = stderrFile;
    this.onLine = requireNonNull(onLine, "onLine");
  }

  /**
   * Starts following a process that was just started (its start-up deadline counts from now).
   *
   * @param name what failure messages call the process, for example {@code "worker w1"}
   * @param process the process; its standard output must be piped (the default)
   * @param stderrFile the file its standard error was redirected to, or {@code null} if it is piped
   *     (its tail is then kept here), merged into standard output or inherited
   * @return the output, followed from now on
   */
  public static ProcessOutput follow(String name, Process process, @Nullable Path stderrFile) {
    return follow(name, process, stderrFile, line -> {});
  }

  /**
   * Starts following a process that was just started (its start-up deadline counts from now), and
   * hands each line of its standard output to {@code onLine}, on the reading thread, before the
   * line is kept: a line that {@link #lines()} or a wait returns has been handled. Should {@code
   * onLine} throw, reading goes on and the tail names the first failure.
   *
   * @param name what failure messages call the process, for example {@code "worker w1"}
   * @param process the process; its standard output must be piped (the default)
   * @param stderrFile the file its standard error was redirected to, or {@code null} if it is piped
   *     (its tail is then kept here), merged into standard output or inherited
   * @param onLine what to do with each standard output line as it arrives
   * @return the output, followed from now on
   */
  public static ProcessOutput follow(
      String name, Process process, @Nullable Path stderrFile, Consumer<String> onLine) {
    ProcessOutput output = new ProcessOutput(name, process, stderrFile, onLine);
    daemon(output::readStdout, name + "-stdout").start();
    daemon(output::readStderr, name + "-stderr").start();
    return output;
  }

  private static Thread daemon(Runnable task, String name) {
    Thread thread = new Thread(task, name);
    thread.setDaemon(true);
    return thread;
  }

  private void readStdout() {
    try (BufferedReader in = reader(process.getInputStream())) {
      String line;
      while ((line = in.readLine()) != null) {
        // The handler runs first, so that a wait that returns a line finds it handled.
        RuntimeException failure = null;
        try {
          onLine.accept(line);
        } catch (RuntimeException e) {
          failure = e;
        }
        synchronized (this) {
          if (failure != null && handlerFailure == null) {
            handlerFailure = failure;
          }
          lines.add(line);
          notifyAll();
        }
      }
    } catch (IOException e) {
      // the process ended, or its output was closed: the end of its output either way
    } finally {
      synchronized (this) {
        ended = true;
        notifyAll();
      }
    }
  }

  private void readStderr() {
    // A redirected, merged or inherited standard error reads as empty here.
    try (BufferedReader in = reader(process.getErrorStream())) {
      String line;
      while ((line = in.readLine()) != null) {
        System.err.println(line);
        synchronized (this) {
          pipedStderr.addLast(line);
          if (pipedStderr.size() > TAIL_LINES) {
            pipedStderr.removeFirst();
          }
        }
      }
    } catch (IOException e) {
      // the process ended
    }
  }

  private static BufferedReader reader(InputStream in) {
    return new BufferedReader(new InputStreamReader(in, UTF_8));
  }

  /**
   * Returns the process's name, as given to {@link #follow}.
   *
   * @return the name
   */
  public String name() {
    return name;
  }

  /**
   * Returns every line of standard output so far, oldest first.
   *
   * @return a copy of the lines
   */
  public synchronized List<String> lines() {
    return List.copyOf(lines);
  }

  /**
   * Waits for the process to print a line containing {@code readyText}, for at most {@link
   * StartupTimeout#get()} counted from the process's start, and returns the first such line (an
   * earlier one is found too).
   *
   * @param readyText what the process prints once it has started, for example {@code "ready"}
   * @return the first line containing it
   * @throws IllegalStateException if the deadline runs out, or the process's output ends, first:
   *     the message says which, with the deadline and the {@linkplain #tail() tail} of the output
   * @throws InterruptedException if this thread is interrupted while waiting
   */
  public String awaitStartup(String readyText) throws InterruptedException {
    Duration timeout = StartupTimeout.get();
    return await(
        readyText,
        followedSince + nanos(timeout),
        "did not start",
        "within "
            + timeout
            + " of its start (the start-up timeout; set -D"
            + StartupTimeout.PROPERTY
            + "=PT10M, for example, to wait longer)");
  }

  /**
   * Waits for the process to print a line containing {@code text}, for at most {@code timeout} from
   * now, and returns the first such line (an earlier one is found too).
   *
   * @param text what the line contains
   * @param timeout how long to wait
   * @return the first line containing {@code text}
   * @throws IllegalStateException if the timeout runs out, or the process's output ends, first: the
   *     message says which, with the timeout and the {@linkplain #tail() tail} of the output
   * @throws InterruptedException if this thread is interrupted while waiting
   */
  public String awaitLine(String text, Duration timeout) throws InterruptedException {
    return await(text, System.nanoTime() + nanos(timeout), "did not print it", "within " + timeout);
  }

  private String await(String text, long deadline, String failure, String within)
      throws InterruptedException {
    requireNonNull(text, "text");
    synchronized (this) {
      int next = 0;
      while (true) {
        for (; next < lines.size(); next++) {
          if (lines.get(next).contains(text)) {
            return lines.get(next);
          }
        }
        if (ended) {
          throw failure(
              failure, "its output ended" + exitStatus() + " without a line containing", text, "");
        }
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          break;
        }
        TimeUnit.NANOSECONDS.timedWait(this, left);
      }
    }
    String state = process.isAlive() ? "; the process is still running" : exitStatus();
    throw failure(failure, "no line containing", text, " " + within + state);
  }

  private IllegalStateException failure(
      String failure, String problem, String text, String detail) {
    return new IllegalStateException(
        name + " " + failure + ": " + problem + " \"" + text + "\"" + detail + "\n" + tail());
  }

  private String exitStatus() {
    return process.isAlive() ? "" : " (exit status " + process.exitValue() + ")";
  }

  /**
   * Waits for the end of the process's standard output (it exited, or closed it).
   *
   * @param timeout how long to wait
   * @return whether the output ended within {@code timeout}
   * @throws InterruptedException if this thread is interrupted while waiting
   */
  public boolean awaitEnd(Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + nanos(timeout);
    synchronized (this) {
      while (!ended) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          return false;
        }
        TimeUnit.NANOSECONDS.timedWait(this, left);
      }
      return true;
    }
  }

  private static long nanos(Duration timeout) {
    return (timeout.compareTo(FOREVER) > 0 ? FOREVER : timeout).toNanos();
  }

  /**
   * Returns the tail of what the process wrote: its standard output, then its standard error (from
   * the file it was redirected to, or as piped), each under a heading line.
   *
   * @return the tail of both streams, for a failure message
   */
  public String tail() {
    List<String> stdout;
    List<String> stderr;
    RuntimeException failure;
    synchronized (this) {
      stdout = List.copyOf(lines);
      stderr = List.copyOf(pipedStderr);
      failure = handlerFailure;
    }
    StringBuilder text = new StringBuilder();
    text.append("--- standard output of ").append(name).append(" ---\n").append(tail(stdout));
    if (failure != null) {
      text.append("\n(the line handler failed: ").append(failure).append(')');
    }
    Path file = stderrFile;
    if (file != null) {
      text.append("\n--- standard error of ")
          .append(name)
          .append(" (")
          .append(file.toAbsolutePath())
          .append(") ---\n")
          .append(tail(file));
    } else if (!stderr.isEmpty()) {
      text.append("\n--- standard error of ").append(name).append(" ---\n").append(tail(stderr));
    }
    return text.toString();
  }

  /**
   * Returns the last {@value #TAIL_LINES} of {@code lines}, at most {@value #TAIL_BYTES} bytes of
   * them (of a longer last line, its end), one per line, after a note of how many were left out.
   *
   * @param lines what a process wrote, oldest first
   * @return the tail, or {@code (nothing)} for no lines
   */
  public static String tail(List<String> lines) {
    return OutputTail.of(lines, false);
  }

  /**
   * Returns the tail of a file a process wrote (a log, a redirected stream): its last {@value
   * #TAIL_LINES} lines within its last {@value #TAIL_BYTES} bytes, read from the end of the file
   * however long it is.
   *
   * @param file the file
   * @return the tail, {@code (nothing)} for an empty file, or a note that there is no such file
   * @throws UncheckedIOException if the file exists but cannot be read
   */
  public static String tail(Path file) {
    return OutputTail.of(file);
  }
}

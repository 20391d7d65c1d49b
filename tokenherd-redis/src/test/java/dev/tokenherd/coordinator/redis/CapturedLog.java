package dev.tokenherd.coordinator.redis;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * What slf4j-simple (the tests' binding) writes to {@code System.err} while this is open, still
 * passed on to the real {@code System.err}. slf4j-simple looks {@code System.err} up at every
 * write, so swapping the stream is enough. Tests run one at a time in this module.
 */
final class CapturedLog implements AutoCloseable {
  private final PrintStream original = System.err;
  private final ByteArrayOutputStream captured = new ByteArrayOutputStream();

  private CapturedLog() {
    OutputStream tee =
        new OutputStream() {
          @Override
          public void write(int b) {
            synchronized (captured) {
              captured.write(b);
            }
            original.write(b);
          }

          @Override
          public void write(byte[] b, int off, int len) {
            synchronized (captured) {
              captured.write(b, off, len);
            }
            original.write(b, off, len);
          }

          @Override
          public void flush() {
            original.flush();
          }
        };
    System.setErr(new PrintStream(tee, true, StandardCharsets.UTF_8));
  }

  /** Starts capturing. */
  static CapturedLog start() {
    return new CapturedLog();
  }

  /** Returns the lines logged at {@code level} by the logger of {@code source} so far. */
  List<String> lines(String level, Class<?> source) {
    String marker = " " + level + " " + source.getName() + " - ";
    String text;
    synchronized (captured) {
      text = captured.toString(StandardCharsets.UTF_8);
    }
    return text.lines().filter(line -> line.contains(marker)).toList();
  }

  /** Returns the warnings of {@link RedisBackend}'s logger so far. */
  List<String> backendWarnings() {
    return lines("WARN", RedisBackend.class);
  }

  @Override
  public void close() {
    System.err.flush();
    System.setErr(original);
  }
}

package dev.tokenherd.chaos;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Clock;
import java.time.Instant;
import java.util.function.Consumer;

/**
 * An append-only JSON-lines event log. Every line is one event: {@code t} (epoch microseconds),
 * {@code worker}, {@code type} and the event's own fields. Each line is flushed as it is written,
 * so a process killed with SIGKILL leaves every event it logged before the kill.
 */
public final class EventLog implements AutoCloseable {
  private static final ObjectMapper JSON = new ObjectMapper();

  private final String worker;
  private final Clock clock;
  private final BufferedWriter out;

  /**
   * Opens (appending to) the log at {@code file}.
   *
   * @param file the log file
   * @param worker the name written into every event
   * @param clock the clock events are stamped with
   * @throws IOException if the file cannot be opened
   */
  public EventLog(Path file, String worker, Clock clock) throws IOException {
    this.worker = worker;
    this.clock = clock;
    Path parent = file.toAbsolutePath().getParent();
    if (parent != null) {
      Files.createDirectories(parent);
    }
    this.out =
        Files.newBufferedWriter(
            file, StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
  }

  /** Returns {@code instant} in epoch microseconds, the unit of every {@code t} in the logs. */
  public static long micros(Instant instant) {
    return instant.getEpochSecond() * 1_000_000L + instant.getNano() / 1_000;
  }

  /**
   * Returns now on this log's clock, in epoch microseconds: for an event that records when
   * something began (the event's own {@code t} is when it is written, after it ended).
   *
   * @return the current time in microseconds
   */
  public long nowMicros() {
    return micros(clock.instant());
  }

  /**
   * Writes one event and flushes it.
   *
   * @param type the event type
   * @param fields fills in the event's own fields
   */
  public void emit(String type, Consumer<ObjectNode> fields) {
    ObjectNode event = JSON.createObjectNode();
    event.put("t", micros(clock.instant()));
    event.put("worker", worker);
    event.put("type", type);
    fields.accept(event);
    String line = event.toString();
    synchronized (out) {
      try {
        out.write(line);
        out.newLine();
        out.flush();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  }

  @Override
  public void close() throws IOException {
    synchronized (out) {
      out.close();
    }
  }
}

package dev.tokenherd.examples.resp;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * Splits the byte stream a client sends to Redis into requests: RESP arrays of bulk strings (what
 * Lettuce and Redisson send) and inline commands (a line of words). Incremental: bytes arrive in
 * chunks of any size, a request may span chunks and a chunk may hold many pipelined requests. Each
 * argument is kept up to {@link #KEPT_ARGUMENT_LENGTH} characters (a script's body is long; its
 * start and length are enough to tell scripts apart); a request is counted once, whole.
 */
public final class RespRequestParser {
  /** How many characters of each argument a parsed request keeps. */
  public static final int KEPT_ARGUMENT_LENGTH = 200;

  private byte[] buffer = new byte[8192];
  private int length;

  /** Creates a parser for one connection's stream, at its start. */
  public RespRequestParser() {}

  /**
   * Feeds {@code count} bytes and returns the requests they complete, in order.
   *
   * @throws IllegalStateException if the stream is not RESP
   */
  public List<List<String>> feed(byte[] bytes, int offset, int count) {
    if (length + count > buffer.length) {
      buffer = Arrays.copyOf(buffer, Math.max(buffer.length * 2, length + count));
    }
    System.arraycopy(bytes, offset, buffer, length, count);
    length += count;
    List<List<String>> requests = new ArrayList<>();
    int start = 0;
    while (start < length) {
      Parsed parsed = parse(start);
      if (parsed == null) {
        break;
      }
      requests.add(parsed.arguments);
      start = parsed.end;
    }
    System.arraycopy(buffer, start, buffer, 0, length - start);
    length -= start;
    return requests;
  }

  private record Parsed(List<String> arguments, int end) {}

  /** Parses one request at {@code start}; null if the buffer does not hold all of it yet. */
  private @Nullable Parsed parse(int start) {
    if (buffer[start] != '*') {
      int eol = lineEnd(start);
      if (eol < 0) {
        return null;
      }
      String line = new String(buffer, start, eol - start, StandardCharsets.UTF_8).trim();
      List<String> words = line.isEmpty() ? List.of() : List.of(line.split("\\s+", -1));
      return new Parsed(words, eol + 2);
    }
    int eol = lineEnd(start);
    if (eol < 0) {
      return null;
    }
    int count = number(start + 1, eol);
    int at = eol + 2;
    List<String> arguments = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      if (at >= length) {
        return null;
      }
      if (buffer[at] != '$') {
        throw new IllegalStateException("not a RESP bulk string at byte " + at);
      }
      int headerEnd = lineEnd(at);
      if (headerEnd < 0) {
        return null;
      }
      int size = number(at + 1, headerEnd);
      int dataStart = headerEnd + 2;
      if (dataStart + size + 2 > length) {
        return null;
      }
      arguments.add(
          new String(
              buffer, dataStart, Math.min(size, KEPT_ARGUMENT_LENGTH), StandardCharsets.UTF_8));
      at = dataStart + size + 2;
    }
    return new Parsed(arguments, at);
  }

  /** Returns the index of the {@code \r} ending the line at {@code from}, or -1. */
  private int lineEnd(int from) {
    for (int i = from; i + 1 < length; i++) {
      if (buffer[i] == '\r' && buffer[i + 1] == '\n') {
        return i;
      }
    }
    return -1;
  }

  private int number(int from, int to) {
    return Integer.parseInt(new String(buffer, from, to - from, StandardCharsets.US_ASCII));
  }
}

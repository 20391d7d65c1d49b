package dev.tokenherd.benchmarks;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Reads Redis's per-command call counters ({@code INFO commandstats}) over a raw socket, so that
 * reading them sends nothing but the {@code INFO} itself: no client handshake, no pings.
 */
final class RedisCommandStats {
  /**
   * Commands that do not come from the code under test: {@code info} is this probe, {@code ping} is
   * Redisson's connection keep-alive (every 30 s per pooled connection: driven by time, not by
   * calls). They are reported, but do not count against "zero Redis commands".
   */
  static final Set<String> NOT_FROM_HOT_PATH = Set.of("info", "ping");

  private RedisCommandStats() {}

  /**
   * Returns the number of calls per command name (lower case, e.g. {@code hgetall}).
   *
   * @param port the server's port on 127.0.0.1
   * @throws IOException if the server cannot be read
   */
  static Map<String, Long> snapshot(int port) throws IOException {
    return parse(info(port, "commandstats"));
  }

  /**
   * Returns the server's version ({@code redis_version} of {@code INFO server}), or {@code
   * unknown}.
   *
   * @param port the server's port on 127.0.0.1
   * @throws IOException if the server cannot be read
   */
  static String serverVersion(int port) throws IOException {
    return infoField(port, "server", "redis_version");
  }

  /**
   * Returns one field of an {@code INFO} section ({@code used_memory} of {@code memory}, say), or
   * {@code unknown}.
   *
   * @param port the server's port on 127.0.0.1
   * @param section the section
   * @param field the field's name
   * @throws IOException if the server cannot be read
   */
  static String infoField(int port, String section, String field) throws IOException {
    String prefix = field + ":";
    for (String line : info(port, section).split("\r?\n", -1)) {
      if (line.startsWith(prefix)) {
        return line.substring(prefix.length()).trim();
      }
    }
    return "unknown";
  }

  private static String info(int port, String section) throws IOException {
    try (Socket socket = new Socket()) {
      socket.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 1000);
      socket.setSoTimeout(5000);
      OutputStream out = socket.getOutputStream();
      out.write(
          ("*2\r\n$4\r\nINFO\r\n$" + section.length() + "\r\n" + section + "\r\n")
              .getBytes(StandardCharsets.US_ASCII));
      out.flush();
      InputStream in = new BufferedInputStream(socket.getInputStream());
      String header = readLine(in);
      if (!header.startsWith("$")) {
        throw new IOException("unexpected reply to INFO: " + header);
      }
      byte[] body = in.readNBytes(Integer.parseInt(header.substring(1)));
      return new String(body, StandardCharsets.UTF_8);
    }
  }

  /**
   * Returns the round trip of each of {@code count} {@code PING}s sent one after the other on one
   * connection (after one unmeasured warm-up), in microseconds.
   *
   * @param port the server's port on 127.0.0.1
   * @param count how many round trips to time
   * @throws IOException if the server cannot be reached or answers something else
   */
  static long[] pingRoundTripsMicros(int port, int count) throws IOException {
    byte[] ping = "*1\r\n$4\r\nPING\r\n".getBytes(StandardCharsets.US_ASCII);
    long[] micros = new long[count];
    try (Socket socket = new Socket()) {
      socket.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 1000);
      socket.setSoTimeout(5000);
      socket.setTcpNoDelay(true);
      OutputStream out = socket.getOutputStream();
      InputStream in = new BufferedInputStream(socket.getInputStream());
      for (int i = -1; i < count; i++) {
        long start = System.nanoTime();
        out.write(ping);
        out.flush();
        String reply = readLine(in);
        long elapsed = System.nanoTime() - start;
        if (!reply.equals("+PONG")) {
          throw new IOException("unexpected reply to PING: " + reply);
        }
        if (i >= 0) {
          micros[i] = elapsed / 1_000;
        }
      }
    }
    return micros;
  }

  /** Parses {@code cmdstat_<name>:calls=N,usec=...} lines. */
  static Map<String, Long> parse(String info) {
    Map<String, Long> calls = new TreeMap<>();
    for (String line : info.split("\r?\n", -1)) {
      if (!line.startsWith("cmdstat_")) {
        continue;
      }
      int colon = line.indexOf(':');
      String name = line.substring("cmdstat_".length(), colon);
      for (String field : line.substring(colon + 1).split(",", -1)) {
        if (field.startsWith("calls=")) {
          calls.put(name, Long.parseLong(field.substring("calls=".length())));
        }
      }
    }
    return calls;
  }

  /**
   * Returns the commands whose count grew from {@code before} to {@code after}, with the growth.
   */
  static Map<String, Long> delta(Map<String, Long> before, Map<String, Long> after) {
    Map<String, Long> delta = new TreeMap<>();
    after.forEach(
        (name, count) -> {
          long grown = count - before.getOrDefault(name, 0L);
          if (grown != 0) {
            delta.put(name, grown);
          }
        });
    return delta;
  }

  /** Returns the sum of the counts in {@code delta} that are not in {@link #NOT_FROM_HOT_PATH}. */
  static long hotPathCommands(Map<String, Long> delta) {
    return delta.entrySet().stream()
        .filter(e -> !NOT_FROM_HOT_PATH.contains(e.getKey()))
        .mapToLong(Map.Entry::getValue)
        .sum();
  }

  /** Returns {@code delta} without the commands in {@link #NOT_FROM_HOT_PATH}. */
  static Map<String, Long> withoutProbes(Map<String, Long> delta) {
    Map<String, Long> kept = new TreeMap<>(delta);
    kept.keySet().removeAll(NOT_FROM_HOT_PATH);
    return kept;
  }

  private static String readLine(InputStream in) throws IOException {
    StringBuilder line = new StringBuilder();
    int c;
    while ((c = in.read()) != -1 && c != '\n') {
      if (c != '\r') {
        line.append((char) c);
      }
    }
    return line.toString();
  }
}

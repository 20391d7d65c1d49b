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
    try (Socket socket = new Socket()) {
      socket.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 1000);
      socket.setSoTimeout(5000);
      OutputStream out = socket.getOutputStream();
      out.write("*2\r\n$4\r\nINFO\r\n$12\r\ncommandstats\r\n".getBytes(StandardCharsets.US_ASCII));
      out.flush();
      InputStream in = new BufferedInputStream(socket.getInputStream());
      String header = readLine(in);
      if (!header.startsWith("$")) {
        throw new IOException("unexpected reply to INFO: " + header);
      }
      byte[] body = in.readNBytes(Integer.parseInt(header.substring(1)));
      return parse(new String(body, StandardCharsets.UTF_8));
    }
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

package dev.tokenherd.testkit;

import static java.util.Objects.requireNonNull;

import java.io.BufferedInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * One Redis command over a fresh raw RESP connection, without a Redis client: {@link #command}
 * returns the first line of a reply ({@code +OK}, {@code :1}, {@code -ERR ...}), for harnesses such
 * as {@link RedisServerProcess#command} or a test that reaches a Redis container through a proxy;
 * {@link #call} reads the whole RESP2 reply (bulk strings such as {@code INFO} or {@code CLUSTER
 * NODES}, nested arrays such as {@code SENTINEL REPLICAS}), for the topology fixtures {@link
 * RedisCluster} and {@link RedisSentinelGroup}.
 */
public final class RespClient {
  /** The read timeout of {@link #command} and {@link #call}. */
  static final Duration READ_TIMEOUT = Duration.ofSeconds(5);

  private RespClient() {}

  /**
   * An error reply ({@code -ERR ...}, {@code -MOVED 3999 127.0.0.1:7002}), returned by {@link
   * #call} as a value rather than thrown, since tests look at errors such as {@code MOVED}.
   *
   * @param message the reply without its leading {@code -}, for example {@code MOVED 3999
   *     127.0.0.1:7002}
   */
  public record ErrorReply(String message) {
    /**
     * Checks the message is there.
     *
     * @param message the reply without its leading {@code -}
     */
    public ErrorReply {
      requireNonNull(message, "message");
    }

    /**
     * Returns the first word of the message, for example {@code MOVED}, {@code ASK} or {@code ERR}.
     *
     * @return the error's code
     */
    public String code() {
      int space = message.indexOf(' ');
      return space < 0 ? message : message.substring(0, space);
    }
  }

  /**
   * Connects to {@code address} (1 s connect timeout, 5 s read timeout), sends {@code AUTH} first
   * if a password is given, then one command, and returns its whole RESP2 reply, parsed: a {@code
   * String} for a simple or bulk string (bulk strings decoded as UTF-8), a {@code Long} for an
   * integer, a {@code List<@Nullable Object>} of such values for an array, {@code null} for a null
   * bulk string or null array, and an {@link ErrorReply} for an error.
   *
   * @param address the server
   * @param password the password, or {@code null} for none
   * @param arguments the command and its arguments
   * @return the parsed reply, or the {@code AUTH} error reply if authentication failed
   * @throws IOException if the server cannot be reached, does not answer in time, or closes the
   *     connection before the reply is complete
   */
  public static @Nullable Object call(
      InetSocketAddress address, @Nullable String password, List<String> arguments)
      throws IOException {
    return call(address, password, READ_TIMEOUT, arguments);
  }

  /** {@link #call(InetSocketAddress, String, List)} with another read timeout. */
  static @Nullable Object call(
      InetSocketAddress address,
      @Nullable String password,
      Duration readTimeout,
      List<String> arguments)
      throws IOException {
    try (Socket socket = new Socket()) {
      socket.connect(address, 1000);
      socket.setSoTimeout(Math.toIntExact(readTimeout.toMillis()));
      OutputStream out = socket.getOutputStream();
      InputStream in = new BufferedInputStream(socket.getInputStream());
      if (password != null) {
        out.write(resp(List.of("AUTH", password)));
        out.flush();
        Object auth = read(in);
        if (auth instanceof ErrorReply) {
          return auth;
        }
      }
      out.write(resp(arguments));
      out.flush();
      return read(in);
    }
  }

  /** Reads one RESP2 value; see {@link #call}. */
  static @Nullable Object read(InputStream in) throws IOException {
    int type = in.read();
    if (type == -1) {
      throw new EOFException("the server closed the connection before replying");
    }
    String line = readLine(in);
    try {
      return parse(type, line, in);
    } catch (NumberFormatException e) {
      throw new IOException("not a RESP2 reply: " + (char) type + line, e);
    }
  }

  private static @Nullable Object parse(int type, String line, InputStream in) throws IOException {
    return switch (type) {
      case '+' -> line;
      case '-' -> new ErrorReply(line);
      case ':' -> Long.parseLong(line);
      case '$' -> bulk(Integer.parseInt(line), in);
      case '*' -> array(Integer.parseInt(line), in);
      default -> throw new IOException("not a RESP2 reply: " + (char) type + line);
    };
  }

  private static @Nullable String bulk(int length, InputStream in) throws IOException {
    if (length < 0) {
      return null;
    }
    byte[] bytes = in.readNBytes(length);
    if (bytes.length < length || in.read() != '\r' || in.read() != '\n') {
      throw new EOFException("a bulk string of " + length + " bytes ended early");
    }
    return new String(bytes, StandardCharsets.UTF_8);
  }

  private static @Nullable List<@Nullable Object> array(int count, InputStream in)
      throws IOException {
    if (count < 0) {
      return null;
    }
    List<@Nullable Object> elements = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      elements.add(read(in));
    }
    return elements;
  }

  /**
   * Connects to {@code address} (1 s connect timeout, 5 s read timeout), sends {@code AUTH} first
   * if a password is given, then one command, and returns the first line of the reply.
   *
   * @param address the server
   * @param password the password, or {@code null} for none
   * @param arguments the command and its arguments
   * @return the reply's first line, or the {@code AUTH} reply if authentication failed; empty if
   *     the server closed the connection without a reply
   * @throws IOException if the server cannot be reached or does not answer in time
   */
  public static String command(
      InetSocketAddress address, @Nullable String password, List<String> arguments)
      throws IOException {
    try (Socket socket = new Socket()) {
      socket.connect(address, 1000);
      socket.setSoTimeout(5000);
      OutputStream out = socket.getOutputStream();
      InputStream in = socket.getInputStream();
      if (password != null) {
        out.write(resp(List.of("AUTH", password)));
        out.flush();
        String auth = readLine(in);
        if (!auth.startsWith("+OK")) {
          return auth;
        }
      }
      out.write(resp(arguments));
      out.flush();
      return readLine(in);
    }
  }

  private static byte[] resp(List<String> arguments) {
    StringBuilder b = new StringBuilder("*").append(arguments.size()).append("\r\n");
    for (String argument : arguments) {
      byte[] bytes = argument.getBytes(StandardCharsets.UTF_8);
      b.append('$').append(bytes.length).append("\r\n").append(argument).append("\r\n");
    }
    return b.toString().getBytes(StandardCharsets.UTF_8);
  }

  private static String readLine(InputStream in) throws IOException {
    StringBuilder line = new StringBuilder();
    int c;
    while ((c = in.read()) != -1) {
      if (c == '\r') {
        int n = in.read();
        if (n == '\n') {
          break;
        }
        line.append((char) c);
        if (n == -1) {
          break;
        }
        line.append((char) n);
        continue;
      }
      line.append((char) c);
    }
    return line.toString();
  }
}

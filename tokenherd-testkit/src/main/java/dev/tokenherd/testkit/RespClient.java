package dev.tokenherd.testkit;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * One Redis command over a fresh raw RESP connection, without a Redis client: for harnesses that
 * need only the first line of a reply ({@code +OK}, {@code :1}, {@code -ERR ...}), such as {@link
 * RedisServerProcess#command} or a test that reaches a Redis container through a proxy.
 */
public final class RespClient {
  private RespClient() {}

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

package dev.tokenherd.chaos;

import static java.nio.charset.StandardCharsets.UTF_8;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * {@link TcpProxy} as a server of its own, for the chaos suite's containers environment: one JVM in
 * a container of its own on the scenario's Docker network, holding one proxy per worker link (and
 * one per Redis node for the harness), driven over a line protocol on a control port. It plays the
 * part Toxiproxy plays elsewhere: Toxiproxy is a Go server with no Debian package, and a machine
 * without an image registry can run this one in any JRE image (docker/README.md).
 *
 * <p>Protocol: one command per line, one answer per line ({@code ok}, or {@code error <reason>}).
 *
 * <pre>
 * create &lt;port&gt; &lt;host&gt;:&lt;port&gt;   listen on &lt;port&gt; (the control port's address), forward to the upstream
 * cut|heal|reset|blackhole &lt;port&gt;       the fault ({@link TcpProxy})
 * latency &lt;port&gt; &lt;millis&gt;             latency both ways
 * retarget &lt;port&gt; &lt;host&gt;:&lt;port&gt;     a new upstream; open connections are reset
 * delete &lt;port&gt;                         close the proxy and its connections
 * </pre>
 *
 * <p>Usage: {@code java -cp <chaos classes> dev.tokenherd.chaos.TcpProxyServer <control port>}; it
 * prints {@value #READY} once the control port listens, and runs until killed.
 */
public final class TcpProxyServer {
  /** What the server prints once it accepts commands. */
  public static final String READY = "tcp-proxy-server: ready";

  private final Map<Integer, TcpProxy> proxies = new ConcurrentHashMap<>();
  private final ServerSocket control;

  private TcpProxyServer(ServerSocket control) {
    this.control = control;
  }

  /**
   * Runs the server until the process is killed.
   *
   * @param args the control port
   * @throws IOException if the control port cannot be bound
   */
  public static void main(String[] args) throws IOException {
    if (args.length != 1) {
      System.err.println("usage: TcpProxyServer <control port>");
      System.exit(2);
    }
    TcpProxyServer server = start(new InetSocketAddress(Integer.parseInt(args[0])));
    System.out.println(READY);
    System.out.flush();
    server.acceptLoop();
  }

  /**
   * Binds the control port; {@link #acceptLoop()} serves it.
   *
   * @param address where the control port listens (port 0: a free one)
   * @return the server
   * @throws IOException if the address cannot be bound
   */
  static TcpProxyServer start(InetSocketAddress address) throws IOException {
    ServerSocket control = new ServerSocket();
    control.setReuseAddress(true);
    control.bind(address);
    return new TcpProxyServer(control);
  }

  /** Returns the control port. */
  int port() {
    return control.getLocalPort();
  }

  /** Serves control connections, one thread each, until {@link #close()}. */
  void acceptLoop() {
    while (!control.isClosed()) {
      Socket client;
      try {
        client = control.accept();
      } catch (IOException e) {
        return; // closed
      }
      Thread session = new Thread(() -> serve(client), "tcp-proxy-control");
      session.setDaemon(true);
      session.start();
    }
  }

  /** Closes the control port and every proxy. */
  void close() throws IOException {
    control.close();
    proxies.values().forEach(TcpProxy::close);
    proxies.clear();
  }

  private void serve(Socket client) {
    try (client;
        BufferedReader in =
            new BufferedReader(new InputStreamReader(client.getInputStream(), UTF_8))) {
      OutputStream out = client.getOutputStream();
      String line;
      while ((line = in.readLine()) != null) {
        String answer;
        try {
          answer = execute(line.trim().split("\\s+"));
        } catch (RuntimeException e) {
          answer = "error " + e;
        }
        out.write((answer + "\n").getBytes(UTF_8));
        out.flush();
      }
    } catch (IOException e) {
      // the harness went away; its proxies stay until deleted or the container stops
    }
  }

  private String execute(String[] command) {
    if (command.length < 2) {
      return "error expected: <command> <port> [argument]";
    }
    int port = Integer.parseInt(command[1]);
    if (command[0].equals("create")) {
      InetSocketAddress upstream = address(command, 2);
      TcpProxy old = proxies.remove(port);
      if (old != null) {
        old.close(); // before the new one binds the same port
      }
      // on the control port's address: every interface in the container, loopback in a test
      proxies.put(
          port, TcpProxy.listen(new InetSocketAddress(control.getInetAddress(), port), upstream));
      return "ok";
    }
    TcpProxy proxy = proxies.get(port);
    if (proxy == null) {
      return "error no proxy on port " + port;
    }
    switch (command[0]) {
      case "cut" -> proxy.cut();
      case "heal" -> proxy.heal();
      case "reset" -> proxy.reset();
      case "blackhole" -> proxy.blackhole();
      case "latency" -> proxy.latency(Duration.ofMillis(Long.parseLong(argument(command, 2))));
      case "retarget" -> proxy.retarget(address(command, 2));
      case "delete" -> {
        proxies.remove(port, proxy);
        proxy.close();
      }
      default -> {
        return "error unknown command " + command[0];
      }
    }
    return "ok";
  }

  private static String argument(String[] command, int index) {
    if (command.length <= index) {
      throw new IllegalArgumentException(command[0] + " needs an argument");
    }
    return command[index];
  }

  /** An unresolved host:port: resolved by the proxy at each connection. */
  private static InetSocketAddress address(String[] command, int index) {
    String hostPort = argument(command, index);
    int colon = hostPort.lastIndexOf(':');
    if (colon <= 0) {
      throw new IllegalArgumentException("expected host:port, not " + hostPort);
    }
    return InetSocketAddress.createUnresolved(
        hostPort.substring(0, colon), Integer.parseInt(hostPort.substring(colon + 1)));
  }
}

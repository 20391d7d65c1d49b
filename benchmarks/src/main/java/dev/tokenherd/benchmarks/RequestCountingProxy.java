package dev.tokenherd.benchmarks;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A TCP proxy on loopback in front of Redis for one pod: every connection of that pod's clients
 * (Lettuce's store and change-feed connections, Redisson's lock connections) goes through it, and
 * every request the pod sends is parsed ({@link RespRequestParser}) and noted, with the time it
 * reached the proxy, before it is forwarded. Replies and pub/sub messages flow back unparsed.
 *
 * <p>Why a proxy per pod: it counts what the clients send, exactly, including requests Redis never
 * shows elsewhere (connection handshakes, requests it rejects), and never counts the commands that
 * run inside scripts; and it attributes each request to its pod by construction (the pod only knows
 * its proxy's port), whatever client, connection or pool sent it, with no client names to set.
 * Blocking sockets, two threads per connection: a pod has a handful of connections.
 */
final class RequestCountingProxy implements AutoCloseable {
  /** A request a pod sent to Redis. */
  record Request(long micros, String pod, int connection, List<String> arguments) {}

  private final String pod;
  private final int upstreamPort;
  private final FleetClock clock;
  private final Queue<Request> requests;
  private final ServerSocket server;
  private final List<Socket> sockets = new CopyOnWriteArrayList<>();
  private final AtomicInteger connections = new AtomicInteger();
  private volatile boolean closed;

  private RequestCountingProxy(
      String pod, int upstreamPort, FleetClock clock, Queue<Request> requests) throws IOException {
    this.pod = requireNonNull(pod, "pod");
    this.upstreamPort = upstreamPort;
    this.clock = requireNonNull(clock, "clock");
    this.requests = requireNonNull(requests, "requests");
    this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    daemon("rtt-proxy-" + pod, this::acceptLoop).start();
  }

  /**
   * Starts a proxy for {@code pod} on a free loopback port, forwarding to {@code upstreamPort}.
   *
   * @param requests where every request is noted, shared by the cell's proxies
   */
  static RequestCountingProxy start(
      String pod, int upstreamPort, FleetClock clock, Queue<Request> requests) {
    try {
      return new RequestCountingProxy(pod, upstreamPort, clock, requests);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Returns the URI the pod's clients connect to. */
  String uri() {
    return "redis://127.0.0.1:" + server.getLocalPort();
  }

  @Override
  public void close() {
    closed = true;
    closeQuietly(server);
    sockets.forEach(RequestCountingProxy::closeQuietly);
  }

  private void acceptLoop() {
    while (!closed) {
      Socket client;
      try {
        client = server.accept();
      } catch (IOException e) {
        return; // closed
      }
      int connection = connections.incrementAndGet();
      try {
        Socket upstream = new Socket(InetAddress.getLoopbackAddress(), upstreamPort);
        client.setTcpNoDelay(true);
        upstream.setTcpNoDelay(true);
        sockets.add(client);
        sockets.add(upstream);
        daemon(
                "rtt-proxy-" + pod + "-" + connection + "-up",
                () -> forwardRequests(client, upstream, connection))
            .start();
        daemon("rtt-proxy-" + pod + "-" + connection + "-down", () -> copy(upstream, client))
            .start();
      } catch (IOException e) {
        closeQuietly(client);
      }
    }
  }

  private void forwardRequests(Socket client, Socket upstream, int connection) {
    RespRequestParser parser = new RespRequestParser();
    byte[] chunk = new byte[16384];
    try (InputStream in = client.getInputStream()) {
      OutputStream out = upstream.getOutputStream();
      int read;
      while ((read = in.read(chunk)) > 0) {
        long micros = clock.nowMicros();
        out.write(chunk, 0, read);
        out.flush();
        for (List<String> arguments : parser.feed(chunk, 0, read)) {
          requests.add(new Request(micros, pod, connection, arguments));
        }
      }
    } catch (IOException | RuntimeException e) {
      // the connection ended (or was closed with the proxy)
    } finally {
      closeQuietly(client);
      closeQuietly(upstream);
    }
  }

  private static void copy(Socket from, Socket to) {
    byte[] chunk = new byte[16384];
    try (InputStream in = from.getInputStream()) {
      OutputStream out = to.getOutputStream();
      int read;
      while ((read = in.read(chunk)) > 0) {
        out.write(chunk, 0, read);
        out.flush();
      }
    } catch (IOException e) {
      // the connection ended
    } finally {
      closeQuietly(from);
      closeQuietly(to);
    }
  }

  private static Thread daemon(String name, Runnable task) {
    Thread thread = new Thread(task, name);
    thread.setDaemon(true);
    return thread;
  }

  private static void closeQuietly(AutoCloseable closeable) {
    try {
      closeable.close();
    } catch (Exception e) {
      // closing anyway
    }
  }
}

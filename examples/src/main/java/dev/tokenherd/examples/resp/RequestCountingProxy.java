package dev.tokenherd.examples.resp;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A TCP proxy on loopback in front of Redis: every connection of the clients given its address
 * (Lettuce's store and change-feed connections, Redisson's lock connections) goes through it, and
 * every request they send is parsed ({@link RespRequestParser}) and handed to a {@link Sink}, with
 * the moment it reached the proxy, after it is forwarded. Replies and pub/sub messages flow back
 * unparsed.
 *
 * <p>Why a proxy: it counts what the clients send, exactly, including requests Redis never shows
 * elsewhere (connection handshakes, requests it rejects), and never counts the commands that run
 * inside scripts ({@code INFO commandstats} counts both); and it attributes each request to whoever
 * was given its port, whatever client, connection or pool sent it, with no client names to set.
 * Blocking sockets, two threads per connection: a pod has a handful of connections. The fleet
 * benchmark runs one per pod, the fleet demo one for the whole fleet.
 */
public final class RequestCountingProxy implements AutoCloseable {
  /** Receives each request, on the thread of the connection that sent it. */
  @FunctionalInterface
  public interface Sink {
    /**
     * Notes one request.
     *
     * @param arrivedNanos {@link System#nanoTime()} when its last bytes reached the proxy
     * @param connection the proxy's number for the connection, from 1
     * @param arguments the command and its arguments, each cut at {@link
     *     RespRequestParser#KEPT_ARGUMENT_LENGTH} characters
     */
    void request(long arrivedNanos, int connection, List<String> arguments);
  }

  private final String name;
  private final String upstreamHost;
  private final int upstreamPort;
  private final Sink sink;
  private final ServerSocket server;
  private final List<Socket> sockets = new CopyOnWriteArrayList<>();
  private final AtomicInteger connections = new AtomicInteger();
  private volatile boolean closed;

  private RequestCountingProxy(String name, String upstreamHost, int upstreamPort, Sink sink)
      throws IOException {
    this.name = requireNonNull(name, "name");
    this.upstreamHost = requireNonNull(upstreamHost, "upstreamHost");
    this.upstreamPort = upstreamPort;
    this.sink = requireNonNull(sink, "sink");
    this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    daemon("redis-proxy-" + name, this::acceptLoop).start();
  }

  /**
   * Starts a proxy on a free loopback port, forwarding to {@code upstreamPort} on loopback.
   *
   * @param name names the proxy's threads
   * @param upstreamPort the Redis port
   * @param sink receives every request
   * @return the running proxy
   * @throws UncheckedIOException if no port can be opened
   */
  public static RequestCountingProxy start(String name, int upstreamPort, Sink sink) {
    return start(name, InetAddress.getLoopbackAddress().getHostAddress(), upstreamPort, sink);
  }

  /**
   * Starts a proxy on a free loopback port, forwarding to {@code upstreamHost:upstreamPort}.
   *
   * @param name names the proxy's threads
   * @param upstreamHost the Redis host
   * @param upstreamPort the Redis port
   * @param sink receives every request
   * @return the running proxy
   * @throws UncheckedIOException if no port can be opened
   */
  public static RequestCountingProxy start(
      String name, String upstreamHost, int upstreamPort, Sink sink) {
    try {
      return new RequestCountingProxy(name, upstreamHost, upstreamPort, sink);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * Returns the URI the clients connect to.
   *
   * @return {@code redis://127.0.0.1:<port>}
   */
  public String uri() {
    return "redis://127.0.0.1:" + port();
  }

  /**
   * Returns the loopback port the clients connect to.
   *
   * @return the port
   */
  public int port() {
    return server.getLocalPort();
  }

  /** Stops accepting and closes every connection. */
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
        Socket upstream = new Socket(upstreamHost, upstreamPort);
        client.setTcpNoDelay(true);
        upstream.setTcpNoDelay(true);
        sockets.add(client);
        sockets.add(upstream);
        daemon(
                "redis-proxy-" + name + "-" + connection + "-up",
                () -> forwardRequests(client, upstream, connection))
            .start();
        daemon("redis-proxy-" + name + "-" + connection + "-down", () -> copy(upstream, client))
            .start();
      } catch (IOException e) {
        closeQuietly(client);
      }
    }
  }

  private void forwardRequests(Socket client, Socket upstream, int connection) {
    RespRequestParser parser = new RespRequestParser();
    boolean counting = true;
    byte[] chunk = new byte[16384];
    try (InputStream in = client.getInputStream()) {
      OutputStream out = upstream.getOutputStream();
      int read;
      while ((read = in.read(chunk)) > 0) {
        long arrived = System.nanoTime();
        out.write(chunk, 0, read);
        out.flush();
        if (counting) {
          try {
            for (List<String> arguments : parser.feed(chunk, 0, read)) {
              sink.request(arrived, connection, arguments);
            }
          } catch (RuntimeException e) {
            // a stream the parser cannot read, or a sink that failed: stop counting this
            // connection, keep forwarding it (the clients must not notice the proxy)
            counting = false;
            System.err.println(
                "redis-proxy-" + name + ": not counting connection " + connection + ": " + e);
          }
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

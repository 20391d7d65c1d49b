package dev.tokenherd.chaos;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * A fault-injecting TCP proxy (on loopback, or in a container: {@link TcpProxyServer}), between
 * workers and Redis: the network-fault tool of the chaos suite (these kernels may lack netem, veth
 * and iptables). Blocking sockets, two threads per connection: a handful of workers' connections,
 * not a load balancer.
 *
 * <p>Faults: {@link #cut()} closes every connection and refuses new ones (a FIN, the peer sees the
 * end at once); {@link #reset()} does the same with RST; {@link #blackhole()} keeps connections
 * open and accepts new ones, but drops every byte both ways (a half-open network: the peer learns
 * only by timing out); {@link #latency(Duration)} delays every chunk; {@link #heal()} passes
 * traffic again.
 */
public final class TcpProxy implements AutoCloseable {
  /** What the proxy does with traffic. */
  public enum Mode {
    /** Forward everything. */
    PASS,
    /** Forward everything after a delay per chunk. */
    LATENCY,
    /** Accept, keep open, drop every byte. */
    BLACKHOLE,
    /** Close connections (FIN) and refuse new ones. */
    CUT,
    /** Close connections with RST and reset new ones. */
    RESET
  }

  private volatile InetSocketAddress upstream;
  private final ServerSocket server;
  private final Thread acceptor;
  private final List<Link> links = new CopyOnWriteArrayList<>();
  private final AtomicLong accepted = new AtomicLong();
  private volatile Mode mode = Mode.PASS;
  private volatile long delayNanos;
  private volatile boolean closed;

  private TcpProxy(InetSocketAddress listen, InetSocketAddress upstream) throws IOException {
    this.upstream = upstream;
    this.server = new ServerSocket();
    server.setReuseAddress(true);
    server.bind(listen, 50);
    this.acceptor = new Thread(this::acceptLoop, "tcp-proxy-" + server.getLocalPort());
    acceptor.setDaemon(true);
    acceptor.start();
  }

  /**
   * Starts a proxy on a free loopback port to {@code upstreamPort} on loopback.
   *
   * @param upstreamPort the port connections are forwarded to
   * @return the running proxy
   */
  public static TcpProxy to(int upstreamPort) {
    return listen(
        new InetSocketAddress(InetAddress.getLoopbackAddress(), 0),
        new InetSocketAddress(InetAddress.getLoopbackAddress(), upstreamPort));
  }

  /**
   * Starts a proxy on {@code listen} to {@code upstream}, which may be unresolved (a container's
   * network alias): it is resolved at each new connection, so that a restarted container that came
   * back on another address is found.
   *
   * @param listen the address and port to accept on (port 0: a free one)
   * @param upstream where connections are forwarded to
   * @return the running proxy
   */
  public static TcpProxy listen(InetSocketAddress listen, InetSocketAddress upstream) {
    try {
      return new TcpProxy(listen, upstream);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Returns the proxy's port. */
  public int port() {
    return server.getLocalPort();
  }

  /** Returns how many connections the proxy accepted since it started. */
  public long acceptedConnections() {
    return accepted.get();
  }

  /** Returns how many connections are open now. */
  public int openConnections() {
    return links.size();
  }

  /** Returns the current mode. */
  public Mode mode() {
    return mode;
  }

  /** Forwards everything again. */
  public void heal() {
    mode = Mode.PASS;
  }

  /**
   * Delays every chunk in both directions by {@code delay}.
   *
   * @param delay the added latency
   */
  public void latency(Duration delay) {
    delayNanos = delay.toNanos();
    mode = Mode.LATENCY;
  }

  /** Drops every byte both ways and keeps connections open. */
  public void blackhole() {
    mode = Mode.BLACKHOLE;
  }

  /** Closes every connection and refuses new ones until {@link #heal()}. */
  public void cut() {
    mode = Mode.CUT;
    links.forEach(link -> link.close(/* reset= */ false));
  }

  /** Resets every connection and new ones until {@link #heal()}. */
  public void reset() {
    mode = Mode.RESET;
    links.forEach(link -> link.close(/* reset= */ true));
  }

  /**
   * Sends new connections to {@code upstreamPort} and resets the open ones, so that clients
   * reconnect there: what a failover looks like to a client behind a virtual IP or a DNS name.
   *
   * @param upstreamPort the new upstream port on loopback
   */
  public void retarget(int upstreamPort) {
    retarget(new InetSocketAddress(InetAddress.getLoopbackAddress(), upstreamPort));
  }

  /**
   * Sends new connections to {@code newUpstream} (resolved at each connection, as in {@link
   * #listen}) and resets the open ones.
   *
   * @param newUpstream the new upstream
   */
  public void retarget(InetSocketAddress newUpstream) {
    upstream = newUpstream;
    links.forEach(link -> link.close(/* reset= */ true));
  }

  private void acceptLoop() {
    while (!closed) {
      Socket client;
      try {
        client = server.accept();
      } catch (IOException e) {
        return; // closed
      }
      accepted.incrementAndGet();
      Mode now = mode;
      if (now == Mode.CUT || now == Mode.RESET) {
        closeQuietly(client, now == Mode.RESET);
        continue;
      }
      try {
        Socket target = new Socket();
        if (now != Mode.BLACKHOLE) {
          InetSocketAddress to = upstream;
          target.connect(
              to.isUnresolved() ? new InetSocketAddress(to.getHostString(), to.getPort()) : to,
              2_000);
        }
        Link link = new Link(client, target);
        links.add(link);
        link.start();
      } catch (IOException e) {
        closeQuietly(client, true);
      }
    }
  }

  private static void closeQuietly(Socket socket, boolean reset) {
    try {
      if (reset) {
        socket.setSoLinger(true, 0);
      }
      socket.close();
    } catch (IOException e) {
      // already gone
    }
  }

  /** Closes the proxy and every connection. */
  @Override
  public void close() {
    closed = true;
    try {
      server.close();
    } catch (IOException e) {
      // closing anyway
    }
    links.forEach(link -> link.close(false));
    // The JDK closes a socket that a thread is blocked on (accept) only once that thread has
    // left it: until the acceptor ends, the port is still bound, and a proxy created again on
    // the same port (TcpProxyServer's create) would fail with "Address already in use" (seen in
    // a CI run).
    try {
      acceptor.join(TimeUnit.SECONDS.toMillis(10));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public String toString() {
    return "TcpProxy["
        + port()
        + " -> "
        + upstream.getHostString()
        + ":"
        + upstream.getPort()
        + ", "
        + mode
        + "]";
  }

  /** One proxied connection. */
  private final class Link {
    private final Socket client;
    private final Socket target;

    Link(Socket client, Socket target) {
      this.client = client;
      this.target = target;
    }

    void start() {
      Thread up = new Thread(() -> pump(client, target), "tcp-proxy-up-" + client.getPort());
      Thread down = new Thread(() -> pump(target, client), "tcp-proxy-down-" + client.getPort());
      up.setDaemon(true);
      down.setDaemon(true);
      up.start();
      down.start();
    }

    private void pump(Socket from, Socket to) {
      byte[] buffer = new byte[16 * 1024];
      try {
        if (!target.isConnected()) {
          // Accepted while blackholed, so it has no upstream: swallow what the client sends, and
          // end the connection once the mode changes (the client then reconnects).
          if (from == client) {
            from.getInputStream().transferTo(OutputStream.nullOutputStream());
          } else {
            blockWhileBlackholed();
          }
          return;
        }
        InputStream in = from.getInputStream();
        OutputStream out = to.getOutputStream();
        int n;
        while ((n = in.read(buffer)) >= 0) {
          Mode now = mode;
          if (now == Mode.BLACKHOLE) {
            continue; // dropped on the floor
          }
          if (now == Mode.LATENCY) {
            LockSupport.parkNanos(delayNanos);
          }
          out.write(buffer, 0, n);
          out.flush();
        }
      } catch (SocketException e) {
        // closed by a fault or by the peer
      } catch (IOException e) {
        // the same: a connection that ends
      } finally {
        close(mode == Mode.RESET);
      }
    }

    private void blockWhileBlackholed() {
      while (mode == Mode.BLACKHOLE && !client.isClosed()) {
        LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(20));
      }
    }

    void close(boolean reset) {
      links.remove(this);
      closeQuietly(client, reset);
      closeQuietly(target, reset);
    }
  }
}

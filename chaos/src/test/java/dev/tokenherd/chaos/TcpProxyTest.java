package dev.tokenherd.chaos;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

final class TcpProxyTest {
  private final ServerSocket echo = startEcho();
  private final TcpProxy proxy = TcpProxy.to(echo.getLocalPort());

  @AfterEach
  void tearDown() throws IOException {
    proxy.close();
    echo.close();
  }

  @Test
  void pass_forwardsBothWays() throws IOException {
    try (Socket socket = connect()) {
      assertThat(roundTrip(socket, "ping")).isEqualTo("ping");
    }
    assertThat(proxy.acceptedConnections()).isEqualTo(1);
  }

  @Test
  void latency_delaysEachChunk() throws IOException {
    proxy.latency(Duration.ofMillis(150));
    try (Socket socket = connect()) {
      long start = System.nanoTime();
      assertThat(roundTrip(socket, "slow")).isEqualTo("slow");
      assertThat(Duration.ofNanos(System.nanoTime() - start)).isGreaterThan(Duration.ofMillis(290));
    }
  }

  @Test
  void cut_closesOpenConnections_andRefusesNewOnes_untilHealed() throws IOException {
    try (Socket open = connect()) {
      assertThat(roundTrip(open, "a")).isEqualTo("a");
      proxy.cut();
      assertThat(open.getInputStream().read()).isEqualTo(-1);
    }
    try (Socket refused = connect()) {
      assertThat(refused.getInputStream().read()).isEqualTo(-1);
    }
    proxy.heal();
    try (Socket again = connect()) {
      assertThat(roundTrip(again, "b")).isEqualTo("b");
    }
  }

  @Test
  void reset_resetsOpenConnections() throws IOException {
    try (Socket open = connect()) {
      assertThat(roundTrip(open, "a")).isEqualTo("a");
      proxy.reset();
      assertThatThrownBy(() -> open.getInputStream().read()).isInstanceOf(IOException.class);
    }
  }

  @Test
  void blackhole_keepsConnectionsOpen_butDeliversNothing() throws IOException {
    try (Socket open = connect()) {
      proxy.blackhole();
      open.setSoTimeout(300);
      open.getOutputStream().write("lost".getBytes(UTF_8));
      assertThatThrownBy(() -> open.getInputStream().read())
          .isInstanceOf(SocketTimeoutException.class);
    }
    try (Socket fresh = connect()) {
      fresh.setSoTimeout(300);
      fresh.getOutputStream().write("lost".getBytes(UTF_8));
      assertThatThrownBy(() -> fresh.getInputStream().read())
          .isInstanceOf(SocketTimeoutException.class);
    }
    assertThat(proxy.mode()).isEqualTo(TcpProxy.Mode.BLACKHOLE);
    assertThat(proxy.toString()).contains("BLACKHOLE");
  }

  private Socket connect() throws IOException {
    Socket socket = new Socket(InetAddress.getLoopbackAddress(), proxy.port());
    socket.setSoTimeout(5_000);
    return socket;
  }

  static String roundTrip(Socket socket, String text) throws IOException {
    OutputStream out = socket.getOutputStream();
    out.write(text.getBytes(UTF_8));
    out.flush();
    byte[] buffer = new byte[text.length()];
    InputStream in = socket.getInputStream();
    int read = 0;
    while (read < buffer.length) {
      int n = in.read(buffer, read, buffer.length - read);
      if (n < 0) {
        break;
      }
      read += n;
    }
    return new String(buffer, 0, read, UTF_8);
  }

  static ServerSocket startEcho() {
    try {
      ServerSocket server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
      Thread acceptor =
          new Thread(
              () -> {
                while (!server.isClosed()) {
                  try {
                    Socket socket = server.accept();
                    Thread echo =
                        new Thread(
                            () -> {
                              try (socket) {
                                socket.getInputStream().transferTo(socket.getOutputStream());
                              } catch (IOException e) {
                                // the test closed it
                              }
                            });
                    echo.setDaemon(true);
                    echo.start();
                  } catch (IOException e) {
                    return;
                  }
                }
              });
      acceptor.setDaemon(true);
      acceptor.start();
      return server;
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }
}

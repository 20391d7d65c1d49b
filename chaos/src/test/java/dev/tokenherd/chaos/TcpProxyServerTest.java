package dev.tokenherd.chaos;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The containers environment's proxy server, driven over its control protocol on loopback. */
final class TcpProxyServerTest {
  private final ServerSocket echo = TcpProxyTest.startEcho();
  private final TcpProxyServer server = startServer();
  private final Socket control = connect(server.port());
  private final BufferedReader answers = reader(control);

  @AfterEach
  void tearDown() throws IOException {
    control.close();
    server.close();
    echo.close();
  }

  @Test
  void create_forwardsToAnUpstreamResolvedByName_andFaultsApplyByPort() throws IOException {
    int port = freePort();
    // by name, as a container's alias: resolved at each connection
    assertThat(send("create " + port + " localhost:" + echo.getLocalPort())).isEqualTo("ok");
    try (Socket socket = connect(port)) {
      assertThat(TcpProxyTest.roundTrip(socket, "ping")).isEqualTo("ping");
      assertThat(send("cut " + port)).isEqualTo("ok");
      assertThat(socket.getInputStream().read()).isEqualTo(-1);
    }
    assertThat(send("heal " + port)).isEqualTo("ok");
    // created again on the same port: the old proxy is closed first, so the new one can bind
    assertThat(send("create " + port + " localhost:" + echo.getLocalPort())).isEqualTo("ok");
    try (Socket socket = connect(port)) {
      assertThat(TcpProxyTest.roundTrip(socket, "again")).isEqualTo("again");
    }
    assertThat(send("delete " + port)).isEqualTo("ok");
    assertThat(send("cut " + port)).isEqualTo("error no proxy on port " + port);
  }

  @Test
  void badCommands_areAnsweredWithTheReason_andTheConnectionStaysUsable() throws IOException {
    assertThat(send("create 1")).startsWith("error ").contains("create needs an argument");
    assertThat(send("create 1 nohostport")).contains("expected host:port, not nohostport");
    assertThat(send("cut")).isEqualTo("error expected: <command> <port> [argument]");
    int port = freePort();
    assertThat(send("create " + port + " localhost:" + echo.getLocalPort())).isEqualTo("ok");
    assertThat(send("frobnicate " + port)).isEqualTo("error unknown command frobnicate");
    assertThat(send("latency " + port + " 10")).isEqualTo("ok");
  }

  private String send(String command) throws IOException {
    OutputStream out = control.getOutputStream();
    out.write((command + "\n").getBytes(UTF_8));
    out.flush();
    return answers.readLine();
  }

  private static TcpProxyServer startServer() {
    try {
      TcpProxyServer started =
          TcpProxyServer.start(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
      Thread loop = new Thread(started::acceptLoop, "tcp-proxy-server-test");
      loop.setDaemon(true);
      loop.start();
      return started;
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  private static int freePort() throws IOException {
    try (ServerSocket probe = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return probe.getLocalPort();
    }
  }

  private static Socket connect(int port) {
    try {
      Socket socket = new Socket(InetAddress.getLoopbackAddress(), port);
      socket.setSoTimeout(10_000);
      return socket;
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  private static BufferedReader reader(Socket socket) {
    try {
      return new BufferedReader(new InputStreamReader(socket.getInputStream(), UTF_8));
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }
}

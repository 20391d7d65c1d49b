package dev.tokenherd.chaos;

import static org.awaitility.Awaitility.await;

import dev.tokenherd.testkit.RedisServerProcess;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * The default {@link ChaosEnvironment}: {@code redis-server} processes on loopback (AOF with {@code
 * appendfsync always}), one {@link TcpProxy} per worker link. Needs only {@code redis-server} on
 * the {@code PATH}.
 */
final class ProcessEnvironment implements ChaosEnvironment {
  private final List<RedisServerProcess> servers = new ArrayList<>();
  private final List<TcpProxy> proxies = new ArrayList<>();

  @Override
  public String scenarioSuffix() {
    return "";
  }

  @Override
  public RedisNode startRedis(String... arguments) {
    RedisServerProcess server =
        RedisServerProcess.builder().appendOnly(true).arguments(arguments).start();
    servers.add(server);
    return new ProcessNode(server);
  }

  @Override
  public WorkerLink link(RedisNode target) {
    TcpProxy proxy = TcpProxy.to(target.linkAddress().getPort());
    proxies.add(proxy);
    return new ProxyLink(proxy);
  }

  @Override
  public InetAddress authServerAddress() {
    return InetAddress.getLoopbackAddress();
  }

  @Override
  public WorkerProcess startWorker(
      String id, List<String> javaCommand, Path stderr, WorkerLink link) throws IOException {
    Process process =
        new ProcessBuilder(javaCommand)
            .redirectError(ProcessBuilder.Redirect.to(stderr.toFile()))
            .start();
    return new LocalWorker(id, process, link);
  }

  @Override
  public void close() {
    proxies.forEach(TcpProxy::close);
    // Replicas first, the primary last, as they were started the other way round.
    for (int i = servers.size() - 1; i >= 0; i--) {
      servers.get(i).close();
    }
  }

  private record ProcessNode(RedisServerProcess server) implements RedisNode {
    @Override
    public URI uri() {
      return server.uri();
    }

    @Override
    public InetSocketAddress linkAddress() {
      return InetSocketAddress.createUnresolved("127.0.0.1", server.port());
    }

    @Override
    public String command(String... arguments) throws IOException {
      return server.command(arguments);
    }

    @Override
    public void restart() {
      server.restart();
    }

    @Override
    public void pause() {
      server.pause();
    }

    @Override
    public void resume() {
      server.resume();
    }
  }

  private record ProxyLink(TcpProxy proxy) implements WorkerLink {
    @Override
    public URI uri() {
      return URI.create("redis://127.0.0.1:" + proxy.port());
    }

    @Override
    public void cut() {
      proxy.cut();
    }

    @Override
    public void heal() {
      proxy.heal();
    }

    @Override
    public void reset() {
      proxy.reset();
    }

    @Override
    public void blackhole() {
      proxy.blackhole();
    }

    @Override
    public void latency(Duration delay) {
      proxy.latency(delay);
    }

    @Override
    public void retarget(RedisNode node) {
      proxy.retarget(node.linkAddress().getPort());
    }

    @Override
    public void close() {
      proxy.close();
    }
  }

  /** A worker JVM on this host: signals through kill(1). */
  private record LocalWorker(String id, Process process, WorkerLink link) implements WorkerProcess {
    @Override
    public void kill() throws InterruptedException {
      process.destroyForcibly();
      process.waitFor();
    }

    /**
     * SIGSTOP, returning once every thread of the worker is stopped (where {@code /proc} shows it):
     * kill(1) returns when the signal is sent, and a thread woken just then can still run a little.
     * Seen in the soak: a holder that was sent {@code go} right after the STOP still sent its
     * refresh mark before it stopped.
     */
    @Override
    public void pause() throws IOException, InterruptedException {
      signal("STOP");
      Path tasks = Path.of("/proc", Long.toString(process.pid()), "task");
      if (Files.isDirectory(tasks)) {
        await(id + " stopped")
            .atMost(Duration.ofSeconds(10))
            .pollInterval(Duration.ofMillis(1))
            .until(() -> allStopped(tasks));
      }
    }

    @Override
    public void resume() throws IOException, InterruptedException {
      signal("CONT");
    }

    @Override
    public void partition() {
      link.cut();
    }

    @Override
    public void rejoin() {
      link.heal();
    }

    private void signal(String name) throws IOException, InterruptedException {
      Process kill = new ProcessBuilder("kill", "-" + name, Long.toString(process.pid())).start();
      if (kill.waitFor() != 0) {
        throw new IllegalStateException("kill -" + name + " " + process.pid() + " failed");
      }
    }

    /**
     * Whether every thread in {@code tasks} ({@code /proc/<pid>/task}) is stopped (state T) or gone
     * (Z, X, or the process has ended).
     */
    private static boolean allStopped(Path tasks) {
      List<Path> threads;
      try (var listing = Files.list(tasks)) {
        threads = listing.toList();
      } catch (IOException e) {
        return true; // the process has ended
      }
      for (Path thread : threads) {
        String stat;
        try {
          stat = Files.readString(thread.resolve("stat"));
        } catch (IOException e) {
          continue; // the thread ended
        }
        // "tid (name) S ...": the state follows the last ')' (a name may hold parentheses)
        char state = stat.charAt(stat.lastIndexOf(')') + 2);
        if ("TtZX".indexOf(state) < 0) {
          return false;
        }
      }
      return true;
    }
  }
}

package dev.tokenherd.chaos;

import dev.tokenherd.testkit.RedisServerProcess;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
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
}

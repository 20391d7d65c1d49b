package dev.tokenherd.chaos;

import static org.awaitility.Awaitility.await;

import com.github.dockerjava.api.DockerClient;
import com.redis.testcontainers.RedisContainer;
import dev.tokenherd.testkit.RespClient;
import dev.tokenherd.testkit.StartupTimeout;
import eu.rekawek.toxiproxy.Proxy;
import eu.rekawek.toxiproxy.ToxiproxyClient;
import eu.rekawek.toxiproxy.model.Toxic;
import eu.rekawek.toxiproxy.model.ToxicDirection;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import org.junit.jupiter.api.Assumptions;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.containers.Network;
import org.testcontainers.containers.ToxiproxyContainer;
import org.testcontainers.utility.DockerImageName;

/**
 * The {@link ChaosEnvironment} for machines with a Docker engine: Redis containers ({@value
 * #REDIS_IMAGE}, AOF on) on one network, each known by an alias ({@code redis-0} is the primary),
 * and one Toxiproxy container with a proxy per worker link. The harness reaches each node through a
 * proxy of its own too, so that a restarted container (which may come back on another address)
 * keeps the URI the harness uses. Worker JVMs connect to Toxiproxy's mapped ports on the host.
 *
 * <p>Faults: cut = {@code disable}; heal = {@code enable} and no toxics; reset = a {@code
 * reset_peer} toxic; blackhole = {@code timeout} toxics with timeout 0 (data dropped, connections
 * kept open); latency = {@code latency} toxics both ways; retarget = a new upstream (Toxiproxy
 * restarts the proxy, which closes its connections). Restart = {@code docker restart} (the AOF in
 * the container's file system survives); pause = {@code docker pause} (the cgroup freezer, as
 * SIGSTOP).
 *
 * <p><b>Note:</b> written against the Testcontainers 1.20, toxiproxy-java 2.1.7 and docker-java
 * APIs and compiled, but never run here: our machines have no Docker engine (docs/chaos.md).
 */
final class ContainerEnvironment implements ChaosEnvironment {
  static final String REDIS_IMAGE = "redis:7.4";
  static final String TOXIPROXY_IMAGE = "ghcr.io/shopify/toxiproxy:2.5.0";
  private static final int REDIS_PORT = 6379;
  // The ToxiproxyContainer exposes only this range for proxies.
  private static final int FIRST_PROXY_PORT = 8666;
  private static final int LAST_PROXY_PORT = 8697;
  private static final String NO_DOCKER =
      "no Docker engine: the chaos scenarios' containers environment (-Dchaos.environment="
          + "containers) needs one; the processes environment runs them here";

  private final Network network = Network.newNetwork();
  private final ToxiproxyContainer toxiproxy;
  private final ToxiproxyClient toxiproxyClient;
  private final List<RedisContainer> containers = new ArrayList<>();
  private final Deque<Integer> freePorts = new ArrayDeque<>();

  private ContainerEnvironment() {
    for (int port = FIRST_PROXY_PORT; port <= LAST_PROXY_PORT; port++) {
      freePorts.add(port);
    }
    toxiproxy =
        new ToxiproxyContainer(DockerImageName.parse(TOXIPROXY_IMAGE))
            .withNetwork(network)
            .withStartupTimeout(StartupTimeout.get());
    toxiproxy.start();
    toxiproxyClient = new ToxiproxyClient(toxiproxy.getHost(), toxiproxy.getControlPort());
  }

  /**
   * Starts Toxiproxy, or aborts the scenario (reported as skipped) without a Docker engine.
   * Testcontainers probes for an engine once per JVM and caches a failure, so the skip is quick.
   */
  static ContainerEnvironment start() {
    boolean docker = DockerClientFactory.instance().isDockerAvailable();
    if (!docker) {
      // Failsafe's console counts skipped tests; the reason goes only to its XML report.
      System.out.println("chaos: skipped: " + NO_DOCKER);
    }
    Assumptions.assumeTrue(docker, NO_DOCKER);
    return new ContainerEnvironment();
  }

  @Override
  public String scenarioSuffix() {
    return "@containers";
  }

  @Override
  public RedisNode startRedis(String... arguments) {
    List<String> command =
        new ArrayList<>(List.of("redis-server", "--appendonly", "yes", "--appendfsync", "always"));
    command.addAll(List.of(arguments));
    String alias = "redis-" + containers.size();
    RedisContainer container =
        new RedisContainer(DockerImageName.parse(REDIS_IMAGE))
            .withNetwork(network)
            .withNetworkAliases(alias)
            .withCommand(command.toArray(String[]::new))
            .withStartupTimeout(StartupTimeout.get());
    container.start();
    containers.add(container);
    InetSocketAddress address = InetSocketAddress.createUnresolved(alias, REDIS_PORT);
    return new ContainerNode(container, address, proxy("harness-" + alias, address));
  }

  @Override
  public WorkerLink link(RedisNode target) {
    return proxy("link", target.linkAddress());
  }

  /** Creates a proxy named for its role and port on the next free port of Toxiproxy's range. */
  private ToxiproxyLink proxy(String role, InetSocketAddress upstream) {
    if (freePorts.isEmpty()) {
      throw new IllegalStateException(
          "all of Toxiproxy's exposed ports "
              + FIRST_PROXY_PORT
              + "-"
              + LAST_PROXY_PORT
              + " are in use; close the links of workers that are gone");
    }
    int port = freePorts.removeFirst();
    try {
      Proxy proxy =
          toxiproxyClient.createProxy(role + "-" + port, "0.0.0.0:" + port, upstream(upstream));
      return new ToxiproxyLink(proxy, port);
    } catch (IOException e) {
      freePorts.addFirst(port);
      throw new UncheckedIOException("cannot create a Toxiproxy proxy", e);
    }
  }

  private static String upstream(InetSocketAddress address) {
    return address.getHostString() + ":" + address.getPort();
  }

  @Override
  public void close() {
    // Stopping a container removes it, with its proxies and data.
    containers.forEach(RedisContainer::stop);
    toxiproxy.stop();
    network.close();
  }

  private static DockerClient docker() {
    return DockerClientFactory.instance().client();
  }

  /** A Redis container, which the harness reaches through its own proxy. */
  private static final class ContainerNode implements RedisNode {
    private final RedisContainer container;
    private final InetSocketAddress address;
    private final ToxiproxyLink harness;

    ContainerNode(RedisContainer container, InetSocketAddress address, ToxiproxyLink harness) {
      this.container = container;
      this.address = address;
      this.harness = harness;
    }

    @Override
    public URI uri() {
      return harness.uri();
    }

    @Override
    public InetSocketAddress linkAddress() {
      return address;
    }

    @Override
    public String command(String... arguments) throws IOException {
      URI uri = uri();
      return RespClient.command(
          new InetSocketAddress(uri.getHost(), uri.getPort()), null, List.of(arguments));
    }

    @Override
    public void restart() {
      docker().restartContainerCmd(container.getContainerId()).withTimeout(10).exec();
      // The AOF is loaded before Redis answers PING (LOADING until then): a start-up.
      await("PONG from " + address.getHostString() + " after its restart")
          .atMost(StartupTimeout.get())
          .pollInterval(Duration.ofMillis(50))
          .ignoreExceptions()
          .until(() -> command("PING").equals("+PONG"));
    }

    @Override
    public void pause() {
      docker().pauseContainerCmd(container.getContainerId()).exec();
    }

    @Override
    public void resume() {
      docker().unpauseContainerCmd(container.getContainerId()).exec();
    }
  }

  /** One Toxiproxy proxy; its port returns to the pool when it is closed. */
  private final class ToxiproxyLink implements WorkerLink {
    private final Proxy proxy;
    private final int port;
    private boolean closed;

    ToxiproxyLink(Proxy proxy, int port) {
      this.proxy = proxy;
      this.port = port;
    }

    @Override
    public URI uri() {
      return URI.create("redis://" + toxiproxy.getHost() + ":" + toxiproxy.getMappedPort(port));
    }

    @Override
    public void cut() {
      unchecked(proxy::disable);
    }

    @Override
    public void heal() {
      unchecked(
          () -> {
            proxy.enable();
            for (Toxic toxic : proxy.toxics().getAll()) {
              toxic.remove();
            }
          });
    }

    @Override
    public void reset() {
      toxic("reset", () -> proxy.toxics().resetPeer("reset", ToxicDirection.DOWNSTREAM, 0));
    }

    @Override
    public void blackhole() {
      // Toxiproxy's documented blackhole: a timeout of 0 drops data and never closes.
      for (ToxicDirection direction : ToxicDirection.values()) {
        String name = "blackhole-" + direction;
        toxic(name, () -> proxy.toxics().timeout(name, direction, 0));
      }
    }

    @Override
    public void latency(Duration delay) {
      for (ToxicDirection direction : ToxicDirection.values()) {
        String name = "latency-" + direction;
        toxic(name, () -> proxy.toxics().latency(name, direction, delay.toMillis()));
      }
    }

    /** Adds a toxic, replacing one of the same name (the same fault injected twice). */
    private void toxic(String name, IoAction add) {
      unchecked(
          () -> {
            for (Toxic toxic : proxy.toxics().getAll()) {
              if (toxic.getName().equals(name)) {
                toxic.remove();
              }
            }
            add.run();
          });
    }

    @Override
    public void retarget(RedisNode node) {
      unchecked(() -> proxy.setUpstream(upstream(node.linkAddress())));
    }

    @Override
    public void close() {
      if (!closed) {
        closed = true;
        unchecked(proxy::delete);
        freePorts.addFirst(port);
      }
    }
  }

  /** A Toxiproxy API call. */
  @FunctionalInterface
  private interface IoAction {
    void run() throws IOException;
  }

  private static void unchecked(IoAction action) {
    try {
      action.run();
    } catch (IOException e) {
      throw new UncheckedIOException("Toxiproxy API call failed", e);
    }
  }
}

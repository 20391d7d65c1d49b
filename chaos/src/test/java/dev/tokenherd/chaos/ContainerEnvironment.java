package dev.tokenherd.chaos;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.awaitility.Awaitility.await;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.command.CreateContainerCmd;
import com.github.dockerjava.api.exception.DockerException;
import com.github.dockerjava.api.model.ContainerNetwork;
import com.github.dockerjava.api.model.ExposedPort;
import com.github.dockerjava.api.model.Ports;
import com.redis.testcontainers.RedisContainer;
import dev.tokenherd.testkit.RespClient;
import dev.tokenherd.testkit.StartupTimeout;
import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.containers.BindMode;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.Network;
import org.testcontainers.containers.wait.strategy.Wait;
import org.testcontainers.utility.DockerImageName;

/**
 * The {@link ChaosEnvironment} for machines with a Docker engine: every part of the fleet in a
 * container of its own on one Docker network.
 *
 * <ul>
 *   <li>Redis: {@value #REDIS_IMAGE} containers ({@link RedisContainer}, AOF with {@code
 *       appendfsync always}), known on the network as {@code redis-0} (the primary), {@code
 *       redis-1}, ...
 *   <li>The fault proxy: one {@link TcpProxyServer} container ({@value #JRE_IMAGE}, the chaos
 *       module's classes mounted read-only) known as {@value #PROXY_ALIAS}, with one proxy per
 *       worker link (in the network only) and one per Redis node for the harness, published on
 *       127.0.0.1, so that a restarted container keeps the address the harness uses.
 *   <li>Workers: one {@link ChaosWorker} JVM per container ({@value #JRE_IMAGE}), started with
 *       {@code docker run -i} so that its standard input and output are the CLI's, as a local
 *       process's would be; the class path and the scenario's log directory are bind-mounted at
 *       their host paths, so the command line is the host's. They reach the fake authorization
 *       server, which stays in the test JVM (the checker reads its ledger), on the network's
 *       gateway address: the host's side of the bridge, not a public interface.
 * </ul>
 *
 * <p>Faults: a link's cut, reset, blackhole, latency and retarget are the proxy's ({@link
 * TcpProxy}); a node's restart is {@code docker restart} (the AOF in the container's file system
 * survives), its pause {@code docker pause} (the cgroup freezer); a worker's kill is {@code docker
 * kill}, its pause {@code docker pause}, its partition {@code docker network disconnect}.
 *
 * <p>Images: Docker Hub's, or, where {@code TOKENHERD_LOCAL_IMAGES} is set, the ones {@code
 * .ci/docker-env} builds from Debian packages ({@link LocalImages}); see docs/chaos.md.
 */
final class ContainerEnvironment implements ChaosEnvironment {
  static final String REDIS_IMAGE = "redis:7.0";
  static final String JRE_IMAGE = "eclipse-temurin:17-jre";
  static final String PROXY_ALIAS = "chaos-proxy";
  private static final String LABEL = "dev.tokenherd.chaos";
  private static final int REDIS_PORT = 6379;
  private static final int CONTROL_PORT = 8474;
  // Harness proxies, one per Redis node, published on 127.0.0.1 (a scenario has up to 3 nodes).
  private static final int FIRST_HARNESS_PORT = 8600;
  private static final int HARNESS_PORTS = 8;
  // Worker links: in the network only, so any number.
  private static final int FIRST_LINK_PORT = 8700;
  private static final String NO_DOCKER =
      "no Docker engine: the chaos scenarios' containers environment (-Dchaos.environment="
          + "containers) needs one (.ci/docker-env starts one on a machine like ours); the "
          + "processes environment runs them here";

  private final String run = UUID.randomUUID().toString().substring(0, 8);
  private final Network network = Network.newNetwork();
  private final GenericContainer<?> proxy;
  private final ProxyControl control;
  private final InetAddress gateway;
  private final List<RedisContainer> nodes = new ArrayList<>();
  private final List<String> workers = new CopyOnWriteArrayList<>();
  private final Deque<Integer> harnessPorts = new ArrayDeque<>();
  private int nextLinkPort = FIRST_LINK_PORT;

  private ContainerEnvironment() {
    for (int i = 0; i < HARNESS_PORTS; i++) {
      harnessPorts.add(FIRST_HARNESS_PORT + i);
    }
    Integer[] published = new Integer[HARNESS_PORTS + 1];
    published[0] = CONTROL_PORT;
    for (int i = 0; i < HARNESS_PORTS; i++) {
      published[i + 1] = FIRST_HARNESS_PORT + i;
    }
    Path classes = classesOf(TcpProxyServer.class);
    proxy =
        new GenericContainer<>(DockerImageName.parse(JRE_IMAGE))
            .withNetwork(network)
            .withNetworkAliases(PROXY_ALIAS)
            .withLabel(LABEL, "true")
            .withFileSystemBind(classes.toString(), "/proxy", BindMode.READ_ONLY)
            .withCommand(
                "java",
                // no DNS cache: an alias is looked up at each connection (a restarting node's
                // failed lookup would otherwise stick for 10 s, its old address for 30 s)
                "-Dsun.net.inetaddr.ttl=0",
                "-Dsun.net.inetaddr.negative.ttl=0",
                "-cp",
                "/proxy",
                TcpProxyServer.class.getName(),
                Integer.toString(CONTROL_PORT))
            .withExposedPorts(published)
            .withCreateContainerCmdModifier(ContainerEnvironment::loopbackOnly)
            .waitingFor(Wait.forLogMessage(".*" + TcpProxyServer.READY + ".*", 1))
            .withStartupTimeout(StartupTimeout.get());
    try {
      proxy.start();
      control =
          new ProxyControl(
              new InetSocketAddress(
                  InetAddress.getLoopbackAddress(), proxy.getMappedPort(CONTROL_PORT)));
      gateway = gatewayOf(network);
    } catch (RuntimeException e) {
      // Ryuk is off where the local images are used: nothing else would remove them.
      proxy.stop();
      network.close();
      throw e;
    }
  }

  /**
   * Starts the network and the proxy, or aborts the scenario (reported as skipped) without a Docker
   * engine. Testcontainers probes for an engine once per JVM and caches a failure, so the skip is
   * quick.
   */
  static ContainerEnvironment start() {
    String reason;
    try {
      if (DockerClientFactory.instance().isDockerAvailable()) {
        return new ContainerEnvironment();
      }
      reason = NO_DOCKER;
    } catch (RuntimeException e) {
      // An engine that answers but cannot serve this environment: most often no registry and no
      // local images (Testcontainers' Ryuk, or an image, cannot be pulled). .ci/run counts the
      // scenarios that ran, so a skip there fails CI.
      reason =
          "the containers environment could not start on this Docker engine ("
              + e
              + "); on a machine without an image registry, eval \"$(.ci/docker-env start)\" first"
              + " (docs/chaos.md)";
    }
    // Failsafe's console counts skipped tests; the reason goes only to its XML report.
    System.out.println("chaos: skipped: " + reason);
    return Assumptions.abort(reason);
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
    String alias = "redis-" + nodes.size();
    RedisContainer container =
        new RedisContainer(DockerImageName.parse(REDIS_IMAGE))
            .withNetwork(network)
            .withNetworkAliases(alias)
            .withLabel(LABEL, "true")
            .withCommand(command.toArray(String[]::new))
            .withCreateContainerCmdModifier(ContainerEnvironment::loopbackOnly)
            .withStartupTimeout(StartupTimeout.get());
    container.start();
    nodes.add(container);
    InetSocketAddress address = InetSocketAddress.createUnresolved(alias, REDIS_PORT);
    if (harnessPorts.isEmpty()) {
      throw new IllegalStateException("more than " + HARNESS_PORTS + " Redis nodes in a scenario");
    }
    int port = harnessPorts.removeFirst();
    control.create(port, address);
    URI harness = URI.create("redis://127.0.0.1:" + proxy.getMappedPort(port));
    return new ContainerNode(container, address, harness);
  }

  @Override
  public WorkerLink link(RedisNode target) {
    int port = nextLinkPort++;
    control.create(port, target.linkAddress());
    return new ProxyLink(port);
  }

  @Override
  public InetAddress authServerAddress() {
    return gateway;
  }

  @Override
  public WorkerProcess startWorker(
      String id, List<String> javaCommand, Path stderr, WorkerLink link) throws IOException {
    String name = "tokenherd-chaos-" + run + "-" + id;
    Path target = Path.of("target").toAbsolutePath();
    List<String> command =
        new ArrayList<>(
            List.of(
                "docker",
                "run",
                "-i",
                "--rm",
                "--name",
                name,
                "--network",
                networkName(),
                "--network-alias",
                id,
                "--label",
                LABEL + "=true",
                "--user",
                owner(target),
                "--workdir",
                target.toString(),
                "-v",
                target + ":" + target));
    for (Path path : mounts(javaCommand, target)) {
      command.addAll(List.of("-v", path + ":" + path + ":ro"));
    }
    command.add(LocalImages.resolve(JRE_IMAGE));
    command.add("java"); // the image's, in place of the host's
    command.addAll(javaCommand.subList(1, javaCommand.size()));
    Process process =
        new ProcessBuilder(command)
            .redirectError(ProcessBuilder.Redirect.to(stderr.toFile()))
            .start();
    workers.add(name);
    return new ContainerWorker(name, id, process);
  }

  /**
   * Returns what a worker container mounts read-only at the host's paths: every class path entry
   * and {@code -javaagent} jar outside {@code target} (mounted read-write for the logs and the
   * coverage data).
   */
  private static Set<Path> mounts(List<String> javaCommand, Path target) {
    Set<Path> mounts = new LinkedHashSet<>();
    for (int i = 0; i < javaCommand.size(); i++) {
      String argument = javaCommand.get(i);
      if (argument.equals("-cp") && i + 1 < javaCommand.size()) {
        for (String entry : javaCommand.get(i + 1).split(File.pathSeparator, -1)) {
          mounts.add(Path.of(entry).toAbsolutePath());
        }
      } else if (argument.startsWith("-javaagent:")) {
        String jar = argument.substring("-javaagent:".length());
        int options = jar.indexOf('=');
        mounts.add(Path.of(options < 0 ? jar : jar.substring(0, options)).toAbsolutePath());
      }
    }
    mounts.removeIf(path -> path.startsWith(target) || !Files.exists(path));
    return mounts;
  }

  /** The owner of {@code target} as {@code uid:gid}, so that the logs are the user's files. */
  private static String owner(Path target) throws IOException {
    return Files.getAttribute(target, "unix:uid") + ":" + Files.getAttribute(target, "unix:gid");
  }

  private String networkName() {
    return docker().inspectNetworkCmd().withNetworkId(network.getId()).exec().getName();
  }

  @Override
  public void close() {
    // Each step whatever the one before did: Ryuk is off where the local images are used.
    try {
      workers.forEach(ContainerEnvironment::removeQuietly);
      for (RedisContainer node : nodes) {
        try {
          node.stop();
        } catch (RuntimeException e) {
          System.out.println("chaos: cannot stop " + node.getContainerName() + ": " + e);
        }
      }
    } finally {
      try {
        control.close();
        proxy.stop();
      } finally {
        network.close();
      }
    }
  }

  private static void removeQuietly(String container) {
    try {
      docker().removeContainerCmd(container).withForce(true).exec();
    } catch (DockerException e) {
      // gone already (--rm)
    }
  }

  private static DockerClient docker() {
    return DockerClientFactory.instance().client();
  }

  /** Publishes every exposed port on 127.0.0.1 only (Testcontainers' default is every address). */
  private static void loopbackOnly(CreateContainerCmd create) {
    ExposedPort[] exposed = create.getExposedPorts();
    if (exposed == null || create.getHostConfig() == null) {
      return;
    }
    Ports ports = new Ports();
    for (ExposedPort port : exposed) {
      ports.bind(port, Ports.Binding.bindIp("127.0.0.1"));
    }
    create.getHostConfig().withPortBindings(ports);
  }

  private static InetAddress gatewayOf(Network network) {
    var configs =
        docker().inspectNetworkCmd().withNetworkId(network.getId()).exec().getIpam().getConfig();
    for (var config : configs) {
      String gateway = config.getGateway();
      if (gateway != null && !gateway.contains(":")) {
        try {
          return InetAddress.getByName(gateway);
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
      }
    }
    throw new IllegalStateException(
        "the Docker network " + network.getId() + " has no IPv4 gateway");
  }

  private static Path classesOf(Class<?> type) {
    try {
      return Path.of(type.getProtectionDomain().getCodeSource().getLocation().toURI());
    } catch (URISyntaxException e) {
      throw new IllegalStateException(e);
    }
  }

  /** A Redis container, which the harness reaches through its own proxy. */
  private static final class ContainerNode implements RedisNode {
    private final RedisContainer container;
    private final InetSocketAddress address;
    private final URI harness;

    ContainerNode(RedisContainer container, InetSocketAddress address, URI harness) {
      this.container = container;
      this.address = address;
      this.harness = harness;
    }

    @Override
    public URI uri() {
      return harness;
    }

    @Override
    public InetSocketAddress linkAddress() {
      return address;
    }

    @Override
    public String command(String... arguments) throws IOException {
      return RespClient.command(
          new InetSocketAddress(harness.getHost(), harness.getPort()), null, List.of(arguments));
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

  /** One worker's proxy in the proxy container, reached by the worker on the network. */
  private final class ProxyLink implements WorkerLink {
    private final int port;
    private boolean closed;

    ProxyLink(int port) {
      this.port = port;
    }

    @Override
    public URI uri() {
      return URI.create("redis://" + PROXY_ALIAS + ":" + port);
    }

    @Override
    public void cut() {
      control.send("cut " + port);
    }

    @Override
    public void heal() {
      control.send("heal " + port);
    }

    @Override
    public void reset() {
      control.send("reset " + port);
    }

    @Override
    public void blackhole() {
      control.send("blackhole " + port);
    }

    @Override
    public void latency(Duration delay) {
      control.send("latency " + port + " " + delay.toMillis());
    }

    @Override
    public void retarget(RedisNode node) {
      InetSocketAddress to = node.linkAddress();
      control.send("retarget " + port + " " + to.getHostString() + ":" + to.getPort());
    }

    @Override
    public void close() {
      if (!closed) {
        closed = true;
        control.send("delete " + port);
      }
    }
  }

  /** A worker container, driven through the docker CLI's process and the engine's API. */
  private final class ContainerWorker implements WorkerProcess {
    private final String name;
    private final String alias;
    private final Process process;

    ContainerWorker(String name, String alias, Process process) {
      this.name = name;
      this.alias = alias;
      this.process = process;
    }

    @Override
    public Process process() {
      return process;
    }

    @Override
    public void kill() throws InterruptedException {
      try {
        docker().killContainerCmd(name).exec();
      } catch (DockerException e) {
        // it ended already
      }
      if (!process.waitFor(60, TimeUnit.SECONDS)) {
        removeQuietly(name);
        process.destroyForcibly().waitFor();
      }
    }

    /** The cgroup freezer: every thread is frozen when the call returns. */
    @Override
    public void pause() {
      docker().pauseContainerCmd(name).exec();
    }

    @Override
    public void resume() {
      docker().unpauseContainerCmd(name).exec();
    }

    @Override
    public void partition() {
      docker()
          .disconnectFromNetworkCmd()
          .withNetworkId(network.getId())
          .withContainerId(name)
          .withForce(true)
          .exec();
    }

    @Override
    public void rejoin() {
      docker()
          .connectToNetworkCmd()
          .withNetworkId(network.getId())
          .withContainerId(name)
          .withContainerNetwork(new ContainerNetwork().withAliases(alias))
          .exec();
    }
  }

  /** The proxy container's control connection: one command, one answer, in order. */
  private static final class ProxyControl implements AutoCloseable {
    private final Socket socket;
    private final BufferedReader in;
    private final OutputStream out;

    ProxyControl(InetSocketAddress address) {
      try {
        socket = new Socket();
        socket.connect(address, 10_000);
        socket.setSoTimeout(30_000);
        in = new BufferedReader(new InputStreamReader(socket.getInputStream(), UTF_8));
        out = socket.getOutputStream();
      } catch (IOException e) {
        throw new UncheckedIOException("cannot reach the proxy container's control port", e);
      }
    }

    void create(int port, InetSocketAddress upstream) {
      send("create " + port + " " + upstream.getHostString() + ":" + upstream.getPort());
    }

    synchronized void send(String command) {
      String answer;
      try {
        out.write((command + "\n").getBytes(UTF_8));
        out.flush();
        answer = in.readLine();
      } catch (IOException e) {
        // A late answer would be read as the next command's: no next command on this connection.
        close();
        throw new UncheckedIOException("proxy container: " + command, e);
      }
      if (!"ok".equals(answer)) {
        throw new IllegalStateException("proxy container: " + command + ": " + answer);
      }
    }

    @Override
    public void close() {
      try {
        socket.close();
      } catch (IOException e) {
        // closing anyway
      }
    }
  }
}

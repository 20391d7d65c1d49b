package dev.tokenherd.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;

/**
 * Makes a Redis Cluster of fresh nodes: with {@code redis-cli --cluster create} when a {@code
 * redis-cli} is found (next to the {@code redis-server} executable, then on the {@code PATH}), else
 * with the commands redis-cli sends: {@code CLUSTER ADDSLOTSRANGE} on each master, {@code CLUSTER
 * SET-CONFIG-EPOCH} on each node (distinct epochs, so no epoch collision has to be resolved),
 * {@code CLUSTER MEET} from the first node to every other, and, once every node knows every other,
 * {@code CLUSTER REPLICATE} on each replica. The first {@code masters} nodes are the masters in the
 * second way; redis-cli chooses its own.
 */
final class ClusterCreation {
  private ClusterCreation() {}

  /** What {@link RedisCluster.Builder} was told. */
  record Settings(
      int masters,
      int replicasPerMaster,
      boolean appendOnly,
      Duration nodeTimeout,
      boolean requireFullCoverage,
      @Nullable String password,
      List<String> extraArguments,
      boolean useRedisCli,
      @Nullable TlsCertificates tls) {
    @Override
    public String toString() {
      return "Settings[" + masters + " masters, " + replicasPerMaster + " replicas each]";
    }
  }

  /** Starts one node, not yet part of any cluster. */
  static RedisServerProcess startNode(Settings settings, int busPort) {
    RedisServerProcess.Builder node =
        RedisServerProcess.builder()
            .appendOnly(settings.appendOnly())
            .arguments(
                "--cluster-enabled",
                "yes",
                "--cluster-config-file",
                "nodes.conf",
                "--cluster-port",
                Integer.toString(busPort),
                "--cluster-node-timeout",
                Long.toString(settings.nodeTimeout().toMillis()),
                "--cluster-require-full-coverage",
                settings.requireFullCoverage() ? "yes" : "no",
                "--cluster-replica-validity-factor",
                "0");
    String password = settings.password();
    if (password != null) {
      node.password(password).arguments("--masterauth", password);
    }
    TlsCertificates tls = settings.tls();
    if (tls != null) {
      node.tls(tls);
    }
    return node.arguments(settings.extraArguments().toArray(new String[0])).start();
  }

  /**
   * Creates the cluster and returns how, for the line printed to standard error.
   *
   * @param busPorts each node's {@code cluster-port}, in the order of {@code nodes}
   */
  static String create(
      List<RedisServerProcess> nodes,
      List<Integer> busPorts,
      Settings settings,
      RedisBinary binary) {
    Path serverExecutable = binary.executable();
    boolean useRedisCli = settings.useRedisCli();
    Path cli = useRedisCli ? findRedisCli(serverExecutable) : null;
    if (cli != null) {
      viaRedisCli(cli, nodes, settings.replicasPerMaster(), settings.password());
      return "redis-cli --cluster create (" + cli + ")";
    }
    try {
      viaCommands(nodes, busPorts, settings.masters());
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create the cluster", e);
    }
    return "CLUSTER ADDSLOTSRANGE, MEET and REPLICATE ("
        + (useRedisCli
            ? "no redis-cli next to " + serverExecutable + " nor on the PATH"
            : "redis-cli not wanted")
        + ")";
  }

  static @Nullable Path findRedisCli(Path serverExecutable) {
    Path dir = serverExecutable.toAbsolutePath().getParent();
    if (dir != null) {
      Path beside = dir.resolve("redis-cli");
      if (Files.isRegularFile(beside) && Files.isExecutable(beside)) {
        return beside;
      }
    }
    return RedisBinary.findOnPath("redis-cli");
  }

  private static void viaRedisCli(
      Path cli, List<RedisServerProcess> nodes, int replicasPerMaster, @Nullable String password) {
    List<String> command = new ArrayList<>(List.of(cli.toString(), "--cluster", "create"));
    for (RedisServerProcess node : nodes) {
      command.add("127.0.0.1:" + node.port());
    }
    command.addAll(
        List.of("--cluster-replicas", Integer.toString(replicasPerMaster), "--cluster-yes"));
    Path log = nodes.get(0).dataDirectory().resolve("redis-cli.log");
    ProcessBuilder builder =
        new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
    if (password != null) {
      // The environment, not -a: the password stays out of the process list and of messages.
      builder.environment().put("REDISCLI_AUTH", password);
    }
    Duration timeout = StartupTimeout.get();
    try {
      Process process = builder.start();
      if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        throw new IllegalStateException(
            "redis-cli --cluster create did not finish within " + timeout + output(log));
      }
      if (process.exitValue() != 0) {
        throw new IllegalStateException(
            "redis-cli --cluster create exited with status " + process.exitValue() + output(log));
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot run " + cli, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while creating the cluster", e);
    }
  }

  private static String output(Path log) {
    return "\n--- " + log + " ---\n" + ProcessOutput.tail(log).replaceAll("\u001B\\[[0-9;]*m", "");
  }

  private static void viaCommands(
      List<RedisServerProcess> nodes, List<Integer> busPorts, int masters) throws IOException {
    for (int i = 0; i < masters; i++) {
      int from = i * ClusterView.SLOTS / masters;
      int to = (i + 1) * ClusterView.SLOTS / masters - 1;
      Replies.ok(
          nodes.get(i), "CLUSTER", "ADDSLOTSRANGE", Integer.toString(from), Integer.toString(to));
    }
    for (int i = 0; i < nodes.size(); i++) {
      Replies.ok(nodes.get(i), "CLUSTER", "SET-CONFIG-EPOCH", Integer.toString(i + 1));
    }
    RedisServerProcess first = nodes.get(0);
    for (int i = 1; i < nodes.size(); i++) {
      Replies.ok(
          first,
          "CLUSTER",
          "MEET",
          "127.0.0.1",
          Integer.toString(nodes.get(i).port()),
          Integer.toString(busPorts.get(i)));
    }
    Poll.until(
        "every node of the new cluster to know every other",
        () -> {
          for (RedisServerProcess node : nodes) {
            ClusterView view = ClusterView.of(node);
            for (RedisServerProcess other : nodes) {
              ClusterView.Node known = view.byPort(other.port());
              if (known == null
                  || known.flags().contains("handshake")
                  || known.flags().contains("noaddr")
                  || !known.connected()) {
                return "127.0.0.1:" + node.port() + " does not know 127.0.0.1:" + other.port();
              }
            }
          }
          return null;
        },
        () -> ClusterProbe.describe(nodes, List.of()));
    for (int i = masters; i < nodes.size(); i++) {
      String masterId = Replies.string(nodes.get((i - masters) % masters), "CLUSTER", "MYID");
      Replies.ok(nodes.get(i), "CLUSTER", "REPLICATE", masterId);
    }
  }
}

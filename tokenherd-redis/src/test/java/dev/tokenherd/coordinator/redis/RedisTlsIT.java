package dev.tokenherd.coordinator.redis;

import static java.util.Objects.requireNonNull;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.tokenherd.testkit.Closer;
import dev.tokenherd.testkit.RedisCluster;
import dev.tokenherd.testkit.RedisSentinelGroup;
import dev.tokenherd.testkit.RedisServerProcess;
import dev.tokenherd.testkit.RespClient;
import dev.tokenherd.testkit.TlsCertificates;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A fleet over TLS on every topology, trusting a private authority through {@link
 * RedisBackend.Builder#trustStore}: one server ({@code rediss://}), a Sentinel group and a cluster
 * ({@code tls(true)}), each with TLS for every connection, replication and Sentinels included. The
 * servers keep a plain port on 127.0.0.1 for the fixtures' own probes; while the fleet serves,
 * {@code CLIENT LIST} on every process shows each connection but the probe's own arriving on the
 * TLS port. Certificates are made with openssl ({@link TlsCertificates}); without it the tests are
 * skipped.
 */
final class RedisTlsIT {
  private static final String STORE_PASSWORD = "store-Lm62-secret";

  private static @Nullable TlsCertificates generated;

  private final Closer resources = new Closer();

  @BeforeAll
  static void certificates(@TempDir Path directory) {
    String unavailable = TlsCertificates.unavailable();
    assumeTrue(unavailable == null, () -> "no TLS certificates: " + unavailable);
    generated = TlsCertificates.generate(directory);
  }

  private static TlsCertificates certificates() {
    return requireNonNull(generated, "certificates");
  }

  @AfterEach
  void tearDown() throws Exception {
    resources.close();
  }

  @Test
  void oneServer_rediss_trustingThePemAuthority_servesEndToEnd() {
    RedisServerProcess redis =
        resources.add(RedisServerProcess.builder().tls(certificates()).start());
    String uri = "rediss://127.0.0.1:" + redis.tlsPort();

    FleetRoundTrip.servesEndToEnd(
        () -> RedisBackend.builder().uri(uri).trustStore(certificates().caCertificate(), null),
        () -> assertEveryConnectionOnTls(List.of(redis)));
  }

  @Test
  void oneServer_trustingAPkcs12Store_connects_andWithoutTheAuthority_buildFails(
      @TempDir Path directory) throws Exception {
    RedisServerProcess redis =
        resources.add(RedisServerProcess.builder().tls(certificates()).start());
    String uri = "rediss://127.0.0.1:" + redis.tlsPort();
    Path store = pkcs12(directory.resolve("trust.p12"));

    try (RedisBackend backend =
        RedisBackend.builder().uri(uri).trustStore(store, STORE_PASSWORD.toCharArray()).build()) {
      assertThat(backend.tokenStore()).isNotNull();
    }
    // The JVM's default trust store does not know the test's authority.
    assertThatThrownBy(() -> RedisBackend.builder().uri(uri).build())
        .isInstanceOf(io.lettuce.core.RedisConnectionException.class)
        .hasMessageContaining("cannot connect to Redis at 127.0.0.1:" + redis.tlsPort())
        .hasStackTraceContaining("PKIX");
    assertThatThrownBy(
            () -> RedisBackend.builder().trustStore(store, "wrong".toCharArray()).uri(uri).build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(store.toString())
        .hasMessageNotContaining(STORE_PASSWORD);
  }

  @Test
  void sentinel_tlsEverywhere_servesEndToEnd() {
    RedisSentinelGroup group =
        resources.add(RedisSentinelGroup.builder().tls(certificates()).start());
    List<String> sentinels =
        group.sentinelAddresses().stream().map(a -> "127.0.0.1:" + a.getPort()).toList();
    List<RedisServerProcess> processes = new ArrayList<>(group.dataNodes());
    processes.addAll(group.sentinels());

    FleetRoundTrip.servesEndToEnd(
        () ->
            RedisBackend.builder()
                .sentinel(group.masterName(), sentinels)
                .tls(true)
                .trustStore(certificates().caCertificate(), null)
                .waitForReplicas(1, Duration.ofMillis(500)),
        () -> assertEveryConnectionOnTls(processes));
  }

  @Test
  void cluster_tlsEverywhere_servesEndToEnd() {
    RedisCluster cluster = resources.add(RedisCluster.builder().tls(certificates()).start());
    List<String> seeds = cluster.nodes().stream().map(n -> "127.0.0.1:" + n.tlsPort()).toList();

    FleetRoundTrip.servesEndToEnd(
        () ->
            RedisBackend.builder()
                .cluster(seeds)
                .tls(true)
                .trustStore(certificates().caCertificate(), null)
                .waitForReplicas(1, Duration.ofMillis(500)),
        () -> assertEveryConnectionOnTls(cluster.nodes()));
  }

  /**
   * Asserts that every connection to these processes but the probe's own arrived on the TLS port:
   * the fleet's, the replicas' and the Sentinels'; and that there are some.
   */
  private static void assertEveryConnectionOnTls(List<RedisServerProcess> processes) {
    int fleet = 0;
    for (RedisServerProcess process : processes) {
      String clients;
      try {
        clients =
            String.valueOf(
                RespClient.call(
                    new InetSocketAddress(InetAddress.getLoopbackAddress(), process.port()),
                    null,
                    List.of("CLIENT", "LIST")));
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      for (String client : clients.lines().toList()) {
        // Left out: the probe, and a replica's own link to its master (flags=M, listed with the
        // replica's outgoing port; the master lists the same link, flags=S, on its TLS port).
        if (client.isBlank()
            || client.contains(" cmd=client|list ")
            || client.contains(" flags=M ")) {
          continue;
        }
        assertThat(client)
            .as("a connection to " + process)
            .contains(" laddr=127.0.0.1:" + process.tlsPort() + " ");
        fleet++;
      }
    }
    assertThat(fleet).as("connections seen").isPositive();
  }

  /** A PKCS#12 trust store holding the test's authority, with {@link #STORE_PASSWORD}. */
  private static Path pkcs12(Path file) throws Exception {
    KeyStore store = KeyStore.getInstance("PKCS12");
    store.load(null, null);
    try (InputStream pem = Files.newInputStream(certificates().caCertificate())) {
      store.setCertificateEntry(
          "tokenherd-test-ca", CertificateFactory.getInstance("X.509").generateCertificate(pem));
    }
    try (OutputStream out = Files.newOutputStream(file)) {
      store.store(out, STORE_PASSWORD.toCharArray());
    }
    return file;
  }
}

package dev.tokenherd.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link TlsCertificates} and {@link RedisServerProcess.Builder#tls}: a server on two ports. */
final class TlsCertificatesIT {
  @TempDir Path directory;

  @Test
  void aServerWithTls_answersOnItsTlsPortForThoseWhoTrustTheAuthority_andOnItsPlainPort()
      throws Exception {
    assumeTrue(TlsCertificates.unavailable() == null, TlsCertificates.unavailable());
    TlsCertificates certificates = TlsCertificates.generate(directory);

    try (RedisServerProcess redis = RedisServerProcess.builder().tls(certificates).start()) {
      int tlsPort = redis.tlsPort();
      assertThat(tlsPort).isNotEqualTo(redis.port());
      assertThat(redis.clientPort()).isEqualTo(tlsPort);
      assertThat(pingOverTls(certificates, tlsPort)).isEqualTo("+PONG");
      assertThat(redis.ping()).as("the plain port, for the fixtures' probes").isTrue();

      redis.restart();

      assertThat(redis.tlsPort()).isEqualTo(tlsPort);
      assertThat(pingOverTls(certificates, tlsPort)).isEqualTo("+PONG");
    }
  }

  @Test
  void aServerWithoutTls_hasNoTlsPort() {
    try (RedisServerProcess redis = RedisServerProcess.builder().appendOnly(false).start()) {
      assertThat(redis.clientPort()).isEqualTo(redis.port());
      assertThatThrownBy(redis::tlsPort)
          .isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("without TLS");
    }
  }

  /** PING over TLS, trusting only the test's authority and checking the host name. */
  private static String pingOverTls(TlsCertificates certificates, int port) throws Exception {
    KeyStore trusted = KeyStore.getInstance(KeyStore.getDefaultType());
    trusted.load(null, null);
    try (InputStream pem = Files.newInputStream(certificates.caCertificate())) {
      trusted.setCertificateEntry(
          "ca", CertificateFactory.getInstance("X.509").generateCertificate(pem));
    }
    TrustManagerFactory trust =
        TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    trust.init(trusted);
    SSLContext context = SSLContext.getInstance("TLS");
    context.init(null, trust.getTrustManagers(), null);
    try (SSLSocket socket =
        (SSLSocket) context.getSocketFactory().createSocket("127.0.0.1", port)) {
      SSLParameters parameters = socket.getSSLParameters();
      parameters.setEndpointIdentificationAlgorithm("HTTPS");
      socket.setSSLParameters(parameters);
      socket.setSoTimeout(5000);
      socket.getOutputStream().write("PING\r\n".getBytes(StandardCharsets.US_ASCII));
      socket.getOutputStream().flush();
      return new BufferedReader(
              new InputStreamReader(socket.getInputStream(), StandardCharsets.US_ASCII))
          .readLine();
    }
  }
}

package dev.tokenherd.coordinator.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509TrustManager;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link RedisBackend.Builder#trustStore}: what it reads (PEM, PKCS#12), what it refuses and how it
 * says so (naming the file, never the password), and that it goes with TLS only. Connections over
 * TLS are {@code RedisTlsIT}'s.
 */
final class TrustStoresTest {
  private static final String PASSWORD = "store-Qe27-secret";

  /** A throw-away self-signed certificate (no key kept), for reading only. */
  private static final String CA =
      """
      -----BEGIN CERTIFICATE-----
      MIIBmjCCAT+gAwIBAgIUcPirlgldKGHb85MuxYMJVbJXaHowCgYIKoZIzj0EAwIw
      ITEfMB0GA1UEAwwWdG9rZW5oZXJkLXVuaXQtdGVzdC1jYTAgFw0yNjEyMDMxMTM3
      NTRaGA8yMTI2MTEwOTExMzc1NFowITEfMB0GA1UEAwwWdG9rZW5oZXJkLXVuaXQt
      dGVzdC1jYTBZMBMGByqGSM49AgEGCCqGSM49AwEHA0IABCwKOHrHXJ2Ro9yiqsGG
      PrLIu1+RjSBfusKC+kdmXI13hUY9z2VPQePEOv/42TbEthOPMkZ1Oo7l0uhUUdoL
      q6OjUzBRMB0GA1UdDgQWBBRl0lOrlE2yCGy1xrUCnlTu2QCOvTAfBgNVHSMEGDAW
      gBRl0lOrlE2yCGy1xrUCnlTu2QCOvTAPBgNVHRMBAf8EBTADAQH/MAoGCCqGSM49
      BAMCA0kAMEYCIQCbQqAhDPuWgB12/Vk9HGzoMOOwzYqeWE8YrW4sn1YHeQIhANEX
      QkEf+reMip0kTDwWnkwzOq691ldGN8A1beNoVPfu
      -----END CERTIFICATE-----
      """;

  @TempDir Path directory;

  private static X509Certificate certificate() throws Exception {
    return (X509Certificate)
        CertificateFactory.getInstance("X.509")
            .generateCertificate(new ByteArrayInputStream(CA.getBytes(StandardCharsets.US_ASCII)));
  }

  private Path pkcs12(boolean withCertificate) throws Exception {
    KeyStore store = KeyStore.getInstance("PKCS12");
    store.load(null, null);
    if (withCertificate) {
      store.setCertificateEntry("ca", certificate());
    }
    Path file = directory.resolve(withCertificate ? "trust.p12" : "empty.p12");
    try (OutputStream out = Files.newOutputStream(file)) {
      store.store(out, PASSWORD.toCharArray());
    }
    return file;
  }

  private static X509Certificate[] trusted(TrustManagerFactory factory) {
    return ((X509TrustManager) factory.getTrustManagers()[0]).getAcceptedIssuers();
  }

  @Test
  void pemAndPkcs12_trustExactlyTheirCertificates() throws Exception {
    Path pem = Files.writeString(directory.resolve("ca.pem"), CA);

    assertThat(trusted(TrustStores.load(pem, null))).containsExactly(certificate());
    assertThat(trusted(TrustStores.load(pkcs12(true), PASSWORD.toCharArray())))
        .containsExactly(certificate());
  }

  @Test
  void unreadableOrUseless_isRefusedNamingTheFileNeverThePassword() throws Exception {
    Path missing = directory.resolve("missing.pem");
    Path garbage = Files.writeString(directory.resolve("garbage.bin"), "not a store");
    Path badPem =
        Files.writeString(
            directory.resolve("bad.pem"),
            "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n");
    Path empty = pkcs12(false);
    Path store = pkcs12(true);

    for (Path file : new Path[] {missing, garbage, badPem, empty}) {
      assertThatThrownBy(() -> TrustStores.load(file, PASSWORD.toCharArray()))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining(file.toString())
          .hasMessageNotContaining(PASSWORD);
    }
    assertThatThrownBy(() -> RedisBackend.builder().trustStore(store, "wrong".toCharArray()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(store.toString());
    assertThatThrownBy(() -> TrustStores.load(empty, PASSWORD.toCharArray()))
        .hasMessageContaining("no trusted certificate");
  }

  @Test
  void withoutTls_isAnIllegalState() throws Exception {
    Path pem = Files.writeString(directory.resolve("ca.pem"), CA);

    assertThatThrownBy(
            () -> RedisBackend.builder().uri("redis://127.0.0.1:1").trustStore(pem, null).build())
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("rediss://");
    assertThatThrownBy(
            () ->
                RedisBackend.builder()
                    .cluster(java.util.List.of("127.0.0.1:1"))
                    .trustStore(pem, null)
                    .build())
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("tls(true)");
  }
}

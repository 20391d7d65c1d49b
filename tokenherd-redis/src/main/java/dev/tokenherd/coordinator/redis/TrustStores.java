package dev.tokenherd.coordinator.redis;

import static java.util.Objects.requireNonNull;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.util.Collection;
import java.util.Collections;
import javax.net.ssl.TrustManagerFactory;
import org.jspecify.annotations.Nullable;

/**
 * Reads the certificates that the clients of a {@link RedisBackend} trust for TLS, from a PEM file
 * or a PKCS#12 trust store, into the {@link TrustManagerFactory} that Lettuce and Redisson both
 * take. Messages name the file, never the password.
 */
final class TrustStores {
  private TrustStores() {}

  /**
   * Reads {@code file}: PEM ({@code -----BEGIN CERTIFICATE-----}, one or more) if it starts like
   * one, else a PKCS#12 store (a JKS store is read too).
   *
   * @param file the file
   * @param password the store's password, or {@code null} (none, or PEM)
   * @return a factory of trust managers that trust exactly these certificates
   * @throws IllegalArgumentException if the file cannot be read, is neither, holds no trusted
   *     certificate, or the password is wrong
   */
  static TrustManagerFactory load(Path file, char @Nullable [] password) {
    requireNonNull(file, "file");
    byte[] content;
    try {
      content = Files.readAllBytes(file);
    } catch (IOException e) {
      throw new IllegalArgumentException(
          "cannot read the trust store " + file + " (" + e.getClass().getSimpleName() + ")", e);
    }
    KeyStore store;
    try {
      store = isPem(content) ? fromPem(file, content) : fromStore(file, content, password);
      if (Collections.list(store.aliases()).stream().noneMatch(a -> isCertificate(store, a))) {
        throw new IllegalArgumentException(
            "the trust store "
                + file
                + " holds no trusted certificate (a PKCS#12 store made by openssl marks none as"
                + " trusted: give the PEM file, or import it with keytool -importcert)");
      }
      TrustManagerFactory factory =
          TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      factory.init(store);
      return factory;
    } catch (GeneralSecurityException e) {
      throw new IllegalArgumentException(
          "cannot use the trust store " + file + " (" + e.getClass().getSimpleName() + ")", e);
    }
  }

  private static boolean isPem(byte[] content) {
    return new String(content, 0, Math.min(content.length, 4096), StandardCharsets.US_ASCII)
        .contains("-----BEGIN CERTIFICATE-----");
  }

  private static KeyStore fromPem(Path file, byte[] content) throws GeneralSecurityException {
    Collection<? extends Certificate> certificates =
        CertificateFactory.getInstance("X.509")
            .generateCertificates(new ByteArrayInputStream(content));
    KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
    try {
      store.load(null, null);
    } catch (IOException e) {
      throw new IllegalStateException("cannot create an empty key store", e);
    }
    int i = 0;
    for (Certificate certificate : certificates) {
      store.setCertificateEntry("certificate-" + i++, certificate);
    }
    if (i == 0) {
      throw new IllegalArgumentException("the PEM file " + file + " holds no certificate");
    }
    return store;
  }

  private static KeyStore fromStore(Path file, byte[] content, char @Nullable [] password)
      throws GeneralSecurityException {
    KeyStore store = KeyStore.getInstance("PKCS12");
    try {
      store.load(new ByteArrayInputStream(content), password);
    } catch (IOException e) {
      // The message of a wrong password says so; it never quotes the password.
      throw new IllegalArgumentException(
          "cannot read the trust store " + file + " as PEM or PKCS#12 (" + e.getMessage() + ")", e);
    }
    return store;
  }

  private static boolean isCertificate(KeyStore store, String alias) {
    try {
      return store.isCertificateEntry(alias);
    } catch (GeneralSecurityException e) {
      return false;
    }
  }
}

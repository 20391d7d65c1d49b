package dev.tokenherd.testkit;

import static java.util.Objects.requireNonNull;

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
 * A throw-away certificate authority and a server certificate it signed for {@code 127.0.0.1} and
 * {@code localhost} (valid two days, EC P-256, usable as a client certificate too), made with the
 * {@code openssl} command, for TLS tests: the servers of {@link RedisServerProcess.Builder#tls} use
 * the certificate, the clients trust {@link #caCertificate()}.
 *
 * <pre>{@code
 * assumeTrue(TlsCertificates.unavailable() == null, TlsCertificates.unavailable());
 * TlsCertificates certificates = TlsCertificates.generate(Files.createTempDirectory("tls"));
 * }</pre>
 *
 * @param caCertificate the authority's certificate, PEM
 * @param certificate the server's certificate, PEM
 * @param key the server's private key, PEM (unencrypted)
 */
public record TlsCertificates(Path caCertificate, Path certificate, Path key) {
  private static final Duration STEP_TIMEOUT = Duration.ofSeconds(30);

  /**
   * Checks that the three files are named.
   *
   * @param caCertificate the authority's certificate
   * @param certificate the server's certificate
   * @param key the server's private key
   */
  public TlsCertificates {
    requireNonNull(caCertificate, "caCertificate");
    requireNonNull(certificate, "certificate");
    requireNonNull(key, "key");
  }

  /**
   * Returns why certificates cannot be made here, or {@code null} if they can.
   *
   * @return {@code "no openssl on the PATH"}, or {@code null}
   */
  public static @Nullable String unavailable() {
    return RedisBinary.findOnPath("openssl") == null ? "no openssl on the PATH" : null;
  }

  /**
   * Makes a new authority and server certificate in {@code directory} ({@code ca.crt}, {@code
   * server.crt}, {@code server.key}, and the files openssl needs on the way).
   *
   * @param directory an existing directory; the caller deletes it
   * @return the files
   * @throws IllegalStateException if {@code openssl} is missing or fails (the message has its
   *     output)
   */
  public static TlsCertificates generate(Path directory) {
    Path openssl = RedisBinary.findOnPath("openssl");
    if (openssl == null) {
      throw new IllegalStateException("cannot make TLS certificates: no openssl on the PATH");
    }
    TlsCertificates files =
        new TlsCertificates(
            directory.resolve("ca.crt"),
            directory.resolve("server.crt"),
            directory.resolve("server.key"));
    Path extensions = directory.resolve("server.ext");
    try {
      Files.writeString(
          extensions,
          """
          subjectAltName=IP:127.0.0.1,DNS:localhost
          extendedKeyUsage=serverAuth,clientAuth
          """);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + extensions, e);
    }
    // Run in the directory, so that the file names are relative.
    String key = "-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes";
    run(
        directory,
        openssl,
        "req -x509 "
            + key
            + " -days 2 -subj /CN=tokenherd-test-ca"
            + " -keyout ca.key -out ca.crt");
    run(
        directory,
        openssl,
        "req " + key + " -subj /CN=localhost" + " -keyout server.key -out server.csr");
    run(
        directory,
        openssl,
        "x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial"
            + " -days 2 -extfile server.ext -out server.crt");
    return files;
  }

  private static void run(Path directory, Path openssl, String arguments) {
    List<String> command = new ArrayList<>();
    command.add(openssl.toString());
    command.addAll(List.of(arguments.split(" ")));
    String step = "openssl " + command.get(1);
    Path log = directory.resolve("openssl.log");
    try {
      Process process =
          new ProcessBuilder(command)
              .directory(directory.toFile())
              .redirectErrorStream(true)
              .redirectOutput(log.toFile())
              .start();
      if (!process.waitFor(STEP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
        process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        throw new IllegalStateException(
            step + " did not finish within " + STEP_TIMEOUT + output(log));
      }
      if (process.exitValue() != 0) {
        throw new IllegalStateException(
            step + " exited with status " + process.exitValue() + output(log));
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot run " + openssl, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while making TLS certificates", e);
    }
  }

  private static String output(Path log) {
    return "\n--- " + log + " ---\n" + ProcessOutput.tail(log);
  }
}

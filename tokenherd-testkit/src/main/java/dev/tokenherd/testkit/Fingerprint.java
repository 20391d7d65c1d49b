package dev.tokenherd.testkit;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import org.jspecify.annotations.Nullable;

/**
 * Fingerprints secrets as {@code sha256:} and the first 12 hex digits of their SHA-256, the same
 * rendering as Tokenherd's own redaction (the testkit depends on no Tokenherd module), so that log
 * lines of client and server can be correlated.
 */
final class Fingerprint {
  private Fingerprint() {}

  static String of(@Nullable String secret) {
    if (secret == null) {
      return "none";
    }
    try {
      byte[] digest =
          MessageDigest.getInstance("SHA-256").digest(secret.getBytes(StandardCharsets.UTF_8));
      return "sha256:" + HexFormat.of().formatHex(digest, 0, 6);
    } catch (NoSuchAlgorithmException e) {
      throw new AssertionError("every Java platform provides SHA-256", e);
    }
  }
}

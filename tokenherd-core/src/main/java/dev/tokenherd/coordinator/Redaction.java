package dev.tokenherd.coordinator;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import org.jspecify.annotations.Nullable;

/**
 * Renders secrets for logs, exceptions and {@code toString} without revealing them.
 *
 * <p>A fingerprint is the first 12 hex digits of the SHA-256 of the secret: enough to tell tokens
 * apart when correlating logs across workers, far too little to recover or replay one.
 */
public final class Redaction {
  private static final HexFormat HEX = HexFormat.of();

  private Redaction() {}

  /**
   * Returns a short, stable fingerprint of a secret, such as {@code sha256:1f2e3d4c5b6a}.
   *
   * @param secret the secret, or {@code null}
   * @return the fingerprint, or {@code "none"} for {@code null}
   */
  public static String fingerprint(@Nullable String secret) {
    if (secret == null) {
      return "none";
    }
    try {
      byte[] digest =
          MessageDigest.getInstance("SHA-256").digest(secret.getBytes(StandardCharsets.UTF_8));
      return "sha256:" + HEX.formatHex(digest, 0, 6);
    } catch (NoSuchAlgorithmException e) {
      // Every Java platform must provide SHA-256 (MessageDigest Javadoc).
      throw new AssertionError("SHA-256 is missing", e);
    }
  }
}

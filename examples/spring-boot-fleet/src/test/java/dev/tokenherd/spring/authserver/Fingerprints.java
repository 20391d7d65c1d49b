package dev.tokenherd.spring.authserver;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import org.jspecify.annotations.Nullable;

/**
 * Renders secrets as {@code sha256:} and the first 12 hex digits of their SHA-256, as Tokenherd's
 * own redaction and the testkit do, so that log lines of client, fixture and server correlate.
 */
final class Fingerprints {
  private Fingerprints() {}

  /** Returns the short fingerprint of {@code secret}, or {@code none} for {@code null}. */
  static String of(@Nullable String secret) {
    return secret == null ? "none" : "sha256:" + sha256Hex(secret).substring(0, 12);
  }

  /** Returns the whole SHA-256 of {@code secret} in hex: a collision-free key that is no secret. */
  static String sha256Hex(String secret) {
    try {
      return HexFormat.of()
          .formatHex(
              MessageDigest.getInstance("SHA-256").digest(secret.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new AssertionError("every Java platform provides SHA-256", e);
    }
  }
}

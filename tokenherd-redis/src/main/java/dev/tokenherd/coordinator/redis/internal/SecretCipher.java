package dev.tokenherd.coordinator.redis.internal;

import static java.util.Objects.requireNonNull;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.crypto.Cipher;
import javax.crypto.SecretKey;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * Seals and opens the secret field of a record with AES-256-GCM.
 *
 * <p>A sealed value reads {@code v1:<keyId>:<base64url(nonce || ciphertext || tag)>}: a random
 * 96-bit nonce per value, a 128-bit tag, and the caller's associated data (the credential's
 * namespace and name) so that a value copied to another credential's record fails to open. Thread
 * safe: each call creates its own {@link Cipher}.
 */
public final class SecretCipher {
  /** The envelope version this class writes. */
  static final String VERSION = "v1";

  private static final int NONCE_BYTES = 12;
  private static final int TAG_BITS = 128;
  private static final Pattern ENVELOPE = Pattern.compile("(v[0-9]+):([A-Za-z0-9_-]{1,32}):(.*)");
  private static final Pattern LOOKS_SEALED = Pattern.compile("v[0-9]+:.*", Pattern.DOTALL);

  private final String primaryId;
  private final Map<String, SecretKey> keys;
  private final SecureRandom random;

  /**
   * Creates a cipher.
   *
   * @param primaryId the id of the key that seals
   * @param keys the keys by id, 32 bytes each; copied
   * @param random the source of nonces
   */
  public SecretCipher(String primaryId, Map<String, byte[]> keys, SecureRandom random) {
    this.primaryId = requireNonNull(primaryId, "primaryId");
    this.random = requireNonNull(random, "random");
    Map<String, SecretKey> specs = new LinkedHashMap<>();
    keys.forEach((id, key) -> specs.put(id, new SecretKeySpec(key, "AES")));
    if (!specs.containsKey(primaryId)) {
      throw new IllegalArgumentException("primary key '" + primaryId + "' is not on the ring");
    }
    this.keys = Map.copyOf(specs);
  }

  /** Returns whether {@code value} has the form of a sealed value (of any envelope version). */
  public static boolean looksSealed(String value) {
    return LOOKS_SEALED.matcher(value).matches();
  }

  /**
   * Seals {@code plaintext} with the primary key.
   *
   * @param plaintext the secret
   * @param associatedData what the value is bound to
   * @return the sealed value
   */
  public String seal(String plaintext, String associatedData) {
    byte[] nonce = new byte[NONCE_BYTES];
    random.nextBytes(nonce);
    try {
      Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
      cipher.init(
          Cipher.ENCRYPT_MODE,
          requireNonNull(keys.get(primaryId)),
          new GCMParameterSpec(TAG_BITS, nonce));
      cipher.updateAAD(associatedData.getBytes(StandardCharsets.UTF_8));
      byte[] sealed = cipher.doFinal(plaintext.getBytes(StandardCharsets.UTF_8));
      byte[] out = ByteBuffer.allocate(nonce.length + sealed.length).put(nonce).put(sealed).array();
      return VERSION
          + ":"
          + primaryId
          + ":"
          + Base64.getUrlEncoder().withoutPadding().encodeToString(out);
    } catch (GeneralSecurityException e) {
      // AES/GCM is required of every Java platform (Cipher Javadoc); a failure is a broken JDK.
      throw new IllegalStateException("AES-GCM encryption failed", e);
    }
  }

  /**
   * Opens a sealed value.
   *
   * @param sealed the value
   * @param associatedData what the value must be bound to
   * @return the secret
   * @throws UnopenableException if the envelope is unknown, the key is not on the ring, or the
   *     integrity check fails (wrong key, wrong associated data, tampering)
   */
  public String open(String sealed, String associatedData) throws UnopenableException {
    Matcher m = ENVELOPE.matcher(sealed);
    if (!m.matches()) {
      throw new UnopenableException("the sealed value is malformed");
    }
    if (!VERSION.equals(m.group(1))) {
      throw new UnopenableException("unknown envelope version " + m.group(1));
    }
    String keyId = m.group(2);
    SecretKey key = keys.get(keyId);
    if (key == null) {
      throw new UnopenableException("key '" + keyId + "' is not on the key ring");
    }
    byte[] raw;
    try {
      raw = Base64.getUrlDecoder().decode(m.group(3));
    } catch (IllegalArgumentException e) {
      throw new UnopenableException("the sealed value is not base64url");
    }
    if (raw.length < NONCE_BYTES + TAG_BITS / 8) {
      throw new UnopenableException("the sealed value is too short");
    }
    try {
      Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
      cipher.init(Cipher.DECRYPT_MODE, key, new GCMParameterSpec(TAG_BITS, raw, 0, NONCE_BYTES));
      cipher.updateAAD(associatedData.getBytes(StandardCharsets.UTF_8));
      byte[] plain = cipher.doFinal(raw, NONCE_BYTES, raw.length - NONCE_BYTES);
      return new String(plain, StandardCharsets.UTF_8);
    } catch (GeneralSecurityException e) {
      throw new UnopenableException(
          "integrity check failed with key '" + keyId + "' (wrong key or another credential's)");
    }
  }

  @Override
  public String toString() {
    return "SecretCipher[primary=" + primaryId + ", keys=" + keys.keySet() + "]";
  }

  /** A sealed value cannot be opened. The message names no secret. */
  public static final class UnopenableException extends Exception {
    private static final long serialVersionUID = 1L;

    UnopenableException(String message) {
      super(message);
    }
  }
}

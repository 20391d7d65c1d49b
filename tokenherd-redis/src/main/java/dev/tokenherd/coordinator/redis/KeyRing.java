package dev.tokenherd.coordinator.redis;

import static java.util.Objects.requireNonNull;

import com.google.errorprone.annotations.CanIgnoreReturnValue;
import java.util.Base64;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * The AES-256 keys that encrypt the secret part of stored token records. Immutable.
 *
 * <p>New records are encrypted with the {@linkplain #primaryId() primary} key; a record encrypted
 * with any key on the ring can be read. To rotate, add a new key, make it primary and keep the old
 * one until every record was rewritten (each refresh rewrites its record with the primary key).
 *
 * <pre>{@code
 * KeyRing ring = KeyRing.builder().key("2025-01", oldKey).key("2025-06", newKey).primary("2025-06").build();
 * KeyRing fromEnv = KeyRing.fromBase64("k2", Map.of("k1", System.getenv("KEY1"), "k2", System.getenv("KEY2")));
 * }</pre>
 *
 * <p>Key ids are stored in clear next to each encrypted value: 1 to 32 characters of {@code
 * [A-Za-z0-9_-]}. Key bytes are copied in and never handed out; {@link #toString()} lists ids only.
 */
public final class KeyRing {
  /** The length of every key in bytes (AES-256). */
  public static final int KEY_LENGTH = 32;

  private static final Pattern VALID_ID = Pattern.compile("[A-Za-z0-9_-]{1,32}");

  private final String primaryId;
  private final Map<String, byte[]> keys;

  private KeyRing(String primaryId, Map<String, byte[]> keys) {
    this.primaryId = primaryId;
    this.keys = Collections.unmodifiableMap(keys);
  }

  /**
   * Returns a new builder.
   *
   * @return an empty builder
   */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * Returns a key ring holding {@code keys}, encrypting with {@code primaryId}.
   *
   * @param primaryId the id of the key new records are encrypted with; must be in {@code keys}
   * @param keys the keys by id, each {@value #KEY_LENGTH} bytes
   * @return the key ring
   * @throws IllegalArgumentException if an id or key is malformed, or the primary is not listed
   */
  public static KeyRing of(String primaryId, Map<String, byte[]> keys) {
    requireNonNull(keys, "keys");
    Builder builder = builder();
    keys.forEach(builder::key);
    return builder.primary(primaryId).buildChecked();
  }

  /**
   * Returns a key ring from base64-encoded keys, as configuration files and environment variables
   * hold them. Standard and URL-safe base64 are accepted, with or without padding.
   *
   * @param primaryId the id of the key new records are encrypted with; must be in {@code keys}
   * @param base64Keys the keys by id, each {@value #KEY_LENGTH} bytes once decoded
   * @return the key ring
   * @throws IllegalArgumentException if a value is not base64, or as {@link #of}
   */
  public static KeyRing fromBase64(String primaryId, Map<String, String> base64Keys) {
    requireNonNull(base64Keys, "base64Keys");
    Builder builder = builder();
    base64Keys.forEach((id, encoded) -> builder.key(id, decodeBase64(id, encoded)));
    return builder.primary(primaryId).buildChecked();
  }

  private static byte[] decodeBase64(String id, String encoded) {
    requireNonNull(encoded, "base64 key");
    String normalized = encoded.strip().replace('-', '+').replace('_', '/');
    try {
      return Base64.getDecoder().decode(normalized);
    } catch (IllegalArgumentException e) {
      // The message of Base64's exception may quote key material: do not chain it.
      throw new IllegalArgumentException("key '" + id + "' is not valid base64");
    }
  }

  /**
   * Returns the id of the key that encrypts new records.
   *
   * @return the primary key's id
   */
  public String primaryId() {
    return primaryId;
  }

  /**
   * Returns the ids of every key on the ring.
   *
   * @return an unmodifiable view of the ids, in the order the keys were added
   */
  public Set<String> keyIds() {
    return keys.keySet();
  }

  /** Returns copies of the keys by id, for this module's cipher only. */
  Map<String, byte[]> copyOfKeys() {
    Map<String, byte[]> copy = new LinkedHashMap<>();
    keys.forEach((id, key) -> copy.put(id, key.clone()));
    return copy;
  }

  @Override
  public String toString() {
    return "KeyRing[primary=" + primaryId + ", keys=" + keys.keySet() + "]";
  }

  /** Builds a {@link KeyRing}. Not thread-safe. */
  public static final class Builder {
    private final Map<String, byte[]> keys = new LinkedHashMap<>();
    private @Nullable String primaryId;

    private Builder() {}

    /**
     * Adds a key. The bytes are copied.
     *
     * @param keyId the key's id, 1 to 32 characters of {@code [A-Za-z0-9_-]}
     * @param key the key, {@value #KEY_LENGTH} bytes
     * @return this builder
     * @throws IllegalArgumentException if the id is malformed or already added, or the key has the
     *     wrong length
     */
    @CanIgnoreReturnValue
    public Builder key(String keyId, byte[] key) {
      checkId(keyId);
      requireNonNull(key, "key");
      if (key.length != KEY_LENGTH) {
        throw new IllegalArgumentException(
            "key '" + keyId + "' must be " + KEY_LENGTH + " bytes, got " + key.length);
      }
      if (keys.containsKey(keyId)) {
        throw new IllegalArgumentException("key '" + keyId + "' was already added");
      }
      keys.put(keyId, key.clone());
      return this;
    }

    /**
     * Sets the key that encrypts new records; it must be added before {@link #build()}.
     *
     * @param keyId the key's id
     * @return this builder
     * @throws IllegalArgumentException if the id is malformed
     */
    @CanIgnoreReturnValue
    public Builder primary(String keyId) {
      checkId(keyId);
      this.primaryId = keyId;
      return this;
    }

    /**
     * Builds the key ring.
     *
     * @return the key ring
     * @throws IllegalStateException if no primary was set or it is not one of the added keys
     */
    public KeyRing build() {
      String primary = primaryId;
      if (primary == null) {
        throw new IllegalStateException("no primary key set");
      }
      if (!keys.containsKey(primary)) {
        throw new IllegalStateException(
            "primary key '" + primary + "' is not on the ring " + keys.keySet());
      }
      return new KeyRing(primary, new LinkedHashMap<>(keys));
    }

    /** Builds for the static factories, which report bad arguments as such. */
    private KeyRing buildChecked() {
      try {
        return build();
      } catch (IllegalStateException e) {
        throw new IllegalArgumentException(e.getMessage(), e);
      }
    }

    private static void checkId(String keyId) {
      requireNonNull(keyId, "keyId");
      if (!VALID_ID.matcher(keyId).matches()) {
        throw new IllegalArgumentException(
            "key id must be 1-32 characters of [A-Za-z0-9_-], got '" + keyId + "'");
      }
    }
  }
}

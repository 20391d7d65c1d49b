package dev.tokenherd.coordinator.redis.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Base64;
import java.util.Map;
import org.junit.jupiter.api.Test;

final class SecretCipherTest {
  private static final String AAD = "tokenherd:billing";

  static byte[] key(int fill) {
    byte[] key = new byte[32];
    Arrays.fill(key, (byte) fill);
    return key;
  }

  private final SecretCipher cipher =
      new SecretCipher("k1", Map.of("k1", key(1), "k0", key(0)), new SecureRandom());

  @Test
  void seal_thenOpen_returnsThePlaintext() throws Exception {
    String sealed = cipher.seal("{\"access_token\":\"AT-123\"}", AAD);

    assertThat(sealed).startsWith("v1:k1:").doesNotContain("AT-123");
    assertThat(SecretCipher.looksSealed(sealed)).isTrue();
    assertThat(cipher.open(sealed, AAD)).isEqualTo("{\"access_token\":\"AT-123\"}");
  }

  @Test
  void seal_twice_usesFreshNonces() {
    assertThat(cipher.seal("same", AAD)).isNotEqualTo(cipher.seal("same", AAD));
  }

  @Test
  void open_withOtherAssociatedData_fails() {
    String sealed = cipher.seal("secret", AAD);

    assertThatThrownBy(() -> cipher.open(sealed, "tokenherd:other"))
        .isInstanceOf(SecretCipher.UnopenableException.class)
        .hasMessageContaining("integrity");
  }

  @Test
  void open_sealedWithAnOlderKeyOnTheRing_succeeds() throws Exception {
    SecretCipher old = new SecretCipher("k0", Map.of("k0", key(0)), new SecureRandom());

    assertThat(cipher.open(old.seal("secret", AAD), AAD)).isEqualTo("secret");
  }

  @Test
  void open_unknownKeyOrSameIdOtherKey_fails() {
    SecretCipher stranger = new SecretCipher("k9", Map.of("k9", key(9)), new SecureRandom());
    SecretCipher impostor = new SecretCipher("k1", Map.of("k1", key(2)), new SecureRandom());

    assertThatThrownBy(() -> cipher.open(stranger.seal("s", AAD), AAD))
        .hasMessageContaining("'k9' is not on the key ring");
    assertThatThrownBy(() -> cipher.open(impostor.seal("s", AAD), AAD))
        .hasMessageContaining("integrity");
  }

  @Test
  void open_tamperedCiphertext_fails() {
    String sealed = cipher.seal("secret", AAD);
    byte[] raw = Base64.getUrlDecoder().decode(sealed.substring("v1:k1:".length()));
    raw[raw.length - 1] ^= 1;
    String tampered = "v1:k1:" + Base64.getUrlEncoder().withoutPadding().encodeToString(raw);

    assertThatThrownBy(() -> cipher.open(tampered, AAD)).hasMessageContaining("integrity");
  }

  @Test
  void open_malformedEnvelopes_fail() {
    assertThatThrownBy(() -> cipher.open("v1:k1", AAD)).hasMessageContaining("malformed");
    assertThatThrownBy(() -> cipher.open("v2:k1:AAAA", AAD)).hasMessageContaining("v2");
    assertThatThrownBy(() -> cipher.open("v1:k1:***", AAD)).hasMessageContaining("base64url");
    assertThatThrownBy(() -> cipher.open("v1:k1:AAAA", AAD)).hasMessageContaining("too short");
  }

  @Test
  void constructor_primaryNotOnTheRing_isRefused() {
    assertThatThrownBy(() -> new SecretCipher("k", Map.of("j", key(1)), new SecureRandom()))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void toString_namesKeyIdsOnly() {
    assertThat(cipher.toString()).contains("primary=k1").doesNotContain("AQEB");
  }

  @Test
  void looksSealed_distinguishesEnvelopesFromJson() {
    assertThat(SecretCipher.looksSealed("{\"a\":1}")).isFalse();
    assertThat(SecretCipher.looksSealed("v12:x:y")).isTrue();
    assertThat(SecretCipher.looksSealed("vx:y")).isFalse();
  }
}

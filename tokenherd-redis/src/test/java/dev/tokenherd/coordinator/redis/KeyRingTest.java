package dev.tokenherd.coordinator.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Arrays;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

final class KeyRingTest {
  private static byte[] key(int fill) {
    byte[] key = new byte[KeyRing.KEY_LENGTH];
    Arrays.fill(key, (byte) fill);
    return key;
  }

  @Test
  void builder_twoKeys_encryptsWithThePrimaryAndListsBoth() {
    KeyRing ring = KeyRing.builder().key("old", key(1)).key("new", key(2)).primary("new").build();

    assertThat(ring.primaryId()).isEqualTo("new");
    assertThat(ring.keyIds()).containsExactly("old", "new");
  }

  @Test
  void builder_keyBytesChangedAfterwards_ringKeepsItsCopy() {
    byte[] material = key(7);
    KeyRing ring = KeyRing.builder().key("k", material).primary("k").build();
    Arrays.fill(material, (byte) 0);

    byte[] copy = ring.copyOfKeys().get("k");
    assertThat(copy).isEqualTo(key(7));
    copy[0] = 42;
    assertThat(ring.copyOfKeys().get("k")).isEqualTo(key(7));
  }

  @Test
  void key_wrongLength_isRefused() {
    assertThatThrownBy(() -> KeyRing.builder().key("k", new byte[16]))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("32 bytes, got 16");
  }

  @Test
  void key_malformedOrDuplicateId_isRefused() {
    assertThatThrownBy(() -> KeyRing.builder().key("has space", key(1)))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> KeyRing.builder().key("a".repeat(33), key(1)))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> KeyRing.builder().key("x:y", key(1)))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> KeyRing.builder().key("k", key(1)).key("k", key(2)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("already");
    assertThatThrownBy(() -> KeyRing.builder().primary(""))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void build_primaryMissingOrUnset_failsState() {
    assertThatThrownBy(() -> KeyRing.builder().key("k", key(1)).build())
        .isInstanceOf(IllegalStateException.class);
    assertThatThrownBy(() -> KeyRing.builder().key("k", key(1)).primary("other").build())
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("other");
  }

  @Test
  void of_primaryNotListed_isAnArgumentError() {
    assertThatThrownBy(() -> KeyRing.of("missing", Map.of("k", key(1))))
        .isInstanceOf(IllegalArgumentException.class);
    assertThat(KeyRing.of("k", Map.of("k", key(1))).keyIds()).containsExactly("k");
  }

  @Test
  void fromBase64_standardAndUrlSafe_decodeToTheSameKeys() {
    byte[] material = new byte[KeyRing.KEY_LENGTH];
    for (int i = 0; i < material.length; i++) {
      material[i] = (byte) (i * 37 + 250); // includes bytes that encode to + / - _
    }
    Map<String, String> encoded = new LinkedHashMap<>();
    encoded.put("std", Base64.getEncoder().encodeToString(material));
    encoded.put(
        "url", " " + Base64.getUrlEncoder().withoutPadding().encodeToString(material) + "\n");

    KeyRing ring = KeyRing.fromBase64("url", encoded);

    assertThat(ring.copyOfKeys().get("std")).isEqualTo(material);
    assertThat(ring.copyOfKeys().get("url")).isEqualTo(material);
  }

  @Test
  void fromBase64_notBase64_isRefusedWithoutEchoingTheValue() {
    assertThatThrownBy(() -> KeyRing.fromBase64("k", Map.of("k", "s3cr#t!!")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageNotContaining("s3cr#t")
        .hasNoCause();
    assertThatThrownBy(() -> KeyRing.fromBase64("k", Map.of("k", "AAAA")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("got 3");
  }

  @Test
  void toString_listsIdsOnly() {
    byte[] material = key(0x41);
    KeyRing ring = KeyRing.builder().key("k1", material).primary("k1").build();

    assertThat(ring.toString())
        .isEqualTo("KeyRing[primary=k1, keys=[k1]]")
        .doesNotContain(Base64.getEncoder().encodeToString(material))
        .doesNotContain("AAAA");
  }
}

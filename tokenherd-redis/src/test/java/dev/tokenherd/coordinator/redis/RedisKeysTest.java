package dev.tokenherd.coordinator.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tokenherd.coordinator.TokenKey;
import org.junit.jupiter.api.Test;

class RedisKeysTest {
  private final RedisKeys keys = RedisKeys.of("fleet-a");
  private final TokenKey billing = TokenKey.of("billing-api");

  @Test
  void allKeysOfACredentialShareOneHashTag() {
    assertThat(keys.record(billing)).isEqualTo("fleet-a:{billing-api}:record");
    assertThat(keys.lock(billing)).isEqualTo("fleet-a:{billing-api}:lock");
    assertThat(keys.changed(billing)).isEqualTo("fleet-a:{billing-api}:changed");
    assertThat(keys.associatedData(billing)).isEqualTo("fleet-a:billing-api");
    assertThat(RedisKeys.defaults().namespace()).isEqualTo("tokenherd");
  }

  @Test
  void channelsMapBackToTheirCredential() {
    assertThat(keys.credentialOfChannel(keys.changed(billing))).contains(billing);
    TokenKey odd = TokenKey.of("tenant:42/a@b");
    assertThat(keys.credentialOfChannel(keys.changed(odd))).contains(odd);
  }

  @Test
  void foreignChannelsAreIgnored() {
    assertThat(keys.credentialOfChannel("other:{billing-api}:changed")).isEmpty();
    assertThat(keys.credentialOfChannel("fleet-a:{billing-api}:record")).isEmpty();
    assertThat(keys.credentialOfChannel("fleet-a:{}:changed")).isEmpty();
    assertThat(keys.credentialOfChannel("fleet-a:{bad key}:changed")).isEmpty();
  }

  @Test
  void rejectsBadNamespaces() {
    assertThatThrownBy(() -> RedisKeys.of("")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> RedisKeys.of("a{b}")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> RedisKeys.of("x".repeat(65)))
        .isInstanceOf(IllegalArgumentException.class);
  }
}

package dev.tokenherd.coordinator.redis.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The change channel's wire format, both ways. */
final class ChangeMessageTest {
  @Test
  void parseVersion_acceptsOnlyNonNegativeDecimalLongs() {
    assertThat(ChangeMessage.parseVersion("0")).hasValue(0);
    assertThat(ChangeMessage.parseVersion("9223372036854775807")).hasValue(Long.MAX_VALUE);
    assertThat(ChangeMessage.parseVersion("9223372036854775808")).isEmpty();
    assertThat(ChangeMessage.parseVersion(null)).isEmpty();
    assertThat(ChangeMessage.parseVersion("+1")).isEmpty();
  }

  @Test
  void decode_ofEncoded_givesTheMessageBack() {
    assertThat(ChangeMessage.decode(ChangeMessage.changed(7)))
        .isEqualTo(new ChangeMessage.Changed(7));
    assertThat(ChangeMessage.decode(ChangeMessage.refreshing(7, Duration.ofMillis(3_250), "a:b")))
        .isEqualTo(new ChangeMessage.Refreshing(7, Duration.ofMillis(3_250), "a:b"));
  }

  @Test
  void decode_malformed_isNull() {
    assertThat(ChangeMessage.decode(null)).isNull();
    assertThat(ChangeMessage.decode("")).isNull();
    assertThat(ChangeMessage.decode("7:")).isNull();
    assertThat(ChangeMessage.decode("7:-1:id")).isNull();
    assertThat(ChangeMessage.decode(":7")).isNull();
  }
}

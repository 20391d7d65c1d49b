package dev.tokenherd.coordinator.oauth2;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

final class RetryAfterTest {
  private static final Instant NOW = Instant.parse("2030-01-01T00:00:00Z");

  @ParameterizedTest
  @CsvSource({"0, 0", "7, 7", "' 120 ', 120", "86400, 86400"})
  void parse_deltaSeconds_returnsThatManySeconds(String value, long seconds) {
    assertThat(RetryAfter.parse(value, NOW)).isEqualTo(Duration.ofSeconds(seconds));
  }

  @ParameterizedTest
  @ValueSource(strings = {"86401", "9223372036854775807", "99999999999999999999999"})
  void parse_hugeDeltaSeconds_isCappedAtOneDay(String value) {
    assertThat(RetryAfter.parse(value, NOW)).isEqualTo(RetryAfter.MAX);
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "Tue, 01 Jan 2030 00:02:00 GMT", // IMF-fixdate
        "Tuesday, 01-Jan-30 00:02:00 GMT", // obsolete RFC 850
        "Tue Jan  1 00:02:00 2030" // obsolete asctime
      })
  void parse_httpDate_returnsTimeUntilThen(String value) {
    assertThat(RetryAfter.parse(value, NOW)).isEqualTo(Duration.ofMinutes(2));
  }

  @Test
  void parse_httpDateInThePast_isZero() {
    assertThat(RetryAfter.parse("Mon, 31 Dec 2029 23:00:00 GMT", NOW)).isEqualTo(Duration.ZERO);
  }

  @Test
  void parse_httpDateFarAhead_isCapped() {
    assertThat(RetryAfter.parse("Fri, 01 Jan 2100 00:00:00 GMT", NOW)).isEqualTo(RetryAfter.MAX);
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "soon", "-5", "1.5", "Tue, 32 Jan 2030 00:00:00 GMT", "0x10"})
  void parse_unparseable_isNull(String value) {
    assertThat(RetryAfter.parse(value, NOW)).isNull();
  }

  @Test
  void parse_absent_isNull() {
    assertThat(RetryAfter.parse(null, NOW)).isNull();
  }
}

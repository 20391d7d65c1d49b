package dev.tokenherd.examples;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;

final class DurationsTest {

  @Test
  void format_readsAsTyped() {
    assertThat(Durations.format(Duration.ofMillis(500))).isEqualTo("500ms");
    assertThat(Durations.format(Duration.ofSeconds(3))).isEqualTo("3s");
    assertThat(Durations.format(Duration.ofMillis(1_500))).isEqualTo("1.5s");
    assertThat(Durations.format(Duration.ofMillis(2_125))).isEqualTo("2.125s");
    assertThat(Durations.format(Duration.ofSeconds(90))).isEqualTo("1m30s");
    assertThat(Durations.format(Duration.ofMinutes(2))).isEqualTo("2m");
    assertThat(Durations.format(Duration.ofMillis(119_700))).isEqualTo("2m");
  }

  @Test
  void everyFormattedDuration_parsesBackToItself() {
    for (Duration d :
        new Duration[] {
          Duration.ofMillis(500),
          Duration.ofSeconds(3),
          Duration.ofSeconds(90),
          Duration.ofMinutes(2)
        }) {
      assertThat(Args.parseDuration("duration", Durations.format(d))).isEqualTo(d);
    }
  }

  @Test
  void tenthsAndWholeSeconds_round() {
    assertThat(Durations.tenths(Duration.ofMillis(2_101))).isEqualTo("2.1s");
    assertThat(Durations.tenths(Duration.ofMillis(1_960))).isEqualTo("2s");
    assertThat(Durations.roundToSeconds(Duration.ofMillis(200))).isEqualTo(Duration.ofSeconds(1));
    assertThat(Durations.roundToSeconds(Duration.ofMillis(65_600)))
        .isEqualTo(Duration.ofSeconds(66));
  }
}

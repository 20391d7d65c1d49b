package dev.tokenherd.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The start-up timeout: its default, the system property that overrides it, what it parses. */
final class StartupTimeoutTest {
  private @Nullable String saved;

  @BeforeEach
  void save() {
    saved = System.getProperty(StartupTimeout.PROPERTY);
    System.clearProperty(StartupTimeout.PROPERTY);
  }

  @AfterEach
  void restore() {
    if (saved == null) {
      System.clearProperty(StartupTimeout.PROPERTY);
    } else {
      System.setProperty(StartupTimeout.PROPERTY, saved);
    }
  }

  @Test
  void unset_isFiveMinutes() {
    assertThat(StartupTimeout.get())
        .isEqualTo(Duration.ofMinutes(5))
        .isEqualTo(StartupTimeout.DEFAULT);
    assertThat(StartupTimeout.jvmOption()).isEqualTo("-Dtokenherd.startupTimeout=PT5M");
  }

  @Test
  void blank_isTheDefault() {
    System.setProperty(StartupTimeout.PROPERTY, "  ");
    assertThat(StartupTimeout.get()).isEqualTo(StartupTimeout.DEFAULT);
  }

  @Test
  void property_overridesTheDefault_andReachesChildJvms() {
    System.setProperty(StartupTimeout.PROPERTY, "PT10M");
    assertThat(StartupTimeout.get()).isEqualTo(Duration.ofMinutes(10));
    assertThat(StartupTimeout.jvmOption()).isEqualTo("-Dtokenherd.startupTimeout=PT10M");

    System.setProperty(StartupTimeout.PROPERTY, "600s");
    assertThat(StartupTimeout.get()).isEqualTo(Duration.ofMinutes(10));
  }

  @Test
  void parse_isoAndUnits() {
    assertThat(StartupTimeout.parse("PT10M")).isEqualTo(Duration.ofMinutes(10));
    assertThat(StartupTimeout.parse("pt90s")).isEqualTo(Duration.ofSeconds(90));
    assertThat(StartupTimeout.parse("600s")).isEqualTo(Duration.ofMinutes(10));
    assertThat(StartupTimeout.parse(" 10m ")).isEqualTo(Duration.ofMinutes(10));
    assertThat(StartupTimeout.parse("2h")).isEqualTo(Duration.ofHours(2));
    assertThat(StartupTimeout.parse("1500ms")).isEqualTo(Duration.ofMillis(1500));
    assertThat(StartupTimeout.parse("120")).isEqualTo(Duration.ofMinutes(2));
    assertThat(StartupTimeout.parse("30 S")).isEqualTo(Duration.ofSeconds(30));
  }

  @Test
  void parse_rejectsWhatIsNoPositiveDuration() {
    for (String bad :
        new String[] {"", "soon", "10 minutes", "-5s", "0", "PT0S", "PT-1M", "1.5m"}) {
      assertThatThrownBy(() -> StartupTimeout.parse(bad))
          .as(bad)
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("\"" + bad + "\"");
    }
    assertThatThrownBy(() -> StartupTimeout.parse("99999999999999999999s"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("too long");
    assertThatThrownBy(() -> StartupTimeout.parse("9999999999999999h"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("too long");
  }

  @Test
  void badProperty_failsNamingTheProperty() {
    System.setProperty(StartupTimeout.PROPERTY, "ten minutes");
    assertThatThrownBy(StartupTimeout::get)
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("-Dtokenherd.startupTimeout: ")
        .hasMessageContaining("\"ten minutes\"");
  }

  @Test
  void retry_aStepThatFailsAtFirst_returnsWhatItReturnsOnceItWorks() {
    int[] calls = {0};

    String result =
        StartupTimeout.retry(
            "connecting",
            () -> {
              if (++calls[0] < 3) {
                throw new IllegalStateException("connection refused " + calls[0]);
              }
              return "connected";
            });

    assertThat(result).isEqualTo("connected");
    assertThat(calls[0]).isEqualTo(3);
  }

  @Test
  void retry_pastTheTimeout_failsWithTheLastCauseAndTheEarlierOnes() {
    System.setProperty(StartupTimeout.PROPERTY, "1ms");
    int[] calls = {0};

    assertThatThrownBy(
            () ->
                StartupTimeout.retry(
                    "connecting",
                    () -> {
                      calls[0]++;
                      throw new IllegalStateException("refused " + calls[0]);
                    }))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageStartingWith("connecting failed ")
        .hasMessageContaining("PT0.001S")
        .hasRootCauseMessage("refused " + calls[0])
        .satisfies(
            e -> assertThat(e.getSuppressed()).hasSizeLessThanOrEqualTo(5).hasSize(calls[0] - 1));
  }
}

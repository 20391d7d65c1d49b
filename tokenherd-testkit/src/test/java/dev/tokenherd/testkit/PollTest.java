package dev.tokenherd.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

final class PollTest {
  private String saved;

  @BeforeEach
  void shortTimeout() {
    saved = System.getProperty(StartupTimeout.PROPERTY);
    System.setProperty(StartupTimeout.PROPERTY, "300ms");
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
  void until_returnsOnceTheCheckHolds_exceptionsCountingAsNotYet() {
    AtomicInteger polls = new AtomicInteger();

    Poll.until(
        "a third poll",
        () -> {
          if (polls.incrementAndGet() == 1) {
            throw new IOException("refused");
          }
          return polls.get() < 3 ? "poll " + polls.get() : null;
        },
        () -> "unused");

    assertThat(polls).hasValue(3);
  }

  @Test
  void until_failsAfterTheStartupTimeout_withWhatWasMissingAndTheDiagnostics() {
    assertThatThrownBy(() -> Poll.until("the impossible", () -> "the moon", () -> "NODE SAID X"))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("the impossible did not happen within PT0.3S")
        .hasMessageContaining("still missing: the moon")
        .hasMessageContaining("NODE SAID X");
  }

  @Test
  void sleep_whenInterrupted_failsAndKeepsTheFlag() {
    Thread.currentThread().interrupt();
    try {
      assertThatThrownBy(() -> Poll.sleep(1000)).isInstanceOf(IllegalStateException.class);
      assertThat(Thread.currentThread().isInterrupted()).isTrue();
    } finally {
      Thread.interrupted();
    }
  }
}

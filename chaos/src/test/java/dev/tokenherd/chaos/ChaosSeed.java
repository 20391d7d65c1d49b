package dev.tokenherd.chaos;

import java.util.concurrent.ThreadLocalRandom;

/** The run's seed: {@code -Dchaos.seed}, else a random one (printed by every scenario). */
final class ChaosSeed {
  private ChaosSeed() {}

  static long get() {
    String configured = System.getProperty("chaos.seed", "");
    return configured.isBlank()
        ? ThreadLocalRandom.current().nextLong(1, Long.MAX_VALUE / 2)
        : Long.parseLong(configured.trim());
  }
}

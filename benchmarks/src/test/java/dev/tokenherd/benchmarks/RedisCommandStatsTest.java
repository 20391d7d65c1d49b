package dev.tokenherd.benchmarks;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.junit.jupiter.api.Test;

final class RedisCommandStatsTest {

  @Test
  void parse_readsCallsPerCommand() {
    String info =
        """
        # Commandstats
        cmdstat_hgetall:calls=3,usec=12,usec_per_call=4.00,rejected_calls=0,failed_calls=0
        cmdstat_info:calls=1,usec=40,usec_per_call=40.00,rejected_calls=0,failed_calls=0
        """
            .replace("\n", "\r\n"); // as Redis sends it

    assertThat(RedisCommandStats.parse(info))
        .containsExactly(Map.entry("hgetall", 3L), Map.entry("info", 1L));
  }

  @Test
  void hotPathCommands_ignoresTheProbeAndKeepAlivesOnly() {
    Map<String, Long> delta =
        RedisCommandStats.delta(
            Map.of("info", 2L, "ping", 1L, "evalsha", 5L),
            Map.of("info", 3L, "ping", 4L, "evalsha", 5L, "hgetall", 2L));

    assertThat(delta)
        .containsExactly(Map.entry("hgetall", 2L), Map.entry("info", 1L), Map.entry("ping", 3L));
    assertThat(RedisCommandStats.hotPathCommands(delta)).isEqualTo(2);
  }
}

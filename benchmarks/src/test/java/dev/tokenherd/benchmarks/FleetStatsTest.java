package dev.tokenherd.benchmarks;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.tokenherd.benchmarks.FleetStats.Window;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

final class FleetStatsTest {

  @Test
  void windows_overlappingInstants_areMergedAndSorted() {
    List<Window> windows = FleetStats.windows(List.of(5_000L, 1_000L, 1_600L), 500);

    assertThat(windows).containsExactly(new Window(500, 2_100), new Window(4_500, 5_500));
  }

  @Test
  void inAny_boundariesAndGaps() {
    List<Window> windows = List.of(new Window(500, 2_100), new Window(4_500, 5_500));

    assertThat(FleetStats.inAny(windows, 500)).isTrue();
    assertThat(FleetStats.inAny(windows, 2_100)).isTrue();
    assertThat(FleetStats.inAny(windows, 2_101)).isFalse();
    assertThat(FleetStats.inAny(windows, 5_000)).isTrue();
    assertThat(FleetStats.inAny(windows, 499)).isFalse();
    assertThat(FleetStats.inAny(List.of(), 0)).isFalse();
  }

  @Test
  void waits_onlyCallsInWindowsAndBeforeCutoff() {
    CallLog log = new CallLog();
    for (int i = 1; i <= 100; i++) {
      log.add(1_000, i * 1_000L); // 1..100 us, inside the window
    }
    log.add(10_000, 9_000_000); // 9 ms, outside every window
    log.add(1_200, 7_000_000); // 7 ms, inside but after the cutoff
    List<Window> windows = List.of(new Window(0, 2_000));

    FleetStats.Waits waits = FleetStats.waits(List.of(log), windows, 1_100);

    assertThat(waits.calls()).isEqualTo(100);
    assertThat(waits.p50Micros()).isCloseTo(50, within(0.1));
    assertThat(waits.p99Micros()).isCloseTo(99, within(0.1));
    assertThat(waits.maxMicros()).isCloseTo(100, within(0.1));
  }

  @Test
  void waits_noCallInWindow_isNone() {
    CallLog log = new CallLog();
    log.add(10_000, 1_000);

    assertThat(FleetStats.waits(List.of(log), List.of(new Window(0, 10)), Long.MAX_VALUE))
        .isEqualTo(FleetStats.Waits.NONE);
  }

  @Test
  void callLog_growsPastItsFirstCapacity() {
    CallLog log = new CallLog();
    for (int i = 0; i < 5_000; i++) {
      log.add(i, 2L * i);
    }

    assertThat(log.size()).isEqualTo(5_000);
    assertThat(log.startMicros(4_999)).isEqualTo(4_999);
    assertThat(log.waitNanos(4_999)).isEqualTo(9_998);
  }

  @Test
  void propagation_lastPodsFirstServeMinusHoldersReceipt() {
    Map<String, Long> answered = Map.of("a", 1_000L, "b", 5_000L, "late", 9_000L, "lost", 2_000L);
    Map<String, Long> pod1 = Map.of("a", 1_100L, "b", 5_050L, "late", 9_001L, "lost", 2_001L);
    Map<String, Long> pod2 = Map.of("a", 1_700L, "b", 5_020L, "late", 9_300L);

    List<Long> times = FleetStats.propagation(answered, List.of(pod1, pod2), 8_000);

    // "lost" never reached pod2; "late" came after the cutoff
    assertThat(times).containsExactly(50L, 700L);
    assertThat(FleetStats.percentile(times, 99)).isEqualTo(700.0);
    assertThat(FleetStats.percentile(times, 50)).isEqualTo(50.0);
  }

  @Test
  void percentileAndMedian_emptyIsNaN() {
    assertThat(FleetStats.percentile(List.of(), 99)).isNaN();
    assertThat(FleetStats.median(new long[0])).isNaN();
    assertThat(FleetStats.median(new long[] {30, 10, 20, 40})).isEqualTo(20.0);
  }

  @Test
  void fleetClock_putsInstantsAndNanoTimeOnOneAxis() {
    FleetClock clock = FleetClock.at(1_000_000L, Instant.parse("2030-01-01T00:00:00Z"));

    assertThat(clock.toMicros(3_000_000L)).isEqualTo(2_000);
    assertThat(clock.toMicros(Instant.parse("2030-01-01T00:00:01.5Z"))).isEqualTo(1_500_000);
  }
}

package dev.tokenherd.examples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

final class WaitTimelineTest {
  private static final long T = 1_700_000_000_000L; // epoch ms, a whole slot

  @Test
  void record_keepsTheSlowestPerSlot_andCountsOnlyCallsOfAMillisecondOrMore() {
    WaitTimeline timeline = new WaitTimeline();
    timeline.record(T, 200_000); // 0.2 ms: not a wait
    timeline.record(T + 3, 4_000_000); // 4 ms
    timeline.record(T + 25, 999_999); // just under 1 ms
    timeline.record(T - 15, 1_000_000); // earlier than the first call: the arrays grow backwards

    assertThat(timeline.slowestMicros(T, T + 10)).isEqualTo(4_000);
    assertThat(timeline.slowestMicros(T + 20, T + 30)).isEqualTo(999);
    assertThat(timeline.slowestMicros(T - 20, T + 30)).isEqualTo(4_000);
    assertThat(timeline.waited(T - 20, T + 30)).isEqualTo(2);
    assertThat(timeline.waited(T, T + 10)).isEqualTo(1);
    assertThat(timeline.slowestMicros(T + 1_000, T + 2_000)).isZero();
  }

  @Test
  void add_mergesOtherTimelines_andTheReportedFormReadsBack() {
    WaitTimeline a = new WaitTimeline();
    a.record(T, 2_000_000);
    WaitTimeline b = new WaitTimeline();
    b.record(T + 5_000, 7_000_000);
    b.record(T, 3_000_000);
    a.add(b);

    assertThat(a.slowestMicros(T, T + 10)).isEqualTo(3_000);
    assertThat(a.waited(T, T + 10)).isEqualTo(2);
    assertThat(a.slowestMicros(T + 5_000, T + 5_010)).isEqualTo(7_000);

    Map<String, Object> map = a.toMap();
    WaitTimeline back =
        WaitTimeline.fromMap(
            (Long) map.get("origin"),
            Arrays.stream((long[]) map.get("slowest_us")).boxed().toList(),
            Arrays.stream((int[]) map.get("waited")).boxed().toList());
    assertThat(back.waited(T - 1_000, T + 10_000)).isEqualTo(3);
    assertThat(back.slowestMicros(T - 1_000, T + 10_000)).isEqualTo(7_000);
    assertThat(((long[]) map.get("slowest_us")).length).isEqualTo(501); // trimmed to the last call
  }

  @Test
  void fromMap_seriesOfDifferentLengths_isRefused() {
    assertThatThrownBy(() -> WaitTimeline.fromMap(1, List.of(1L, 2L), List.of(1)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("differ in length");
  }

  @Test
  void expiryWaits_countsOnlyExpiriesWhoseWholeWindowIsInTheRun() {
    WaitTimeline timeline = new WaitTimeline();
    timeline.record(T + 2_000, 120_000_000); // 120 ms, at the first expiry
    timeline.record(T + 2_010, 80_000_000);
    timeline.record(T + 4_000, 300_000); // 0.3 ms at the second
    timeline.record(T + 5_990, 9_000_000); // the third expiry is too close to the end

    ExpiryWaits waits =
        ExpiryWaits.of(
            timeline,
            List.of(
                Instant.ofEpochMilli(T + 2_000),
                Instant.ofEpochMilli(T + 4_000),
                Instant.ofEpochMilli(T + 6_000)),
            Instant.ofEpochMilli(T),
            Instant.ofEpochMilli(T + 6_200),
            java.time.Duration.ofSeconds(2));

    assertThat(waits.expiries()).isEqualTo(2);
    assertThat(waits.waitedCalls()).isEqualTo(2);
    assertThat(waits.slowestPerExpiry()).containsExactly(120_000L, 300L);
    assertThat(waits.slowestMicros()).isEqualTo(120_000);
    assertThat(waits.profile()).hasSize(ExpiryWaits.profileOffsetsMillis().size()).hasSize(20);
    // the bin [0, 50 ms) after the expiry holds the 120 ms call
    assertThat(waits.profile().get(10)).isEqualTo(120_000);
    assertThat(ExpiryWaits.profileOffsetsMillis().get(10)).isEqualTo(25.0);
    // the baseline: windows around T+1000 and T+3000, half a 2 s lifetime before each expiry
    assertThat(waits.awayWaited()).isZero();
    assertThat(waits.noWorseThanAway()).isFalse();
  }

  @Test
  void expiryWaits_noMoreWaitsAtExpiriesThanAwayFromThem_isTheMachineNotTheExpiry() {
    WaitTimeline timeline = new WaitTimeline();
    timeline.record(T + 1_990, 3_000_000); // a 3 ms stall near the expiry at T+2000
    timeline.record(T + 1_000, 4_000_000); // and a 4 ms one a second before: half a lifetime away

    ExpiryWaits waits =
        ExpiryWaits.of(
            timeline,
            List.of(Instant.ofEpochMilli(T + 2_000)),
            Instant.ofEpochMilli(T),
            Instant.ofEpochMilli(T + 3_000),
            java.time.Duration.ofSeconds(2));

    assertThat(waits.waitedCalls()).isEqualTo(1);
    assertThat(waits.awayWaited()).isEqualTo(1);
    assertThat(waits.awaySlowestMicros()).isEqualTo(4_000);
    assertThat(waits.noWorseThanAway()).isTrue();
    assertThat(waits.excessWaited()).isZero();
    assertThat(
            ExpiryWaits.of(
                    timeline,
                    List.of(Instant.ofEpochMilli(T + 2_000)),
                    Instant.ofEpochMilli(T),
                    Instant.ofEpochMilli(T + 3_000),
                    java.time.Duration.ofSeconds(1))
                .awayWaited())
        .as("a 1 s lifetime leaves no room for a baseline")
        .isEqualTo(-1);
  }
}

package dev.tokenherd.coordinator;

import java.time.Duration;
import java.time.Instant;
import org.jspecify.annotations.Nullable;

/**
 * How this worker's clock relates to the fleet's shared clock (see {@link
 * dev.tokenherd.TokenHerd.Builder#fleetTime}), as last measured. Every expiry the herd stores,
 * serves or waits for is an instant on the fleet's clock: this worker's clock plus {@link
 * #offset()}.
 *
 * @param offset what this worker adds to its own clock to read the fleet's: positive when its clock
 *     is behind; zero when no fleet clock is configured, none was measured yet, or the measured
 *     offset is within the measurement's error
 * @param uncertainty the error bound of the last measurement: half its round trip
 * @param measuredAt when the offset was last measured, on the fleet's clock; {@code null} if never
 * @param measurements how many measurements succeeded
 * @param failedMeasurements how many measurements failed (the fleet clock was unreachable or
 *     answered too slowly to be trusted); the last good offset stays in use
 * @param largeOffsets how many measurements found an offset above the herd's {@linkplain
 *     dev.tokenherd.TokenHerd.Builder#clockOffsetWarning warning threshold}; each is logged
 */
public record ClockOffset(
    Duration offset,
    Duration uncertainty,
    @Nullable Instant measuredAt,
    long measurements,
    long failedMeasurements,
    long largeOffsets) {

  /** The status of a herd with no fleet clock: its own clock, never measured. */
  public static final ClockOffset NONE =
      new ClockOffset(Duration.ZERO, Duration.ZERO, null, 0, 0, 0);
}

package dev.tokenherd.coordinator.spi;

import java.time.Instant;
import java.util.concurrent.CompletionStage;

/**
 * The clock the whole fleet shares: the one every worker converts its own clock to, so that an
 * expiry written by one worker means the same instant to every other, whatever their clocks say.
 * The Redis store's is the server's {@code TIME}, the clock its write script already stamps refresh
 * marks with.
 *
 * <p>A herd measures its offset to this clock on start and then periodically, each time from a few
 * round trips, keeping the one with the shortest round trip: half of it bounds the measurement's
 * error.
 */
public interface FleetTime {

  /**
   * Reads the fleet's clock.
   *
   * @return a stage that completes with the fleet's current time, as read by the shared server
   */
  CompletionStage<Instant> now();
}

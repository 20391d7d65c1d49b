package dev.tokenherd.coordinator.internal;

import dev.tokenherd.coordinator.CoordinatorStats;
import java.util.concurrent.atomic.LongAdder;

/**
 * The counters of one credential that {@link dev.tokenherd.coordinator.TokenCoordinator#stats()}
 * reports. Every role increments its own; {@link LongAdder}s, because refreshes and callers on many
 * threads count at once and only an operator reads the sums.
 */
final class Counters {
  final LongAdder tokenRequests = new LongAdder();
  final LongAdder refreshes = new LongAdder();
  final LongAdder adoptions = new LongAdder();
  final LongAdder lockContended = new LongAdder();
  final LongAdder transientFailures = new LongAdder();
  final LongAdder ambiguousFailures = new LongAdder();
  final LongAdder permanentFailures = new LongAdder();
  final LongAdder fencedWritesRejected = new LongAdder();
  final LongAdder lostRotations = new LongAdder();
  final LongAdder callerTimeouts = new LongAdder();
  final LongAdder underReplicatedWrites = new LongAdder();
  final LongAdder unannouncedWrites = new LongAdder();

  CoordinatorStats snapshot() {
    return new CoordinatorStats(
        tokenRequests.sum(),
        refreshes.sum(),
        adoptions.sum(),
        lockContended.sum(),
        transientFailures.sum(),
        ambiguousFailures.sum(),
        permanentFailures.sum(),
        fencedWritesRejected.sum(),
        lostRotations.sum(),
        callerTimeouts.sum(),
        underReplicatedWrites.sum(),
        unannouncedWrites.sum());
  }
}

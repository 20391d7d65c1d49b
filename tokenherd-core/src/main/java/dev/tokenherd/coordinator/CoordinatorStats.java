package dev.tokenherd.coordinator;

/**
 * Counters of one credential in this worker, since the coordinator was created.
 *
 * @param tokenRequests token requests this worker sent
 * @param refreshes refreshes this worker completed and stored
 * @param adoptions newer records this worker took from the store instead of refreshing
 * @param lockContended times this worker found another holder refreshing and waited for it
 * @param transientFailures token requests that failed transiently (not counting ambiguous ones)
 * @param ambiguousFailures token requests that may have reached the server but got no usable answer
 * @param permanentFailures token requests that failed permanently
 * @param fencedWritesRejected writes rejected because a newer lease had written
 * @param lostRotations lost refresh-token rotations detected
 * @param callerTimeouts callers whose deadline passed before a token was available
 * @param underReplicatedWrites writes confirmed by fewer replicas than the store waited for
 * @param unannouncedWrites new versions this worker stored that the store could not announce on the
 *     change feed
 */
public record CoordinatorStats(
    long tokenRequests,
    long refreshes,
    long adoptions,
    long lockContended,
    long transientFailures,
    long ambiguousFailures,
    long permanentFailures,
    long fencedWritesRejected,
    long lostRotations,
    long callerTimeouts,
    long underReplicatedWrites,
    long unannouncedWrites) {}

package dev.tokenherd.testkit;

import dev.tokenherd.testkit.RecordedTokenRequest.Outcome;
import java.util.List;
import java.util.concurrent.atomic.LongAdder;

/**
 * The {@link FakeAuthorizationServer}'s live counters, of which {@link ServerStats} is a snapshot.
 * Thread-safe, and cheap under contention: hundreds of request threads count at once.
 */
final class Counters {
  final LongAdder tokenRequests = new LongAdder();
  final LongAdder refreshEvents = new LongAdder();
  final LongAdder clientCredentialsGrants = new LongAdder();
  final LongAdder graceReuses = new LongAdder();
  final LongAdder reuseDetections = new LongAdder();
  final LongAdder familiesRevoked = new LongAdder();
  final LongAdder invalidGrants = new LongAdder();
  final LongAdder invalidClients = new LongAdder();
  final LongAdder faultsInjected = new LongAdder();
  final LongAdder resourceRequests = new LongAdder();
  final LongAdder resourceRejections = new LongAdder();

  /** Counts the outcome of a processed token request. */
  void count(Outcome outcome) {
    switch (outcome) {
      case REFRESHED -> refreshEvents.increment();
      case GRACE_REUSE -> graceReuses.increment();
      case CLIENT_CREDENTIALS_ISSUED -> clientCredentialsGrants.increment();
      case REUSE_DETECTED -> {
        reuseDetections.increment();
        invalidGrants.increment();
      }
      case INVALID_GRANT -> invalidGrants.increment();
      case INVALID_CLIENT -> invalidClients.increment();
      default -> {
        // invalid_request, unsupported_grant_type, unauthorized_client: counted as requests only
      }
    }
  }

  ServerStats snapshot() {
    return new ServerStats(
        tokenRequests.sum(),
        refreshEvents.sum(),
        clientCredentialsGrants.sum(),
        graceReuses.sum(),
        reuseDetections.sum(),
        familiesRevoked.sum(),
        invalidGrants.sum(),
        invalidClients.sum(),
        faultsInjected.sum(),
        resourceRequests.sum(),
        resourceRejections.sum());
  }

  void reset() {
    for (LongAdder adder :
        List.of(
            tokenRequests,
            refreshEvents,
            clientCredentialsGrants,
            graceReuses,
            reuseDetections,
            familiesRevoked,
            invalidGrants,
            invalidClients,
            faultsInjected,
            resourceRequests,
            resourceRejections)) {
      adder.reset();
    }
  }
}

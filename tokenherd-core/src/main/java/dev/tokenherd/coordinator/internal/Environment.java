package dev.tokenherd.coordinator.internal;

import dev.tokenherd.coordinator.RefreshListener;
import dev.tokenherd.coordinator.RefreshPolicy;
import dev.tokenherd.coordinator.spi.ChangeFeed;
import dev.tokenherd.coordinator.spi.RefreshLock;
import dev.tokenherd.coordinator.spi.TokenStore;
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledExecutorService;
import java.util.random.RandomGenerator;

/** What every coordinator of one herd shares. */
record Environment(
    TokenStore store,
    RefreshLock lock,
    ChangeFeed feed,
    FleetClock clock,
    ScheduledExecutorService scheduler,
    Executor executor,
    RefreshPolicy policy,
    RefreshListener listener,
    String workerId,
    RandomGenerator random,
    RequestGate gate,
    EndpointLatency latency) {}

package dev.tokenherd.coordinator.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.tokenherd.TokenHerd;
import dev.tokenherd.coordinator.RefreshListener;
import dev.tokenherd.coordinator.RefreshPolicy;
import dev.tokenherd.coordinator.Renewal;
import dev.tokenherd.coordinator.TokenCoordinator;
import dev.tokenherd.coordinator.TokenKey;
import dev.tokenherd.coordinator.spi.ForwardingTokenStore.SimpleForwardingTokenStore;
import dev.tokenherd.coordinator.spi.TokenRecord;
import dev.tokenherd.coordinator.spi.TokenStore;
import dev.tokenherd.coordinator.testing.ScriptedTokenEndpoint;
import dev.tokenherd.coordinator.testing.VirtualFleet;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The fresh-token path does no store I/O and allocates nothing. Allocation is counted with the
 * JVM's per-thread allocation counter, not timed. (Speed is measured by the JMH benchmarks.)
 */
final class HotPathTest {
  private final VirtualFleet fleet = new VirtualFleet();
  private final ScriptedTokenEndpoint endpoint = new ScriptedTokenEndpoint(fleet.clock);

  @AfterEach
  void close() {
    fleet.close();
  }

  @Test
  void accessToken_fresh_readsNoStoreSendsNoRequestAndAllocatesNothing() {
    CountingStore store = new CountingStore(fleet.store);
    TokenHerd herd =
        fleet.worker(
            "w", RefreshPolicy.ofDefaults(), RefreshListener.NONE, store, fleet.lock, fleet.feed);
    TokenCoordinator coordinator = herd.coordinator(TokenKey.of("hot"), endpoint);
    coordinator.seed(fleet.tokens("a", "r", Duration.ofHours(1))).join();
    long readsBefore = store.reads.get();

    var threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
    assumeTrue(threads.isThreadAllocatedMemorySupported(), "per-thread allocation counter");
    long sink = 0;
    for (int i = 0; i < 200_000; i++) { // warm up: let the JIT compile the path
      sink += coordinator.accessToken().length();
      sink += coordinator.tokenAsync().isDone() ? 1 : 0;
    }
    long tid = Thread.currentThread().getId();
    long before = threads.getThreadAllocatedBytes(tid);
    for (int i = 0; i < 1_000_000; i++) {
      sink += coordinator.accessToken().length();
      sink += coordinator.tokenAsync().isDone() ? 1 : 0;
    }
    long allocated = threads.getThreadAllocatedBytes(tid) - before;

    assertThat(sink).isPositive();
    // Two million calls; anything proportional to calls would be megabytes. The slack covers
    // the counter's own bookkeeping and a possible deoptimization.
    assertThat(allocated).as("bytes allocated by 2M hot-path calls").isLessThan(64 * 1024);
    assertThat(store.reads.get()).isEqualTo(readsBefore);
    assertThat(endpoint.requests()).isEmpty();
  }

  @Test
  void herd_servesManyCredentialsIndependently() {
    TokenHerd herd = fleet.worker("w", RefreshPolicy.ofDefaults(), RefreshListener.NONE);
    ScriptedTokenEndpoint tenantEndpoint = new ScriptedTokenEndpoint(fleet.clock);
    for (int tenant = 0; tenant < 50; tenant++) {
      herd.coordinator(TokenKey.of("tenant-" + tenant), endpoint)
          .seed(fleet.tokens("a-" + tenant, "r-" + tenant, Duration.ofHours(1)))
          .join();
    }
    TokenCoordinator app =
        herd.coordinator(TokenKey.of("app"), tenantEndpoint, Renewal.clientCredentials());
    tenantEndpoint.issue(Duration.ofHours(1));

    for (int tenant = 0; tenant < 50; tenant++) {
      assertThat(herd.coordinator(TokenKey.of("tenant-" + tenant), endpoint).accessToken())
          .isEqualTo("a-" + tenant);
    }
    assertThat(app.accessToken()).isEqualTo("access-1");
    assertThat(endpoint.requests()).isEmpty();
  }

  static final class CountingStore extends SimpleForwardingTokenStore {
    final AtomicLong reads = new AtomicLong();

    CountingStore(TokenStore delegate) {
      super(delegate);
    }

    @Override
    public CompletionStage<Optional<TokenRecord>> read(TokenKey key) {
      reads.incrementAndGet();
      return super.read(key);
    }
  }
}

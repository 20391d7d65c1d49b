package dev.tokenherd.coordinator.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tokenherd.coordinator.RefreshListener;
import dev.tokenherd.coordinator.RefreshPolicy;
import dev.tokenherd.coordinator.TokenCoordinator;
import dev.tokenherd.coordinator.TokenKey;
import dev.tokenherd.coordinator.UnreadableRecordException;
import dev.tokenherd.coordinator.spi.ForwardingTokenStore.SimpleForwardingTokenStore;
import dev.tokenherd.coordinator.spi.TokenRecord;
import dev.tokenherd.coordinator.spi.TokenStore;
import dev.tokenherd.coordinator.spi.WriteOutcome;
import dev.tokenherd.coordinator.testing.ScriptedTokenEndpoint;
import dev.tokenherd.coordinator.testing.VirtualFleet;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

final class UnreadableRecordTest {
  private static final TokenKey KEY = TokenKey.of("legacy");

  private final VirtualFleet fleet = new VirtualFleet();
  private final ScriptedTokenEndpoint endpoint = new ScriptedTokenEndpoint(fleet.clock);

  @AfterEach
  void close() {
    fleet.close();
  }

  @Test
  void recordOfANewerSchema_isReportedAndNeverReplaced() {
    TokenRecord future =
        TokenRecord.builder()
            .schemaVersion(TokenRecord.CURRENT_SCHEMA + 1)
            .version(1)
            .fence(2)
            .tokens(fleet.tokens("a", "r", Duration.ofHours(1)))
            .writer("newer-worker")
            .writtenAt(fleet.clock.instant())
            .build();
    fleet.store.compareAndSet(KEY, 0, future);
    TokenCoordinator coordinator =
        fleet
            .worker("old-worker", RefreshPolicy.ofDefaults(), RefreshListener.NONE)
            .coordinator(KEY, endpoint);

    assertThatThrownBy(coordinator::accessToken)
        .isInstanceOfSatisfying(
            UnreadableRecordException.class,
            e ->
                assertThat(e.problem())
                    .isEqualTo(UnreadableRecordException.Problem.SCHEMA_TOO_NEW));
    assertThatThrownBy(() -> coordinator.seed(fleet.tokens("b", "s", Duration.ofHours(1))).join())
        .hasCauseInstanceOf(UnreadableRecordException.class);
    assertThat(fleet.store.read(KEY).toCompletableFuture().join().orElseThrow().writer())
        .isEqualTo("newer-worker");
    assertThat(endpoint.requests()).isEmpty();
  }

  @Test
  void corruptRecord_failsTypedAndIsLeftInPlace() {
    TokenStore corrupt =
        new TokenStore() {
          @Override
          public CompletionStage<Optional<TokenRecord>> read(TokenKey key) {
            return CompletableFuture.failedFuture(
                new UnreadableRecordException(
                    key, UnreadableRecordException.Problem.CORRUPT, "field 'fence' is 'x'", null));
          }

          @Override
          public CompletionStage<WriteOutcome> compareAndSet(
              TokenKey key, long expectedVersion, TokenRecord next) {
            throw new AssertionError("a corrupt record must not be overwritten");
          }
        };
    TokenCoordinator coordinator =
        fleet
            .worker(
                "w",
                RefreshPolicy.ofDefaults(),
                RefreshListener.NONE,
                corrupt,
                fleet.lock,
                fleet.feed)
            .coordinator(KEY, endpoint);

    assertThatThrownBy(coordinator::accessToken)
        .isInstanceOf(UnreadableRecordException.class)
        .hasMessageContaining("field 'fence'")
        .hasMessageContaining("left in place");
    assertThat(endpoint.requests()).isEmpty();
  }

  @Test
  void announcementOfARecordThisWorkerCannotRead_doesNotMakeItReReadForever() {
    var reads = new java.util.concurrent.atomic.AtomicInteger();
    TokenStore counting =
        new SimpleForwardingTokenStore(fleet.store) {
          @Override
          public CompletionStage<Optional<TokenRecord>> read(TokenKey key) {
            reads.incrementAndGet();
            return super.read(key);
          }
        };
    TokenCoordinator coordinator =
        fleet
            .worker(
                "old",
                RefreshPolicy.ofDefaults(),
                RefreshListener.NONE,
                counting,
                fleet.lock,
                fleet.feed)
            .coordinator(KEY, endpoint);
    coordinator.seed(fleet.tokens("a", "r", Duration.ofHours(1))).join();
    int before = reads.get();

    // A newer worker writes version 2 in a schema this worker cannot read; the feed announces it.
    fleet.store.compareAndSet(
        KEY,
        1,
        TokenRecord.builder()
            .schemaVersion(TokenRecord.CURRENT_SCHEMA + 1)
            .version(2)
            .tokens(fleet.tokens("b", "s", Duration.ofHours(1)))
            .writer("newer-worker")
            .writtenAt(fleet.clock.instant())
            .generation(fleet.generation(KEY))
            .build());

    assertThat(reads.get() - before).isEqualTo(1);
    assertThat(coordinator.accessToken()).isEqualTo("a"); // still valid, served from the cache
  }
}

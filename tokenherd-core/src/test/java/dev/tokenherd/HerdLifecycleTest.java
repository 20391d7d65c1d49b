package dev.tokenherd;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tokenherd.coordinator.RefreshPolicy;
import dev.tokenherd.coordinator.TokenCoordinator;
import dev.tokenherd.coordinator.TokenKey;
import dev.tokenherd.coordinator.testing.RecordingListener;
import dev.tokenherd.coordinator.testing.ScriptedTokenEndpoint;
import dev.tokenherd.coordinator.testing.VirtualFleet;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A worker whose tenants come and go: {@link TokenHerd#remove} leaves no coordinator, timer or
 * change-feed subscription behind, and the store keeps the credential for every other worker.
 */
final class HerdLifecycleTest {
  private static final Duration HOUR = Duration.ofHours(1);

  private final VirtualFleet fleet = new VirtualFleet();
  private final ScriptedTokenEndpoint endpoint = new ScriptedTokenEndpoint(fleet.clock);
  private final TokenHerd herd =
      fleet.worker("worker-a", RefreshPolicy.ofDefaults(), new RecordingListener());

  @AfterEach
  void closeFleet() {
    fleet.close();
  }

  @Test
  void tenThousandTenantsComeAndGo_nothingStaysBehind() {
    for (int i = 0; i < 10_000; i++) {
      TokenKey key = TokenKey.of("tenant-" + i);
      TokenCoordinator tenant = herd.coordinator(key, endpoint);
      tenant.seed(fleet.tokens("access-" + i, "refresh-" + i, HOUR)).join();
      assertThat(tenant.accessToken()).isEqualTo("access-" + i);

      assertThat(herd.remove(key)).isCompleted();
    }

    assertThat(herd.size()).isZero();
    assertThat(fleet.feed.subscribedKeys()).isZero();
    assertThat(fleet.scheduler.pending()).as("timers left scheduled").isZero();
  }

  @Test
  void removedCredential_itsCoordinatorIsClosed_andANewOneServesFromTheStore() {
    TokenKey key = TokenKey.of("tenant");
    TokenCoordinator first = herd.coordinator(key, endpoint);
    first.seed(fleet.tokens("access-0", "refresh-0", HOUR)).join();

    herd.remove(key).toCompletableFuture().join();

    assertThatThrownBy(first::accessToken).isInstanceOf(IllegalStateException.class);
    TokenCoordinator second = herd.coordinator(key, endpoint);
    assertThat(second).isNotSameAs(first);
    assertThat(second.tokenAsync().join().value()).isEqualTo("access-0");
    assertThat(herd.remove(TokenKey.of("never-served"))).isCompleted();
  }
}

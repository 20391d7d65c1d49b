package dev.tokenherd.coordinator.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tokenherd.TokenHerd;
import dev.tokenherd.coordinator.AccessToken;
import dev.tokenherd.coordinator.CredentialState;
import dev.tokenherd.coordinator.CredentialState.Status;
import dev.tokenherd.coordinator.ReauthenticationReason;
import dev.tokenherd.coordinator.ReauthenticationRequiredException;
import dev.tokenherd.coordinator.RefreshPolicy;
import dev.tokenherd.coordinator.TokenCoordinator;
import dev.tokenherd.coordinator.TokenKey;
import dev.tokenherd.coordinator.TransientRefreshException;
import dev.tokenherd.coordinator.spi.TokenEndpointException.Kind;
import dev.tokenherd.coordinator.spi.TokenResponse;
import dev.tokenherd.coordinator.testing.RecordingListener;
import dev.tokenherd.coordinator.testing.ScriptedTokenEndpoint;
import dev.tokenherd.coordinator.testing.VirtualFleet;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** {@link TokenCoordinator#state()} follows the credential through its life in one worker. */
final class CredentialStateTest {
  private static final Duration HOUR = Duration.ofHours(1);
  private static final TokenKey KEY = TokenKey.of("billing");

  private final VirtualFleet fleet = new VirtualFleet();
  private final ScriptedTokenEndpoint endpoint = new ScriptedTokenEndpoint(fleet.clock);
  private final RefreshPolicy policy =
      RefreshPolicy.builder().refreshAheadFraction(0.5).refreshJitter(0).build();
  private final TokenHerd herd = fleet.worker("worker-a", policy, new RecordingListener());
  private final TokenCoordinator coordinator = herd.coordinator(KEY, endpoint);

  @AfterEach
  void closeFleet() {
    fleet.close();
  }

  @Test
  void beforeAnyToken_isEmpty() {
    CredentialState state = coordinator.state();

    assertThat(state.key()).isEqualTo(KEY);
    assertThat(state.status()).isEqualTo(Status.EMPTY);
    assertThat(state.expiresAt()).isNull();
    assertThat(state.timeToExpiry(fleet.clock.instant())).isNull();
    assertThat(state.refreshing()).isFalse();
    assertThat(state.lastFailure()).isNull();
  }

  @Test
  void seeded_isFresh_thenStaleWhileRefreshing_thenFreshAgain() {
    coordinator.seed(fleet.tokens("access-0", "refresh-0", HOUR)).join();

    CredentialState fresh = coordinator.state();
    assertThat(fresh.status()).isEqualTo(Status.FRESH);
    assertThat(fresh.status().serving()).isTrue();
    assertThat(fresh.expiresAt()).isEqualTo(VirtualFleet.EPOCH.plus(HOUR));
    assertThat(fresh.timeToExpiry(fleet.clock.instant())).isEqualTo(HOUR);
    assertThat(fresh.refreshAt()).isBefore(fresh.expiresAt());
    assertThat(fresh.version()).isPositive();

    CompletableFuture<TokenResponse> held = endpoint.hold();
    fleet.advance(Duration.ofMinutes(40)); // past the refresh-ahead point
    assertThat(coordinator.accessToken()).isEqualTo("access-0"); // served; the refresh is held
    CredentialState stale = coordinator.state();
    assertThat(stale.status()).isEqualTo(Status.STALE);
    assertThat(stale.refreshing()).isTrue();

    held.complete(endpoint.response("access-1", "refresh-1", HOUR));
    fleet.advance(Duration.ZERO);
    CredentialState refreshed = coordinator.state();
    assertThat(refreshed.status()).isEqualTo(Status.FRESH);
    assertThat(refreshed.refreshing()).isFalse();
    assertThat(refreshed.version()).isGreaterThan(fresh.version());
    assertThat(refreshed.expiresAt()).isAfter(fresh.expiresAt());
  }

  @Test
  void aFailedRefresh_isTheLastFailure_untilARefreshSucceeds() {
    coordinator.seed(fleet.tokens("access-0", "refresh-0", Duration.ofMinutes(2))).join();
    for (int i = 0; i < 50; i++) {
      endpoint.fail(Kind.TRANSIENT, null, null); // more than every retry of the run below
    }
    fleet.advance(Duration.ofMinutes(3)); // expired; the refresh ahead failed

    CompletableFuture<AccessToken> waiting = coordinator.tokenAsync();
    fleet.advance(policy.waitTimeout()); // the caller's wait runs out on the fleet's clock
    assertThat(waiting).isCompletedExceptionally();

    CredentialState failing = coordinator.state();
    assertThat(failing.status()).isEqualTo(Status.EXPIRED);
    assertThat(failing.lastFailure()).isInstanceOf(TransientRefreshException.class);
    assertThat(failing.timeToExpiry(fleet.clock.instant())).isNegative();

    endpoint.clearScript();
    endpoint.issue(HOUR);
    fleet.advance(Duration.ofMinutes(1));
    assertThat(coordinator.accessToken()).isNotNull();
    CredentialState recovered = coordinator.state();
    assertThat(recovered.status()).isEqualTo(Status.FRESH);
    assertThat(recovered.lastFailure()).isNull();
    assertThat(recovered.stats().transientFailures()).isPositive();
  }

  @Test
  void revoked_isReauthenticationRequired_withTheReason() {
    coordinator.seed(fleet.tokens("access-0", "refresh-0", Duration.ofMinutes(2))).join();
    endpoint.fail(Kind.PERMANENT, "invalid_grant", null);
    fleet.advance(Duration.ofMinutes(3));

    assertThatThrownBy(coordinator::accessToken)
        .isInstanceOf(ReauthenticationRequiredException.class);
    CredentialState state = coordinator.state();
    assertThat(state.status()).isEqualTo(Status.REAUTHENTICATION_REQUIRED);
    assertThat(state.status().serving()).isFalse();
    assertThat(state.reauthenticationReason()).isEqualTo(ReauthenticationReason.REVOKED);
  }

  @Test
  void removedFromItsHerd_isClosed() {
    herd.remove(KEY).toCompletableFuture().join();

    assertThat(coordinator.state().status()).isEqualTo(Status.CLOSED);
  }
}

package dev.tokenherd.coordinator.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.tokenherd.TokenHerd;
import dev.tokenherd.coordinator.AccessToken;
import dev.tokenherd.coordinator.RefreshPolicy;
import dev.tokenherd.coordinator.TokenCoordinator;
import dev.tokenherd.coordinator.TokenKey;
import dev.tokenherd.coordinator.memory.InMemoryChangeFeed;
import dev.tokenherd.coordinator.memory.InMemoryRefreshLock;
import dev.tokenherd.coordinator.memory.InMemoryTokenStore;
import dev.tokenherd.coordinator.spi.TokenEndpoint;
import dev.tokenherd.coordinator.spi.TokenEndpointException;
import dev.tokenherd.coordinator.spi.TokenRecord;
import dev.tokenherd.coordinator.spi.TokenRequest;
import dev.tokenherd.coordinator.spi.TokenResponse;
import dev.tokenherd.coordinator.testing.FakeServers;
import dev.tokenherd.coordinator.testing.RecordingListener;
import dev.tokenherd.testkit.FakeAuthorizationServer;
import dev.tokenherd.testkit.RecordedTokenRequest;
import dev.tokenherd.testkit.RotationMode;
import dev.tokenherd.testkit.ServerStats;
import dev.tokenherd.testkit.TokenGrant;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The send-by deadline end to end (docs/architecture.md, "A live mark holds off every other
 * sender", rule 3): the engine's token request is held up inside the endpoint, after the engine's
 * last lease check and before the real {@code OAuth2TokenEndpoint} sends it, as the fleet demo's
 * {@code --chaos} mode does with {@code SIGSTOP}. Real HTTP to the rotating fake server, real time,
 * real (short) leases.
 */
final class SendByDeadlineTest {
  private static final TokenKey KEY = TokenKey.of("billing-api");
  private static final Clock CLOCK = Clock.systemUTC();

  private final InMemoryChangeFeed feed = new InMemoryChangeFeed();
  private final InMemoryTokenStore store = new InMemoryTokenStore(feed);
  private final InMemoryRefreshLock lock = new InMemoryRefreshLock(CLOCK);
  private final RecordingListener listenerA = new RecordingListener();
  private final FakeAuthorizationServer server =
      FakeAuthorizationServer.builder()
          .rotationMode(RotationMode.ROTATE_REVOKE_FAMILY_ON_REUSE)
          .start();
  private TokenHerd herdA;
  private TokenHerd herdB;

  @AfterEach
  void tearDown() {
    if (herdA != null) {
      herdA.close();
    }
    if (herdB != null) {
      herdB.close();
    }
    server.close();
  }

  /**
   * A 4 s lease, a 3 s endpoint timeout: the check leaves 3.5 s, so the send-by deadline is 750 ms
   * after it (a send margin of 250 ms plus the 500 ms the timeout does not need) and the backstop
   * 3.25 s after it. The hold lasts until the request's own deadline has passed (the request says
   * so), and so ends well before the backstop.
   */
  @Test
  void pausedPastItsSendBy_theHolderDoesNotSend_takesItsMarkBack_andRefreshesOnce() {
    RefreshPolicy policy =
        Loopback.shortBackoffs()
            .leaseTime(Duration.ofSeconds(4))
            .endpointTimeout(Duration.ofSeconds(3))
            .waitTimeout(Duration.ofSeconds(10))
            .build();
    HeldEndpoint held =
        new HeldEndpoint(Loopback.endpoint(server), SendByDeadlineTest::untilOverdue);
    herdA = herd("worker-a", policy, listenerA);
    TokenCoordinator coordinator = herdA.coordinator(KEY, held);
    TokenGrant seeded = seedExpired(coordinator);

    AccessToken token = coordinator.tokenAsync().join();

    TokenEndpointException notSent = held.heldFailure();
    assertThat(notSent.kind()).isEqualTo(TokenEndpointException.Kind.TRANSIENT);
    assertThat(notSent.getMessage()).contains("not sent").contains("send-by deadline");
    // The engine took the transient path (the mark taken back), not the ambiguous one.
    assertThat(listenerA.events())
        .contains("failed " + KEY + " TransientRefreshException retry")
        .noneMatch(event -> event.contains("Ambiguous") || event.contains("lost-rotation"));
    assertOneRequestOneRefresh(seeded, token);
    assertThat(stored().refreshing()).isNull();
  }

  /**
   * The finding of the fleet demo's {@code --chaos} mode: worker A's request is held until another
   * refresh has happened (far past A's lease: its backstop gave the request up meanwhile), then
   * handed to the real endpoint with the refresh token that was rotated away. Before the send-by
   * deadline, it was sent: two requests for one refresh, reuse detected, the family revoked.
   */
  @Test
  void heldUntilAnotherRefreshHappened_theStaleRequestIsNeverSent_andNoReuseIsDetected() {
    RefreshPolicy policy =
        Loopback.shortBackoffs()
            .leaseTime(Duration.ofSeconds(2))
            .endpointTimeout(Duration.ofMillis(1500))
            .waitTimeout(Duration.ofSeconds(10))
            .build();
    HeldEndpoint held =
        new HeldEndpoint(Loopback.endpoint(server), request -> awaitARefreshElsewhere());
    herdA = herd("worker-a", policy, listenerA);
    herdB = herd("worker-b", policy, new RecordingListener());
    TokenCoordinator a = herdA.coordinator(KEY, held);
    TokenCoordinator b = herdB.coordinator(KEY, Loopback.endpoint(server));
    TokenGrant seeded = seedExpired(a);

    CompletableFuture<AccessToken> fromA = a.tokenAsync();
    await().atMost(Duration.ofSeconds(5)).until(held.holding::get);
    CompletableFuture<AccessToken> fromB = b.tokenAsync();

    TokenEndpointException notSent = held.heldFailure();
    assertThat(notSent.kind()).isEqualTo(TokenEndpointException.Kind.TRANSIENT);
    assertThat(notSent.getMessage()).contains("not sent").contains("send-by deadline");
    AccessToken token = fromB.join();
    assertThat(fromA.join().value()).isEqualTo(token.value());
    assertOneRequestOneRefresh(seeded, token);
  }

  private void assertOneRequestOneRefresh(TokenGrant seeded, AccessToken token) {
    ServerStats stats = FakeServers.awaitEveryRequestARefresh(server);
    assertThat(server.isAccessTokenValid(token.value())).isTrue();
    assertThat(stats.tokenRequests()).isEqualTo(1);
    assertThat(stats.refreshEvents()).isEqualTo(1);
    assertThat(stats.reuseDetections()).isZero();
    assertThat(stats.familiesRevoked()).isZero();
    assertThat(server.requests())
        .extracting(RecordedTokenRequest::refreshTokenFingerprint)
        .hasSize(1);
    assertThat(stored().tokens().refreshToken()).isNotEqualTo(seeded.refreshToken());
  }

  /**
   * A pause after the engine's last check, before the real endpoint is called (SIGSTOP, GC), that
   * ends once the request's send-by deadline has passed.
   */
  private static void untilOverdue(TokenRequest request) {
    await()
        .atMost(Duration.ofSeconds(5))
        .until(() -> !request.sendByOverdue(System.nanoTime()).isZero());
  }

  private void awaitARefreshElsewhere() {
    await().atMost(Duration.ofSeconds(15)).until(() -> server.stats().refreshEvents() >= 1);
  }

  private TokenHerd herd(String workerId, RefreshPolicy policy, RecordingListener listener) {
    return TokenHerd.builder()
        .tokenStore(store)
        .refreshLock(lock)
        .changeFeed(feed)
        .clock(CLOCK)
        .refreshPolicy(policy)
        .listener(listener)
        .workerId(workerId)
        .build();
  }

  /** Seeds a fresh login whose access token has already expired, so the next call refreshes. */
  private TokenGrant seedExpired(TokenCoordinator coordinator) {
    return FakeServers.seedExpired(server, coordinator, CLOCK.instant());
  }

  private TokenRecord stored() {
    return store.read(KEY).toCompletableFuture().join().orElseThrow();
  }

  /**
   * Holds the first request up on its own thread (the engine's threads stay free, as after a
   * hand-off to a slow one) before handing it to the real endpoint, and records how that ended; the
   * later requests go straight through.
   */
  private static final class HeldEndpoint implements TokenEndpoint {
    private final TokenEndpoint delegate;
    private final Consumer<TokenRequest> hold;
    private final AtomicBoolean first = new AtomicBoolean(true);
    final AtomicBoolean holding = new AtomicBoolean();
    final CompletableFuture<Throwable> heldOutcome = new CompletableFuture<>();

    /** Returns how the held request ended: the endpoint's failure, if it was not sent. */
    TokenEndpointException heldFailure() {
      Throwable outcome = heldOutcome.join();
      assertThat(outcome).isInstanceOf(TokenEndpointException.class);
      return (TokenEndpointException) outcome;
    }

    HeldEndpoint(TokenEndpoint delegate, Consumer<TokenRequest> hold) {
      this.delegate = delegate;
      this.hold = hold;
    }

    @Override
    public CompletionStage<TokenResponse> requestToken(TokenRequest request) {
      if (!first.getAndSet(false)) {
        return delegate.requestToken(request);
      }
      holding.set(true);
      CompletionStage<TokenResponse> sent =
          CompletableFuture.runAsync(
                  () -> hold.accept(request),
                  runnable -> new Thread(runnable, "held-sender").start())
              .thenCompose(ignored -> delegate.requestToken(request));
      sent.whenComplete(
          (response, error) ->
              heldOutcome.complete(
                  error == null
                      ? new AssertionError("the held request was sent")
                      : error instanceof CompletionException && error.getCause() != null
                          ? error.getCause()
                          : error));
      return sent;
    }
  }
}

package dev.tokenherd.coordinator.oauth2;

import static dev.tokenherd.coordinator.oauth2.Futures.endpointFailure;
import static dev.tokenherd.coordinator.oauth2.Futures.result;
import static java.util.Objects.requireNonNull;
import static org.assertj.core.api.Assertions.assertThat;

import dev.tokenherd.coordinator.spi.TokenEndpointException;
import dev.tokenherd.coordinator.spi.TokenRequest;
import dev.tokenherd.coordinator.spi.TokenResponse;
import dev.tokenherd.coordinator.testing.FakeServers;
import dev.tokenherd.testkit.FakeAuthorizationServer;
import dev.tokenherd.testkit.RotationMode;
import dev.tokenherd.testkit.TokenGrant;
import java.time.Duration;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The send-by deadline against a rotating {@link FakeAuthorizationServer} over real HTTP: a request
 * whose deadline has passed never reaches the server (its own ledger says so), and its refresh
 * token stays good for the next request.
 */
final class OAuth2TokenEndpointSendByTest {
  private static final Duration TIMEOUT = Duration.ofSeconds(5);

  private final FakeAuthorizationServer server =
      FakeAuthorizationServer.builder()
          .rotationMode(RotationMode.ROTATE_REVOKE_FAMILY_ON_REUSE)
          .start();
  private final OAuth2TokenEndpoint endpoint = FakeServers.endpointBuilder(server).build();
  private final String refreshToken = requireNonNull(server.issueTokens("read").refreshToken());

  @AfterEach
  void stop() {
    server.close();
  }

  @Test
  void requestToken_sendByPassed_sendsNothing_failsTransient_andTheRefreshTokenStaysGood()
      throws Exception {
    TokenRequest late =
        TokenRequest.refresh(refreshToken, Set.of(), TIMEOUT)
            .withSendBy(System.nanoTime() - Duration.ofMillis(1500).toNanos());

    TokenEndpointException failure = endpointFailure(endpoint.requestToken(late));

    assertThat(failure.kind()).isEqualTo(TokenEndpointException.Kind.TRANSIENT);
    assertThat(failure.getMessage())
        .contains("not sent")
        .contains("send-by deadline (from the refresh lock's lease) passed PT1.5")
        .doesNotContain(refreshToken);
    assertThat(server.stats().tokenRequests()).isZero();
    assertThat(server.requests()).isEmpty();

    // Nothing left the process: the same refresh token is honoured, with no reuse detected.
    TokenResponse response =
        result(endpoint.requestToken(TokenRequest.refresh(refreshToken, Set.of(), TIMEOUT)));

    assertThat(server.isAccessTokenValid(response.accessToken())).isTrue();
    assertThat(server.stats().tokenRequests()).isEqualTo(1);
    assertThat(server.stats().refreshEvents()).isEqualTo(1);
    assertThat(server.stats().reuseDetections()).isZero();
  }

  @Test
  void requestToken_withinItsSendBy_isSentAsBefore() throws Exception {
    TokenRequest timely =
        TokenRequest.refresh(refreshToken, Set.of(), TIMEOUT)
            .withSendBy(System.nanoTime() + Duration.ofSeconds(30).toNanos());

    TokenResponse response = result(endpoint.requestToken(timely));

    assertThat(server.isAccessTokenValid(response.accessToken())).isTrue();
    assertThat(server.stats().tokenRequests()).isEqualTo(1);
    assertThat(server.stats().refreshEvents()).isEqualTo(1);
  }

  @Test
  void requestToken_withoutSendBy_isSentAsBefore() throws Exception {
    TokenGrant clientGrant = server.issueTokens("read");
    TokenRequest plain =
        TokenRequest.refresh(requireNonNull(clientGrant.refreshToken()), Set.of(), TIMEOUT);

    TokenResponse response = result(endpoint.requestToken(plain));

    assertThat(plain.hasSendBy()).isFalse();
    assertThat(server.isAccessTokenValid(response.accessToken())).isTrue();
    assertThat(server.stats().tokenRequests()).isEqualTo(1);
  }
}

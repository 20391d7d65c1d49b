package dev.tokenherd.coordinator.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.tokenherd.coordinator.TokenCoordinator;
import dev.tokenherd.coordinator.TokenSet;
import dev.tokenherd.coordinator.oauth2.OAuth2TokenEndpoint;
import dev.tokenherd.testkit.FakeAuthorizationServer;
import dev.tokenherd.testkit.ServerStats;
import dev.tokenherd.testkit.TokenGrant;
import java.time.Duration;
import java.time.Instant;

/**
 * What tests against a {@link FakeAuthorizationServer} need from the coordinator's side: a client
 * of its token endpoint, the token set a login seeds, and the wait for its counters to settle. (The
 * testkit cannot make these itself: it does not depend on the core, whose tests depend on it.)
 */
public final class FakeServers {
  private FakeServers() {}

  /**
   * Returns a builder of a token endpoint client of {@code server}, with its own HttpClient,
   * authenticating with client_secret_basic and the server's default secret.
   */
  public static OAuth2TokenEndpoint.Builder endpointBuilder(FakeAuthorizationServer server) {
    return OAuth2TokenEndpoint.builder()
        .tokenUri(server.tokenEndpoint())
        .clientId(server.clientId())
        .clientSecret(FakeAuthorizationServer.DEFAULT_CLIENT_SECRET);
  }

  /**
   * Returns the token set a login that produced {@code grant} would seed, received at {@code
   * issuedAt}.
   */
  public static TokenSet tokenSet(TokenGrant grant, Instant issuedAt) {
    return tokenSet(grant, issuedAt, grant.expiresAt());
  }

  /**
   * Returns the token set of {@code grant}, received at {@code issuedAt}, expiring at another time.
   */
  public static TokenSet tokenSet(TokenGrant grant, Instant issuedAt, Instant expiresAt) {
    return TokenSet.builder()
        .accessToken(grant.accessToken())
        .refreshToken(grant.refreshToken())
        .scopes(grant.scopes())
        .issuedAt(issuedAt)
        .expiresAt(expiresAt)
        .build();
  }

  /**
   * Seeds through {@code coordinator} a fresh login of {@code server} whose access token expired an
   * hour before {@code now}, so that the next call refreshes, and returns the login's grant.
   */
  public static TokenGrant seedExpired(
      FakeAuthorizationServer server, TokenCoordinator coordinator, Instant now) {
    TokenGrant grant = server.issueTokens("read write");
    coordinator
        .seed(tokenSet(grant, now.minus(Duration.ofHours(2)), now.minus(Duration.ofHours(1))))
        .join();
    return grant;
  }

  /**
   * Waits until every token request the server received became a refresh event (a refresh still in
   * flight when the callers stopped is counted on receipt and processed after the server's latency;
   * a duplicate request is never matched by one), and returns the counters then.
   */
  public static ServerStats awaitEveryRequestARefresh(FakeAuthorizationServer server) {
    await()
        .atMost(Duration.ofSeconds(5))
        .untilAsserted(
            () ->
                assertThat(server.stats().tokenRequests())
                    .isEqualTo(server.stats().refreshEvents()));
    return server.stats();
  }
}

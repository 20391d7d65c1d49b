package dev.tokenherd.coordinator.e2e;

import dev.tokenherd.coordinator.Backoff;
import dev.tokenherd.coordinator.RefreshPolicy;
import dev.tokenherd.coordinator.TokenSet;
import dev.tokenherd.coordinator.oauth2.OAuth2TokenEndpoint;
import dev.tokenherd.testkit.FakeAuthorizationServer;
import dev.tokenherd.testkit.TokenGrant;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.Set;
import java.util.stream.Collectors;

/** Connects the real OAuth 2.0 client to a {@link FakeAuthorizationServer} on loopback. */
final class Loopback {
  private Loopback() {}

  /** A token endpoint with its own HttpClient, authenticating with client_secret_basic. */
  static OAuth2TokenEndpoint endpoint(FakeAuthorizationServer server) {
    return endpointBuilder(server).build();
  }

  static OAuth2TokenEndpoint.Builder endpointBuilder(FakeAuthorizationServer server) {
    return OAuth2TokenEndpoint.builder()
        .tokenUri(server.tokenEndpoint())
        .clientId(server.clientId())
        .clientSecret(FakeAuthorizationServer.DEFAULT_CLIENT_SECRET);
  }

  /**
   * A policy with retries and polls short enough for real-time tests: 20-200 ms between token
   * requests after transient failures, 5-50 ms between store reads while another worker refreshes.
   */
  static RefreshPolicy.Builder shortBackoffs() {
    return RefreshPolicy.builder()
        .retryBackoff(new Backoff(Duration.ofMillis(20), Duration.ofMillis(200), 2.0, 0.5))
        .pollBackoff(new Backoff(Duration.ofMillis(5), Duration.ofMillis(50), 2.0, 0.2));
  }

  /** The token set a login that produced {@code grant} would seed, received at {@code issuedAt}. */
  static TokenSet tokens(TokenGrant grant, Instant issuedAt, Instant expiresAt) {
    return TokenSet.builder()
        .accessToken(grant.accessToken())
        .refreshToken(grant.refreshToken())
        .scopes(scopes(grant.scope()))
        .issuedAt(issuedAt)
        .expiresAt(expiresAt)
        .build();
  }

  static Set<String> scopes(String scope) {
    return Arrays.stream(scope.split(" "))
        .filter(s -> !s.isEmpty())
        .collect(Collectors.toUnmodifiableSet());
  }
}

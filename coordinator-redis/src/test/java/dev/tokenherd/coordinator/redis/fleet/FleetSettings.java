package dev.tokenherd.coordinator.redis.fleet;

import dev.tokenherd.coordinator.Backoff;
import dev.tokenherd.coordinator.RefreshPolicy;
import dev.tokenherd.coordinator.TokenKey;
import dev.tokenherd.coordinator.TokenSet;
import dev.tokenherd.coordinator.oauth2.OAuth2TokenEndpoint;
import dev.tokenherd.testkit.TokenGrant;
import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.stream.Collectors;

/** What the fleet tests share: one credential, short tokens, short backoffs. */
final class FleetSettings {
  /** The shared credential. */
  static final TokenKey KEY = TokenKey.of("fleet-api");

  /** Lifetime of the fake server's access tokens: an expiry a second. */
  static final Duration TOKEN_TTL = Duration.ofSeconds(1);

  /** The fake server's latency, long enough for every worker to pile onto an expiry. */
  static final Duration SERVER_LATENCY = Duration.ofMillis(100);

  /** How many consecutive expiries a fleet test runs through. */
  static final int EXPIRIES = 20;

  private FleetSettings() {}

  /** Short retries and polls, a lease well above the endpoint timeout. */
  static RefreshPolicy policy() {
    return RefreshPolicy.builder()
        .retryBackoff(new Backoff(Duration.ofMillis(20), Duration.ofMillis(200), 2.0, 0.5))
        .pollBackoff(new Backoff(Duration.ofMillis(5), Duration.ofMillis(50), 2.0, 0.2))
        .endpointTimeout(Duration.ofSeconds(2))
        .leaseTime(Duration.ofSeconds(4))
        .waitTimeout(Duration.ofSeconds(10))
        .build();
  }

  /** A worker's own token endpoint client (its own HttpClient). */
  static OAuth2TokenEndpoint endpoint(URI tokenUri, String clientId, String clientSecret) {
    return OAuth2TokenEndpoint.builder()
        .tokenUri(tokenUri)
        .clientId(clientId)
        .clientSecret(clientSecret)
        .build();
  }

  /** The token set a login that produced {@code grant} at {@code now} would seed. */
  static TokenSet seed(TokenGrant grant, Instant now) {
    return TokenSet.builder()
        .accessToken(grant.accessToken())
        .refreshToken(grant.refreshToken())
        .scopes(
            Arrays.stream(grant.scope().split(" "))
                .filter(s -> !s.isEmpty())
                .collect(Collectors.toUnmodifiableSet()))
        .issuedAt(now)
        .expiresAt(grant.expiresAt())
        .build();
  }
}

package dev.tokenherd.coordinator.e2e;

import dev.tokenherd.coordinator.Backoff;
import dev.tokenherd.coordinator.RefreshPolicy;
import dev.tokenherd.coordinator.oauth2.OAuth2TokenEndpoint;
import dev.tokenherd.coordinator.testing.FakeServers;
import dev.tokenherd.testkit.FakeAuthorizationServer;
import java.time.Duration;

/** Connects the real OAuth 2.0 client to a {@link FakeAuthorizationServer} on loopback. */
final class Loopback {
  private Loopback() {}

  /** A token endpoint with its own HttpClient, authenticating with client_secret_basic. */
  static OAuth2TokenEndpoint endpoint(FakeAuthorizationServer server) {
    return FakeServers.endpointBuilder(server).build();
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
}

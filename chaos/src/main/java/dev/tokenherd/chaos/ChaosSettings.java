package dev.tokenherd.chaos;

import dev.tokenherd.coordinator.Backoff;
import dev.tokenherd.coordinator.RefreshPolicy;
import dev.tokenherd.coordinator.TokenKey;
import java.time.Duration;

/**
 * What the chaos workers and scenarios share: one credential, short tokens, a short lease, short
 * backoffs, so that each scenario lives through several expiries in seconds.
 */
public final class ChaosSettings {
  /** The shared credential. */
  public static final TokenKey KEY = TokenKey.of("chaos-api");

  /** Lifetime of the fake server's access tokens. */
  public static final Duration TOKEN_TTL = Duration.ofSeconds(4);

  /** The refresh lease: a holder that stops for longer loses it. */
  public static final Duration LEASE = Duration.ofSeconds(2);

  /** The token endpoint timeout: below the lease, as the engine requires. */
  public static final Duration ENDPOINT_TIMEOUT = Duration.ofSeconds(1);

  /** How long a caller waits for a token before a typed error (I5's deadline). */
  public static final Duration WAIT_TIMEOUT = Duration.ofSeconds(3);

  /** Slack on top of {@link #WAIT_TIMEOUT} before a call counts as hung (I5). */
  public static final Duration HANG_SLACK = Duration.ofSeconds(2);

  private ChaosSettings() {}

  /** Returns the refresh policy of every chaos worker. */
  public static RefreshPolicy policy() {
    return policy(ENDPOINT_TIMEOUT, LEASE);
  }

  /**
   * Returns the chaos policy with another endpoint timeout and lease, for scenarios whose fault
   * must not be drowned by a slow first request on a loaded machine (scenario 6: 2 s / 4 s).
   *
   * @param endpointTimeout the token endpoint timeout, below {@code lease}
   * @param lease the refresh lease
   * @return the policy
   */
  public static RefreshPolicy policy(Duration endpointTimeout, Duration lease) {
    return RefreshPolicy.builder()
        .retryBackoff(new Backoff(Duration.ofMillis(50), Duration.ofMillis(500), 2.0, 0.5))
        .pollBackoff(new Backoff(Duration.ofMillis(10), Duration.ofMillis(200), 2.0, 0.2))
        .endpointTimeout(endpointTimeout)
        .leaseTime(lease)
        .waitTimeout(WAIT_TIMEOUT)
        .build();
  }
}

package dev.tokenherd.coordinator;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;

/**
 * Serves one credential's access token to any number of threads, refreshing it at most once per
 * expiry for the whole fleet. Get one from {@link dev.tokenherd.TokenHerd#coordinator}; it is
 * thread-safe.
 *
 * <p>While the cached token is fresh, {@link #accessToken()} returns it without I/O, locking,
 * allocation or even a clock read. Once it is stale, callers still get it at once while one
 * background refresh runs. Only when it has expired do callers wait, up to {@link
 * RefreshPolicy#waitTimeout()}.
 */
public interface TokenCoordinator {

  /**
   * How long after a refresh for a rejection another rejection in this worker is answered with the
   * current token, without a refresh: 10 seconds.
   */
  Duration REJECTION_COOLDOWN = Duration.ofSeconds(10);

  /**
   * Returns the credential this coordinator serves.
   *
   * @return the credential's key
   */
  TokenKey key();

  /**
   * Returns a valid access token, waiting for a refresh only if the cached one has expired.
   *
   * @return the access token's value
   * @throws TokenRefreshException if no valid token can be had within the wait timeout; the
   *     interrupt flag is restored if the wait was interrupted
   */
  String accessToken();

  /**
   * Returns a valid access token with its metadata; blocking like {@link #accessToken()}.
   *
   * @return the token
   * @throws TokenRefreshException if no valid token can be had within the wait timeout
   */
  AccessToken token();

  /**
   * Returns a valid access token asynchronously.
   *
   * <p><b>Note:</b> while the cached token is usable, the returned future is already complete and
   * shared with other callers: do not {@code obtrude} it. Cancelling a pending one affects only the
   * caller.
   *
   * @return a future completing with the token, or with a {@link TokenRefreshException}
   */
  CompletableFuture<AccessToken> tokenAsync();

  /**
   * Reports that a resource server rejected {@code accessToken} (HTTP 401) and returns a
   * replacement. The credential is refreshed at most once for the fleet, and only if {@code
   * accessToken} is still the current one; otherwise the current token is returned. At most one
   * such refresh per {@link #REJECTION_COOLDOWN} in this worker: a resource server that refuses
   * every token costs one token request per window, not one per call.
   *
   * @param accessToken the rejected access token's value
   * @return a future completing with a different valid token, or with a {@link
   *     TokenRefreshException}
   */
  CompletableFuture<AccessToken> rejected(String accessToken);

  /**
   * Stores a new token set for the whole fleet (for example after an authorization-code login),
   * replacing whatever was stored, including a re-authentication-required state.
   *
   * @param tokens the new token set; its instants are read as this worker's clock gives them
   *     (usually {@code Instant.now()} plus the {@code expires_in} of the login's response) and
   *     stored converted to the fleet's clock (see {@link dev.tokenherd.TokenHerd#clockOffset()})
   * @return a future completing when the token set is stored and served by this worker
   */
  CompletableFuture<AccessToken> seed(TokenSet tokens);

  /**
   * Returns this worker's counters for the credential.
   *
   * @return a snapshot of the counters since the coordinator was created
   */
  CoordinatorStats stats();

  /**
   * Returns a snapshot of the credential as this worker serves it: status, expiry, whether a
   * refresh runs, the last failure; for health checks and metrics. No lock, no I/O.
   *
   * @return the snapshot
   */
  CredentialState state();
}

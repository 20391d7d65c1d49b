package dev.tokenherd.coordinator.spi;

import java.util.concurrent.CompletionStage;

/**
 * An OAuth 2.0 token endpoint. {@link dev.tokenherd.coordinator.oauth2.OAuth2TokenEndpoint} is the
 * HTTP implementation.
 *
 * <p>The coordinator calls it only while holding the credential's refresh lock, at most once per
 * lease, and does its own retrying: implementations must not retry a request that may have reached
 * the server, because a retried refresh presents the same refresh token twice.
 */
public interface TokenEndpoint {

  /**
   * Requests a token.
   *
   * @param request the grant, refresh token, scopes and timeout
   * @return the response; fails with a {@link TokenEndpointException} that classifies the failure
   */
  CompletionStage<TokenResponse> requestToken(TokenRequest request);
}

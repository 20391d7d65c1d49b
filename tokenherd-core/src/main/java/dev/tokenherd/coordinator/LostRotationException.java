package dev.tokenherd.coordinator;

import org.jspecify.annotations.Nullable;

/**
 * A refresh-token rotation was lost: the token endpoint answered a refresh (issuing a new refresh
 * token and revoking the old one) but the answer never reached the store, and the server now
 * rejects the stored refresh token.
 *
 * <p>Tokenherd writes a "refresh in progress" mark before each token request. When the next holder
 * finds a mark it did not write and the server then answers {@code invalid_grant}, the rotation was
 * lost. Causes: a holder killed or partitioned after sending its request, a timeout after the
 * request was sent (an <i>ambiguous</i> failure), or a Redis failover that lost the write. This is
 * counted and reported on its own so that operators can tell it from a revocation.
 */
public final class LostRotationException extends ReauthenticationRequiredException {
  private static final long serialVersionUID = 1L;

  /**
   * Creates the exception.
   *
   * @param key the credential
   * @param error the token endpoint's error, if known
   */
  public LostRotationException(TokenKey key, @Nullable OAuth2Error error) {
    super(key, ReauthenticationReason.LOST_ROTATION, error);
  }
}

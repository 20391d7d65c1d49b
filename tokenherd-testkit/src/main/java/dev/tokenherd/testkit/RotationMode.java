package dev.tokenherd.testkit;

/**
 * How a {@link FakeAuthorizationServer} treats refresh tokens, modelled on real servers.
 *
 * <p>In every rotating mode, presenting a refresh token that was already rotated away counts as a
 * {@linkplain ServerStats#reuseDetections() reuse detection}; the modes differ in what follows.
 */
public enum RotationMode {
  /**
   * Auth0's and Okta's default: each refresh issues a new refresh token and invalidates the one
   * presented. Presenting an invalidated one again is reuse: the whole token family (every refresh
   * and access token descended from the same grant) is revoked and the request gets {@code
   * invalid_grant}.
   */
  ROTATE_REVOKE_FAMILY_ON_REUSE,

  /**
   * Okta's grace period (Auth0's "reuse interval"): like {@link #ROTATE_REVOKE_FAMILY_ON_REUSE},
   * but a refresh token presented again within {@linkplain
   * FakeAuthorizationServer.Builder#reuseGracePeriod the grace period} after its rotation is
   * accepted: the answer carries the successor refresh token that the rotation issued (so the
   * family stays one chain) and a newly minted access token with the full lifetime. Such answers
   * count as {@linkplain ServerStats#graceReuses() grace reuses}, not as refresh events. After the
   * grace period the presentation is reuse and revokes the family.
   */
  ROTATE_WITH_GRACE_PERIOD,

  /**
   * Keycloak with "revoke refresh token" on: each refresh rotates; presenting a rotated-away
   * refresh token gets {@code invalid_grant}, but the family (and its current refresh token) stays
   * valid.
   */
  ROTATE_NO_FAMILY_REVOCATION,

  /** No rotation: the same refresh token stays valid and is echoed in every answer. */
  NO_ROTATION,

  /**
   * Google's behaviour: answers to a refresh carry no {@code refresh_token} (and no {@code scope},
   * which RFC 6749 sec. 5.1 allows when it equals the one granted); the original refresh token
   * stays valid, so the client must keep both.
   */
  OMIT_REFRESH_TOKEN;

  boolean rotates() {
    return this == ROTATE_REVOKE_FAMILY_ON_REUSE
        || this == ROTATE_WITH_GRACE_PERIOD
        || this == ROTATE_NO_FAMILY_REVOCATION;
  }
}

package dev.tokenherd.coordinator.spi;

/** The state of a stored credential. */
public enum TokenStatus {
  /** The record holds a token set that can be served and renewed. */
  ACTIVE,
  /** The credential was revoked or lost; callers fail until a new token set is seeded. */
  REAUTH_REQUIRED
}

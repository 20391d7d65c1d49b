package dev.tokenherd.coordinator.internal;

/** Where a cached token stands. Timers move an entry forward; it never moves back. */
enum Phase {
  /** Nothing cached yet (or the store holds no token set): callers wait for one. */
  EMPTY,
  /** Served as is. */
  FRESH,
  /** Served as is while one background refresh runs. */
  STALE,
  /** No longer served: callers wait for a refresh. */
  EXPIRED,
  /** The credential requires re-authentication: callers fail at once. */
  FAILED;

  boolean usable() {
    return this == FRESH || this == STALE;
  }
}

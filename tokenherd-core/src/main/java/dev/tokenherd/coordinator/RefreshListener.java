package dev.tokenherd.coordinator;

/**
 * Receives a credential's events. Every method has a no-op default.
 *
 * <p>Methods run on the herd's executor, never on a caller's thread. They must not block; an
 * exception they throw is logged and otherwise ignored.
 */
public interface RefreshListener {
  /** A listener that ignores every event. */
  RefreshListener NONE = new RefreshListener() {};

  /**
   * This worker refreshed the credential and stored the new token.
   *
   * @param key the credential
   * @param token the new access token
   */
  default void onRefreshed(TokenKey key, AccessToken token) {}

  /**
   * A refresh attempt by this worker failed.
   *
   * @param key the credential
   * @param error the classified failure
   * @param willRetry whether the refresh will be attempted again
   */
  default void onRefreshFailed(TokenKey key, TokenRefreshException error, boolean willRetry) {}

  /**
   * This worker learned that the credential requires re-authentication (it found out itself, or the
   * store said so). Reported once per worker and state change.
   *
   * @param key the credential
   * @param error what callers now get
   */
  default void onReauthenticationRequired(TokenKey key, ReauthenticationRequiredException error) {}

  /**
   * This worker detected a lost refresh-token rotation. Followed by {@link
   * #onReauthenticationRequired}.
   *
   * @param key the credential
   * @param error the lost rotation
   */
  default void onLostRotation(TokenKey key, LostRotationException error) {}

  /**
   * This worker's write was rejected because another worker with a newer lease wrote first (this
   * worker's lease ran out, for example during a long pause). The stored record was kept.
   *
   * @param key the credential
   * @param fence the rejected fencing token
   */
  default void onFencedWriteRejected(TokenKey key, long fence) {}

  /**
   * This worker stored a new version, or the refresh mark it writes before a token request, but
   * fewer replicas confirmed it than the store was told to wait for. For a new version: a failover
   * to a replica that missed it would lose the rotation; the write itself stands, and the next
   * refresh after such a failover is reported as a {@link LostRotationException}. For a mark (its
   * {@code version} is the record's current one): the token request is not sent, because after a
   * failover to a replica without the mark another worker could present the same refresh token; the
   * mark is taken back and the refresh tried again later.
   *
   * @param key the credential
   * @param version the version written
   * @param requested how many replicas were asked to confirm
   * @param acknowledged how many did
   */
  default void onUnderReplicatedWrite(
      TokenKey key, long version, int requested, int acknowledged) {}

  /**
   * This worker stored a new version, but the store could not announce it on the change feed (for
   * example, the Redis user may not {@code PUBLISH}). The write itself stands; other workers find
   * the new version when they next read the store (waiters poll), only later than they would have.
   *
   * @param key the credential
   * @param version the version written
   * @param reason what the store refused and how to allow it; never a secret
   */
  default void onUnannouncedWrite(TokenKey key, long version, String reason) {}
}

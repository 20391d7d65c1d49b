package dev.tokenherd.coordinator.spi;

import static java.util.Objects.requireNonNull;

import dev.tokenherd.coordinator.ReauthenticationRequiredException.Reason;
import dev.tokenherd.coordinator.TokenSet;
import java.time.Instant;
import org.jspecify.annotations.Nullable;

/**
 * The stored record of one credential: the token set plus the metadata that makes concurrent
 * writers safe. Immutable; {@link #toString()} reveals no secret.
 *
 * @param schemaVersion the record layout's version; a worker never overwrites a record with a newer
 *     schema than it writes
 * @param version grows by one with every change of content; 0 means "never written"
 * @param fence the highest fencing token that has written this record; writes carrying a lower one
 *     are rejected
 * @param status whether the credential is usable
 * @param tokens the token set; {@code null} when none is stored (status {@code REAUTH_REQUIRED}, or
 *     a reset client_credentials credential)
 * @param refreshing the write-ahead mark of a refresh in progress, if any
 * @param reauthReason why re-authentication is required; set exactly when the status is {@code
 *     REAUTH_REQUIRED}
 * @param errorCode the OAuth 2.0 error code that caused {@code REAUTH_REQUIRED}, if any
 * @param writer who wrote this version (a worker identity such as {@code host/pid})
 * @param writtenAt when this version was written
 */
public record TokenRecord(
    int schemaVersion,
    long version,
    long fence,
    TokenStatus status,
    @Nullable TokenSet tokens,
    @Nullable RefreshMark refreshing,
    @Nullable Reason reauthReason,
    @Nullable String errorCode,
    String writer,
    Instant writtenAt) {

  /** The schema version this library writes. */
  public static final int CURRENT_SCHEMA = 1;

  /**
   * Validates the components.
   *
   * @throws IllegalArgumentException if the components contradict each other
   */
  public TokenRecord {
    requireNonNull(status, "status");
    requireNonNull(writer, "writer");
    requireNonNull(writtenAt, "writtenAt");
    if (schemaVersion < 1) {
      throw new IllegalArgumentException("schemaVersion must be positive: " + schemaVersion);
    }
    if (version < 1) {
      throw new IllegalArgumentException("version must be positive: " + version);
    }
    if (fence < 0) {
      throw new IllegalArgumentException("fence must not be negative: " + fence);
    }
    if ((status == TokenStatus.REAUTH_REQUIRED) != (reauthReason != null)) {
      throw new IllegalArgumentException(
          "reauthReason must be set exactly when status is REAUTH_REQUIRED: "
              + status
              + "/"
              + reauthReason);
    }
  }

  /** Returns a new record holding {@code tokens}, as a seed writes it. */
  public static TokenRecord seeded(
      TokenSet tokens, long version, long fence, String writer, Instant now) {
    return new TokenRecord(
        CURRENT_SCHEMA, version, fence, TokenStatus.ACTIVE, tokens, null, null, null, writer, now);
  }

  /** Returns whether the credential can be served or renewed. */
  public boolean isActive() {
    return status == TokenStatus.ACTIVE;
  }
}

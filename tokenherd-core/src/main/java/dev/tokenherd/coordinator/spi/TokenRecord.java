package dev.tokenherd.coordinator.spi;

import static java.util.Objects.requireNonNull;

import com.google.errorprone.annotations.CanIgnoreReturnValue;
import dev.tokenherd.coordinator.ReauthenticationReason;
import dev.tokenherd.coordinator.TokenSet;
import java.time.Instant;
import java.util.UUID;
import org.jspecify.annotations.Nullable;

/**
 * The stored record of one credential: the token set plus the metadata that makes concurrent
 * writers safe. Immutable; {@link #toString()} reveals no secret.
 *
 * <p>Make one with {@link #builder()} (or {@link #seeded seeded} for what a seed writes), and a
 * changed copy with {@link #toBuilder()} or {@link #withFence}. The canonical constructor is public
 * only because a record's always is; call it through the builder, which names every component.
 *
 * @param schemaVersion the record layout's version; a worker never overwrites a record with a newer
 *     schema than it writes
 * @param version grows by one with every change of content; at least 1 (a key with no record is at
 *     version 0, the expected version of the first write)
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
 * @param generation which life of the credential's record this is: random, chosen when the record
 *     is created (first seed, first client_credentials grant, a rotation written back after the
 *     record vanished) and carried by every later write. A record deleted and created again ({@code
 *     FLUSHALL}, an eviction, a failover to an empty replica) starts its versions again from 1
 *     under another generation, which tells every worker, and the store, that it is not the record
 *     they knew. Empty for records written before generations existed.
 */
public record TokenRecord(
    int schemaVersion,
    long version,
    long fence,
    TokenStatus status,
    @Nullable TokenSet tokens,
    @Nullable RefreshMark refreshing,
    @Nullable ReauthenticationReason reauthReason,
    @Nullable String errorCode,
    String writer,
    Instant writtenAt,
    String generation) {

  /** The schema version this library writes. */
  public static final int CURRENT_SCHEMA = 1;

  /**
   * Validates the components.
   *
   * @param schemaVersion the record layout's version; at least 1
   * @param version the content version; at least 1
   * @param fence the highest fencing token that has written this record; not negative
   * @param status whether the credential is usable
   * @param tokens the token set, or {@code null} when none is stored
   * @param refreshing the mark of a refresh in progress, or {@code null}
   * @param reauthReason why re-authentication is required; non-null exactly when {@code status} is
   *     {@code REAUTH_REQUIRED}
   * @param errorCode the OAuth 2.0 error code that caused {@code REAUTH_REQUIRED}, or {@code null}
   * @param writer who wrote this version
   * @param writtenAt when this version was written
   * @param generation which life of the record this is; empty if written before generations
   * @throws IllegalArgumentException if a number is out of range or the components contradict each
   *     other
   */
  public TokenRecord {
    requireNonNull(status, "status");
    requireNonNull(writer, "writer");
    requireNonNull(writtenAt, "writtenAt");
    requireNonNull(generation, "generation");
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

  /**
   * Returns a new builder. Defaults: the {@linkplain #CURRENT_SCHEMA current schema}, fence 0,
   * status {@code ACTIVE}, no token set, refresh mark, re-authentication reason or error code, and
   * no {@linkplain #generation() generation} (empty, as written before generations existed). The
   * version, the writer and when it wrote are required.
   *
   * @return a new builder
   */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * Returns a builder that starts from this record.
   *
   * @return a new builder holding this record's components
   */
  public Builder toBuilder() {
    return new Builder()
        .schemaVersion(schemaVersion)
        .version(version)
        .fence(fence)
        .status(status)
        .tokens(tokens)
        .refreshing(refreshing)
        .reauthReason(reauthReason)
        .errorCode(errorCode)
        .writer(writer)
        .writtenAt(writtenAt)
        .generation(generation);
  }

  /**
   * Returns a new, random generation, for a record being created.
   *
   * @return a generation no other record has
   */
  public static String newGeneration() {
    return UUID.randomUUID().toString();
  }

  /**
   * Returns a new record holding {@code tokens}, as a seed writes it: status {@code ACTIVE}, the
   * current schema, no refresh mark and no re-authentication reason.
   *
   * @param tokens the token set to store
   * @param version the new version: one more than the stored one, or 1 if none is stored
   * @param fence the fence to write; a seed writes without a lease, so it keeps the stored fence (0
   *     if none is stored)
   * @param writer the identity of the worker writing
   * @param now when the record is written
   * @return the record
   */
  public static TokenRecord seeded(
      TokenSet tokens, long version, long fence, String writer, Instant now) {
    return seeded(tokens, version, fence, writer, now, "");
  }

  /**
   * Returns a new record of {@code generation} holding {@code tokens}, as a seed writes it: status
   * {@code ACTIVE}, the current schema, no refresh mark and no re-authentication reason.
   *
   * @param tokens the token set to store
   * @param version the new version: one more than the stored one, or 1 if none is stored
   * @param fence the fence to write; a seed writes without a lease, so it keeps the stored fence (0
   *     if none is stored)
   * @param writer the identity of the worker writing
   * @param now when the record is written
   * @param generation the stored record's generation, or a {@linkplain #newGeneration() new} one if
   *     none is stored
   * @return the record
   */
  public static TokenRecord seeded(
      TokenSet tokens, long version, long fence, String writer, Instant now, String generation) {
    return builder()
        .version(version)
        .fence(fence)
        .tokens(tokens)
        .writer(writer)
        .writtenAt(now)
        .generation(generation)
        .build();
  }

  /**
   * Returns this record stamped with {@code fence}, every other component unchanged: how a holder
   * writes under its lease.
   *
   * @param fence the fencing token of the lease the record is written under
   * @return the record with that fence
   */
  public TokenRecord withFence(long fence) {
    return toBuilder().fence(fence).build();
  }

  /**
   * Returns whether the credential can be served or renewed.
   *
   * @return {@code true} if the status is {@code ACTIVE}
   */
  public boolean isActive() {
    return status == TokenStatus.ACTIVE;
  }

  /**
   * Builds a {@link TokenRecord}; {@link #build()} validates the components as the canonical
   * constructor does.
   */
  public static final class Builder {
    private int schemaVersion = CURRENT_SCHEMA;
    private long version;
    private long fence;
    private TokenStatus status = TokenStatus.ACTIVE;
    private @Nullable TokenSet tokens;
    private @Nullable RefreshMark refreshing;
    private @Nullable ReauthenticationReason reauthReason;
    private @Nullable String errorCode;
    private @Nullable String writer;
    private @Nullable Instant writtenAt;
    private String generation = "";

    private Builder() {}

    /**
     * Sets the record layout's version (default {@link TokenRecord#CURRENT_SCHEMA}).
     *
     * @param schemaVersion the version; at least 1 (checked by {@link #build()})
     * @return this builder
     */
    @CanIgnoreReturnValue
    public Builder schemaVersion(int schemaVersion) {
      this.schemaVersion = schemaVersion;
      return this;
    }

    /**
     * Sets the content version (required).
     *
     * @param version the version; at least 1 (checked by {@link #build()})
     * @return this builder
     */
    @CanIgnoreReturnValue
    public Builder version(long version) {
      this.version = version;
      return this;
    }

    /**
     * Sets the highest fencing token that has written the record (default 0).
     *
     * @param fence the fence; not negative (checked by {@link #build()})
     * @return this builder
     */
    @CanIgnoreReturnValue
    public Builder fence(long fence) {
      this.fence = fence;
      return this;
    }

    /**
     * Sets whether the credential is usable (default {@code ACTIVE}).
     *
     * @param status the status; {@code REAUTH_REQUIRED} exactly when a {@linkplain #reauthReason
     *     re-authentication reason} is set (checked by {@link #build()})
     * @return this builder
     */
    @CanIgnoreReturnValue
    public Builder status(TokenStatus status) {
      this.status = requireNonNull(status, "status");
      return this;
    }

    /**
     * Sets the token set (default none).
     *
     * @param tokens the token set, or {@code null} when none is stored
     * @return this builder
     */
    @CanIgnoreReturnValue
    public Builder tokens(@Nullable TokenSet tokens) {
      this.tokens = tokens;
      return this;
    }

    /**
     * Sets the mark of a refresh in progress (default none).
     *
     * @param refreshing the mark, or {@code null} for none
     * @return this builder
     */
    @CanIgnoreReturnValue
    public Builder refreshing(@Nullable RefreshMark refreshing) {
      this.refreshing = refreshing;
      return this;
    }

    /**
     * Sets why re-authentication is required (default none).
     *
     * @param reauthReason the reason, or {@code null}; set exactly when the status is {@code
     *     REAUTH_REQUIRED} (checked by {@link #build()})
     * @return this builder
     */
    @CanIgnoreReturnValue
    public Builder reauthReason(@Nullable ReauthenticationReason reauthReason) {
      this.reauthReason = reauthReason;
      return this;
    }

    /**
     * Sets the OAuth 2.0 error code that caused {@code REAUTH_REQUIRED} (default none).
     *
     * @param errorCode the error code, or {@code null}
     * @return this builder
     */
    @CanIgnoreReturnValue
    public Builder errorCode(@Nullable String errorCode) {
      this.errorCode = errorCode;
      return this;
    }

    /**
     * Sets who wrote this version (required).
     *
     * @param writer a worker identity such as {@code host/pid}
     * @return this builder
     */
    @CanIgnoreReturnValue
    public Builder writer(String writer) {
      this.writer = requireNonNull(writer, "writer");
      return this;
    }

    /**
     * Sets when this version was written (required).
     *
     * @param writtenAt when this version was written
     * @return this builder
     */
    @CanIgnoreReturnValue
    public Builder writtenAt(Instant writtenAt) {
      this.writtenAt = requireNonNull(writtenAt, "writtenAt");
      return this;
    }

    /**
     * Sets which life of the record this is (default empty, as written before generations existed).
     *
     * @param generation the stored record's generation, or a {@linkplain
     *     TokenRecord#newGeneration() new} one for a record being created
     * @return this builder
     */
    @CanIgnoreReturnValue
    public Builder generation(String generation) {
      this.generation = requireNonNull(generation, "generation");
      return this;
    }

    /**
     * Builds the record.
     *
     * @return the record
     * @throws IllegalStateException if the writer or the instant it wrote is missing
     * @throws IllegalArgumentException if a number is out of range (a version never set is 0) or
     *     the components contradict each other
     */
    public TokenRecord build() {
      if (writer == null || writtenAt == null) {
        throw new IllegalStateException("writer and writtenAt are required");
      }
      return new TokenRecord(
          schemaVersion,
          version,
          fence,
          status,
          tokens,
          refreshing,
          reauthReason,
          errorCode,
          writer,
          writtenAt,
          generation);
    }
  }
}

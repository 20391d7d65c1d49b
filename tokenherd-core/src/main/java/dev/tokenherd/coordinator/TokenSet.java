package dev.tokenherd.coordinator;

import static java.util.Objects.requireNonNull;

import com.google.errorprone.annotations.CanIgnoreReturnValue;
import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * An immutable OAuth 2.0 token set: what a token endpoint issued, as Tokenherd stores and shares
 * it. {@link #toString()} never reveals a credential.
 *
 * @param accessToken the access token
 * @param tokenType the token type, usually {@code Bearer}
 * @param refreshToken the refresh token, or {@code null} when the credential has none (for example
 *     one renewed with the client_credentials grant)
 * @param scopes the granted scopes; empty when unknown
 * @param issuedAt when the token set was received
 * @param expiresAt when the access token expires; not before {@code issuedAt}
 */
public record TokenSet(
    String accessToken,
    String tokenType,
    @Nullable String refreshToken,
    Set<String> scopes,
    Instant issuedAt,
    Instant expiresAt) {

  /**
   * Validates and copies the components.
   *
   * @param accessToken the access token; not blank
   * @param tokenType the token type; not blank
   * @param refreshToken the refresh token, or {@code null} for none; not blank
   * @param scopes the granted scopes; copied
   * @param issuedAt when the token set was received
   * @param expiresAt when the access token expires; not before {@code issuedAt}
   * @throws IllegalArgumentException if a token is blank or {@code expiresAt} is before {@code
   *     issuedAt}
   */
  public TokenSet {
    requireNonNull(accessToken, "accessToken");
    requireNonNull(tokenType, "tokenType");
    requireNonNull(issuedAt, "issuedAt");
    requireNonNull(expiresAt, "expiresAt");
    scopes = Set.copyOf(scopes);
    if (accessToken.isBlank()) {
      throw new IllegalArgumentException("accessToken is blank");
    }
    if (tokenType.isBlank()) {
      throw new IllegalArgumentException("tokenType is blank");
    }
    if (refreshToken != null && refreshToken.isBlank()) {
      throw new IllegalArgumentException("refreshToken is blank; use null for none");
    }
    if (expiresAt.isBefore(issuedAt)) {
      // Equal is allowed: a token the server issued already expired (expires_in 0), whose
      // rotated refresh token must still be kept.
      throw new IllegalArgumentException(
          "expiresAt " + expiresAt + " is before issuedAt " + issuedAt);
    }
  }

  /**
   * Returns a new builder, with {@code tokenType} {@code Bearer}, no refresh token and no scopes.
   *
   * @return a new builder
   */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * Returns a builder that starts from this token set.
   *
   * @return a new builder holding this token set's components
   */
  public Builder toBuilder() {
    return new Builder()
        .accessToken(accessToken)
        .tokenType(tokenType)
        .refreshToken(refreshToken)
        .scopes(scopes)
        .issuedAt(issuedAt)
        .expiresAt(expiresAt);
  }

  /**
   * Returns the access token's lifetime.
   *
   * @return the time from {@code issuedAt} to {@code expiresAt}; never negative (zero for a token
   *     issued already expired)
   */
  public Duration lifetime() {
    return Duration.between(issuedAt, expiresAt);
  }

  /**
   * Returns whether this token set can be renewed with the refresh_token grant.
   *
   * @return {@code true} if it holds a refresh token
   */
  public boolean hasRefreshToken() {
    return refreshToken != null;
  }

  @Override
  public String toString() {
    return "TokenSet[accessToken="
        + Redaction.fingerprint(accessToken)
        + ", refreshToken="
        + Redaction.fingerprint(refreshToken)
        + ", tokenType="
        + tokenType
        + ", scopes="
        + scopes
        + ", issuedAt="
        + issuedAt
        + ", expiresAt="
        + expiresAt
        + "]";
  }

  /** Builds a {@link TokenSet}; {@code tokenType} defaults to {@code Bearer}. */
  public static final class Builder {
    private @Nullable String accessToken;
    private String tokenType = "Bearer";
    private @Nullable String refreshToken;
    private Set<String> scopes = Set.of();
    private @Nullable Instant issuedAt;
    private @Nullable Instant expiresAt;

    private Builder() {}

    /**
     * Sets the access token (required).
     *
     * @param accessToken the access token; not blank (checked by {@link #build()})
     * @return this builder
     */
    @CanIgnoreReturnValue
    public Builder accessToken(String accessToken) {
      this.accessToken = requireNonNull(accessToken, "accessToken");
      return this;
    }

    /**
     * Sets the token type (default {@code Bearer}).
     *
     * @param tokenType the token type, as the token endpoint sent it; not blank (checked by {@link
     *     #build()})
     * @return this builder
     */
    @CanIgnoreReturnValue
    public Builder tokenType(String tokenType) {
      this.tokenType = requireNonNull(tokenType, "tokenType");
      return this;
    }

    /**
     * Sets the refresh token (default none).
     *
     * @param refreshToken the refresh token, or {@code null} for none; not blank (checked by {@link
     *     #build()})
     * @return this builder
     */
    @CanIgnoreReturnValue
    public Builder refreshToken(@Nullable String refreshToken) {
      this.refreshToken = refreshToken;
      return this;
    }

    /**
     * Sets the granted scopes (default none, meaning unknown).
     *
     * @param scopes the scopes, one per element; copied, duplicates dropped
     * @return this builder
     */
    @CanIgnoreReturnValue
    public Builder scopes(Collection<String> scopes) {
      this.scopes = Set.copyOf(scopes);
      return this;
    }

    /**
     * Sets when the token set was issued (required).
     *
     * @param issuedAt when the token set was received
     * @return this builder
     */
    @CanIgnoreReturnValue
    public Builder issuedAt(Instant issuedAt) {
      this.issuedAt = requireNonNull(issuedAt, "issuedAt");
      return this;
    }

    /**
     * Sets when the access token expires (required).
     *
     * @param expiresAt the expiry; after the issue instant (checked by {@link #build()})
     * @return this builder
     */
    @CanIgnoreReturnValue
    public Builder expiresAt(Instant expiresAt) {
      this.expiresAt = requireNonNull(expiresAt, "expiresAt");
      return this;
    }

    /**
     * Builds the token set.
     *
     * @return the token set
     * @throws IllegalStateException if the access token, issue or expiry instant is missing
     * @throws IllegalArgumentException if a token is blank or the expiry is not after the issue
     *     instant
     */
    public TokenSet build() {
      if (accessToken == null || issuedAt == null || expiresAt == null) {
        throw new IllegalStateException("accessToken, issuedAt and expiresAt are required");
      }
      return new TokenSet(accessToken, tokenType, refreshToken, scopes, issuedAt, expiresAt);
    }
  }
}

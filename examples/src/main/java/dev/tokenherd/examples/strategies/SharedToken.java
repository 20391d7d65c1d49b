package dev.tokenherd.examples.strategies;

import static java.util.Objects.requireNonNull;

import java.time.Instant;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * The token as the peers keep it in Redis: one plain hash with three fields, no version, no fence.
 * {@link #toString()} shows no secret.
 *
 * @param accessToken the access token
 * @param refreshToken the refresh token
 * @param expiresAt when the access token expires
 */
public record SharedToken(String accessToken, String refreshToken, Instant expiresAt) {
  static final String ACCESS_TOKEN = "access_token";
  static final String REFRESH_TOKEN = "refresh_token";
  static final String EXPIRES_AT = "expires_at_ms";

  /** Validates the components. */
  public SharedToken {
    requireNonNull(accessToken, "accessToken");
    requireNonNull(refreshToken, "refreshToken");
    requireNonNull(expiresAt, "expiresAt");
  }

  /** Returns whether the access token is still valid at {@code now}. */
  public boolean isFreshAt(Instant now) {
    return now.isBefore(expiresAt);
  }

  /** Returns the hash fields. */
  public Map<String, String> toHash() {
    return Map.of(
        ACCESS_TOKEN,
        accessToken,
        REFRESH_TOKEN,
        refreshToken,
        EXPIRES_AT,
        Long.toString(expiresAt.toEpochMilli()));
  }

  /** Returns the token stored in {@code hash}, or {@code null} if the hash is empty or partial. */
  public static @Nullable SharedToken fromHash(Map<String, String> hash) {
    String access = hash.get(ACCESS_TOKEN);
    String refresh = hash.get(REFRESH_TOKEN);
    String expires = hash.get(EXPIRES_AT);
    if (access == null || refresh == null || expires == null) {
      return null;
    }
    return new SharedToken(access, refresh, Instant.ofEpochMilli(Long.parseLong(expires)));
  }

  @Override
  public String toString() {
    return "SharedToken[expiresAt=" + expiresAt + "]";
  }
}

package dev.tokenherd.testkit;

import dev.tokenherd.testkit.RecordedTokenRequest.Outcome;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ConcurrentMap;
import org.jspecify.annotations.Nullable;

/**
 * The tokens a {@link FakeAuthorizationServer} issued, grouped in families (everything descended
 * from one grant). Thread-safe; every request costs one or two hash lookups and, for a refresh, a
 * lock on its own family only, so requests for different families never contend.
 *
 * <p>Revoking a family sets one flag that every lookup checks, rather than deleting its tokens: it
 * is O(1) and a revoked token stays recognisable (it answers {@code invalid_grant}, not "unknown").
 * The price is that nothing is ever removed; a few hundred bytes per refresh is nothing for a test
 * or a benchmark run.
 */
final class TokenLedger {
  private static final Base64.Encoder TOKEN_ENCODING = Base64.getUrlEncoder().withoutPadding();
  private static final String JWT_HEADER =
      TOKEN_ENCODING.encodeToString(
          "{\"alg\":\"RS256\",\"typ\":\"at+jwt\"}".getBytes(StandardCharsets.UTF_8));
  private static final int TOKEN_BYTES = 32;

  private final SecureRandom random = new SecureRandom();
  private final Clock clock;
  private final RotationMode mode;
  private final Duration accessTokenTtl;
  private final Duration reuseGracePeriod;
  private final Runnable onFamilyRevoked;
  private final boolean wholeSecondIssueTimes;
  private final Duration issuedBeforeAnswer;
  private final boolean jwtAccessTokens;
  private final ConcurrentMap<String, AccessEntry> accessTokens = new ConcurrentHashMap<>();
  private final ConcurrentMap<String, RefreshEntry> refreshTokens = new ConcurrentHashMap<>();
  private final Queue<Family> families = new ConcurrentLinkedQueue<>();

  TokenLedger(
      Clock clock,
      RotationMode mode,
      Duration accessTokenTtl,
      Duration reuseGracePeriod,
      Runnable onFamilyRevoked,
      boolean wholeSecondIssueTimes,
      Duration issuedBeforeAnswer,
      boolean jwtAccessTokens) {
    this.wholeSecondIssueTimes = wholeSecondIssueTimes;
    this.issuedBeforeAnswer = issuedBeforeAnswer;
    this.jwtAccessTokens = jwtAccessTokens;
    this.clock = clock;
    this.mode = mode;
    this.accessTokenTtl = accessTokenTtl;
    this.reuseGracePeriod = reuseGracePeriod;
    this.onFamilyRevoked = onFamilyRevoked;
  }

  /** The outcome of a grant, and the tokens to answer with if it succeeded. */
  record Result(Outcome outcome, @Nullable TokenGrant grant) {}

  /** Starts a new family, with a refresh token or (client_credentials) without. */
  TokenGrant issue(String scope, boolean withRefreshToken) {
    Family family = new Family(scope);
    families.add(family);
    String refreshToken = null;
    if (withRefreshToken) {
      refreshToken = newToken();
      refreshTokens.put(refreshToken, new RefreshEntry(family));
    }
    synchronized (family) {
      return grantLocked(family, refreshToken, clock.instant());
    }
  }

  /** Applies the refresh_token grant under the rotation mode. */
  Result refresh(String refreshToken) {
    RefreshEntry entry = refreshTokens.get(refreshToken);
    if (entry == null) {
      return new Result(Outcome.INVALID_GRANT, null);
    }
    Family family = entry.family;
    // One lock per family: of many concurrent presentations of one refresh token, exactly one sees
    // it unrotated.
    synchronized (family) {
      if (family.revoked) {
        return new Result(Outcome.INVALID_GRANT, null);
      }
      Instant now = clock.instant();
      if (!mode.rotates()) {
        return new Result(Outcome.REFRESHED, grantLocked(family, refreshToken, now));
      }
      Instant rotatedAt = entry.rotatedAt;
      String successor = entry.successor;
      if (rotatedAt == null || successor == null) {
        String next = newToken();
        refreshTokens.put(next, new RefreshEntry(family));
        entry.rotatedAt = now;
        entry.successor = next;
        return new Result(Outcome.REFRESHED, grantLocked(family, next, now));
      }
      if (mode == RotationMode.ROTATE_WITH_GRACE_PERIOD
          && now.isBefore(rotatedAt.plus(reuseGracePeriod))) {
        return new Result(Outcome.GRACE_REUSE, grantLocked(family, successor, now));
      }
      if (mode != RotationMode.ROTATE_NO_FAMILY_REVOCATION) {
        revokeLocked(family);
      }
      return new Result(Outcome.REUSE_DETECTED, null);
    }
  }

  /** Revokes the family of an access or refresh token; returns whether the token was known. */
  boolean revokeFamilyOf(String token) {
    AccessEntry access = accessTokens.get(token);
    RefreshEntry refresh = refreshTokens.get(token);
    Family family = access != null ? access.family : refresh != null ? refresh.family : null;
    if (family == null) {
      return false;
    }
    synchronized (family) {
      revokeLocked(family);
    }
    return true;
  }

  void revokeAll() {
    for (Family family : families) {
      synchronized (family) {
        revokeLocked(family);
      }
    }
  }

  /**
   * Whether the access token is known, its family not revoked and it has not expired at {@code at}.
   */
  boolean isAccessTokenValid(String accessToken, Instant at) {
    AccessEntry entry = accessTokens.get(accessToken);
    if (entry == null) {
      return false;
    }
    // No lock: resource checks are the hot path, and the flag is volatile.
    return !entry.family.revoked && at.isBefore(entry.expiresAt);
  }

  /** Every access token issued so far, with its family's revocation, fingerprinted. */
  List<IssuedAccessToken> accessTokens() {
    List<IssuedAccessToken> issued = new ArrayList<>(accessTokens.size());
    for (Map.Entry<String, AccessEntry> e : accessTokens.entrySet()) {
      AccessEntry entry = e.getValue();
      issued.add(
          new IssuedAccessToken(
              Fingerprint.of(e.getKey()), entry.issuedAt, entry.expiresAt, entry.family.revokedAt));
    }
    return issued;
  }

  private void revokeLocked(Family family) {
    if (!family.revoked) {
      family.revokedAt = clock.instant();
      family.revoked = true;
      onFamilyRevoked.run();
    }
  }

  private TokenGrant grantLocked(Family family, @Nullable String refreshToken, Instant now) {
    // A server that counts whole seconds issues at the second begun, so a token lives between
    // ttl - 1 s and ttl from the moment it was issued.
    Instant issued =
        (wholeSecondIssueTimes ? now.truncatedTo(ChronoUnit.SECONDS) : now)
            .minus(issuedBeforeAnswer);
    Instant expiresAt = issued.plus(accessTokenTtl);
    String accessToken = jwtAccessTokens ? jwt(issued) : newToken();
    accessTokens.put(accessToken, new AccessEntry(family, issued, expiresAt));
    return new TokenGrant(accessToken, refreshToken, expiresAt, family.scope);
  }

  /**
   * An access token shaped as a signed JWT whose claims say when it was issued and expires, in
   * whole seconds (RFC 7519 NumericDate), as most servers write them. The signature is random.
   */
  private String jwt(Instant issued) {
    long iat = issued.getEpochSecond();
    String claims =
        "{\"iat\":"
            + iat
            + ",\"exp\":"
            + (iat + accessTokenTtl.toSeconds())
            + ",\"jti\":\""
            + newToken()
            + "\"}";
    return JWT_HEADER
        + "."
        + TOKEN_ENCODING.encodeToString(claims.getBytes(StandardCharsets.UTF_8))
        + "."
        + newToken();
  }

  private String newToken() {
    byte[] bytes = new byte[TOKEN_BYTES];
    random.nextBytes(bytes);
    return TOKEN_ENCODING.encodeToString(bytes);
  }

  /** Everything descended from one grant. Written under the family's own monitor. */
  private static final class Family {
    final String scope;
    volatile boolean revoked;
    // Written before the flag, so that a reader that sees the flag sees when it was set.
    volatile @Nullable Instant revokedAt;

    Family(String scope) {
      this.scope = scope;
    }
  }

  private record AccessEntry(Family family, Instant issuedAt, Instant expiresAt) {}

  /** A refresh token; its rotation fields are guarded by its family's monitor. */
  private static final class RefreshEntry {
    final Family family;
    @Nullable Instant rotatedAt;
    @Nullable String successor;

    RefreshEntry(Family family) {
      this.family = family;
    }
  }
}

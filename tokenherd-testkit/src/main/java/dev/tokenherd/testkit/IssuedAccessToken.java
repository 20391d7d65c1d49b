package dev.tokenherd.testkit;

import static java.util.Objects.requireNonNull;

import java.time.Instant;
import org.jspecify.annotations.Nullable;

/**
 * One access token a {@link FakeAuthorizationServer} issued, as its ledger knows it, for judging
 * after the fact whether the server considered a token valid when a client served it. Holds no
 * secret: the token appears only as a fingerprint ({@code sha256:} and 12 hex digits, the rendering
 * of Tokenherd's own redaction).
 *
 * @param fingerprint the fingerprint of the access token
 * @param issuedAt when the server issued it, by the server's clock
 * @param expiresAt when it expires, by the server's clock: valid strictly before this instant
 * @param revokedAt when its family was revoked (a reuse detection, {@link
 *     FakeAuthorizationServer#revokeFamilyOf}, {@link FakeAuthorizationServer#revokeAll}), or
 *     {@code null} if it was not
 */
public record IssuedAccessToken(
    String fingerprint, Instant issuedAt, Instant expiresAt, @Nullable Instant revokedAt) {

  /**
   * Validates the components.
   *
   * @param fingerprint the fingerprint of the access token
   * @param issuedAt when the server issued it
   * @param expiresAt when it expires
   * @param revokedAt when its family was revoked, or {@code null}
   */
  public IssuedAccessToken {
    requireNonNull(fingerprint, "fingerprint");
    requireNonNull(issuedAt, "issuedAt");
    requireNonNull(expiresAt, "expiresAt");
  }

  /**
   * Returns whether the server considered the token valid at {@code at}: issued, not yet expired
   * and its family not yet revoked.
   *
   * @param at the instant, by the server's clock
   * @return {@code true} if {@code issuedAt <= at < expiresAt} and not revoked at or before {@code
   *     at}
   */
  public boolean validAt(Instant at) {
    return !at.isBefore(issuedAt)
        && at.isBefore(expiresAt)
        && (revokedAt == null || at.isBefore(revokedAt));
  }
}

package dev.tokenherd.examples;

import dev.tokenherd.coordinator.TokenSet;
import dev.tokenherd.testkit.TokenGrant;
import java.time.Instant;

/** Turns what the fake authorization server issued into the token set a login would seed. */
public final class Grants {
  private Grants() {}

  /**
   * Returns the token set of {@code grant}, as received at {@code issuedAt}.
   *
   * @param grant what the fake server issued
   * @param issuedAt when it was received
   * @return the token set to seed
   */
  public static TokenSet tokenSet(TokenGrant grant, Instant issuedAt) {
    return TokenSet.builder()
        .accessToken(grant.accessToken())
        .refreshToken(grant.refreshToken())
        .scopes(grant.scopes())
        .issuedAt(issuedAt)
        .expiresAt(grant.expiresAt())
        .build();
  }
}

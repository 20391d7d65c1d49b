package dev.tokenherd.spring.authserver;

import static java.util.Objects.requireNonNull;

import org.jspecify.annotations.Nullable;
import org.springframework.security.oauth2.core.OAuth2RefreshToken;
import org.springframework.security.oauth2.server.authorization.OAuth2Authorization;
import org.springframework.security.oauth2.server.authorization.OAuth2AuthorizationService;
import org.springframework.security.oauth2.server.authorization.OAuth2TokenType;

/**
 * The authorization server's store, reporting to a {@link TokenEndpointLedger} every refresh token
 * it replaces. Saving compares the stored authorization with the new one under one lock, so the
 * ledger sees each replacement exactly once and in the order the store applied them. It changes
 * nothing the server decides: lookups are the delegate's, unlocked, as in production.
 */
final class RecordingAuthorizationService implements OAuth2AuthorizationService {
  private final OAuth2AuthorizationService delegate;
  private final TokenEndpointLedger ledger;

  RecordingAuthorizationService(OAuth2AuthorizationService delegate, TokenEndpointLedger ledger) {
    this.delegate = requireNonNull(delegate, "delegate");
    this.ledger = requireNonNull(ledger, "ledger");
  }

  @Override
  public synchronized void save(OAuth2Authorization authorization) {
    OAuth2Authorization stored = delegate.findById(authorization.getId());
    ledger.saving(refreshToken(stored), refreshToken(authorization));
    delegate.save(authorization);
  }

  @Override
  public synchronized void remove(OAuth2Authorization authorization) {
    delegate.remove(authorization);
  }

  @Override
  public @Nullable OAuth2Authorization findById(String id) {
    return delegate.findById(id);
  }

  @Override
  public @Nullable OAuth2Authorization findByToken(
      String token, @Nullable OAuth2TokenType tokenType) {
    return delegate.findByToken(token, tokenType);
  }

  private static @Nullable String refreshToken(@Nullable OAuth2Authorization authorization) {
    if (authorization == null) {
      return null;
    }
    OAuth2Authorization.Token<OAuth2RefreshToken> token = authorization.getRefreshToken();
    return token == null ? null : token.getToken().getTokenValue();
  }
}

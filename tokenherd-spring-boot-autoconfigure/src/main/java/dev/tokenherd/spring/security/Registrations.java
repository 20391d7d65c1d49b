package dev.tokenherd.spring.security;

import dev.tokenherd.coordinator.AccessToken;
import dev.tokenherd.coordinator.Renewal;
import dev.tokenherd.coordinator.TokenSet;
import dev.tokenherd.coordinator.oauth2.ClientAuthentication;
import dev.tokenherd.spring.security.RegistrationCredentials.Credential;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.HexFormat;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.security.authentication.AnonymousAuthenticationToken;
import org.springframework.security.core.Authentication;
import org.springframework.security.oauth2.client.OAuth2AuthorizedClient;
import org.springframework.security.oauth2.client.registration.ClientRegistration;
import org.springframework.security.oauth2.core.AuthorizationGrantType;
import org.springframework.security.oauth2.core.ClientAuthenticationMethod;
import org.springframework.security.oauth2.core.OAuth2AccessToken;
import org.springframework.security.oauth2.core.OAuth2RefreshToken;

/**
 * What a client registration and Spring's token objects mean to Tokenherd: the renewal and client
 * authentication of a registration, the token set a login seeds, the authorized client a caller
 * gets, and the principals and saves that are refused.
 */
final class Registrations {
  private static final Logger log = LoggerFactory.getLogger(Registrations.class);

  private Registrations() {}

  /**
   * Returns Spring's view of a token a coordinator served: the access token only. The refresh token
   * stays with Tokenherd, so that nothing in Spring can present it a second time.
   *
   * @param credential the credential
   * @param principalName the principal asking
   * @param token the token served
   * @return the authorized client
   */
  static OAuth2AuthorizedClient authorizedClient(
      Credential credential, String principalName, AccessToken token) {
    OAuth2AccessToken accessToken =
        new OAuth2AccessToken(
            OAuth2AccessToken.TokenType.BEARER,
            token.value(),
            null,
            token.expiresAt(),
            token.scopes());
    return new OAuth2AuthorizedClient(credential.registration(), principalName, accessToken);
  }

  /**
   * Returns the token set a login (or another manager's grant) gives the fleet, or {@code null}
   * when it cannot be shared: a user's credential without a refresh token would die with its access
   * token.
   */
  static TokenSet loginTokens(OAuth2AuthorizedClient client) {
    ClientRegistration registration = client.getClientRegistration();
    OAuth2RefreshToken refreshToken = client.getRefreshToken();
    if (refreshToken == null) {
      // Shared until it expires; then the user logs in again (once per expiry, not per call).
      log.info(
          "client registration '{}': the login brought no refresh token; its access token is"
              + " shared until it expires",
          registration.getRegistrationId());
    }
    OAuth2AccessToken access = client.getAccessToken();
    Instant issuedAt = access.getIssuedAt() == null ? Instant.now() : access.getIssuedAt();
    // No stated expiry: stored as expired, so the first use refreshes it (never served too long).
    Instant expiresAt = access.getExpiresAt() == null ? issuedAt : access.getExpiresAt();
    return TokenSet.builder()
        .accessToken(access.getTokenValue())
        .refreshToken(refreshToken == null ? null : refreshToken.getTokenValue())
        .scopes(access.getScopes())
        .issuedAt(issuedAt)
        .expiresAt(expiresAt)
        .build();
  }

  /**
   * Refuses a user's credential for an anonymous principal: every anonymous caller would share one
   * user's token. Spring keeps such clients in the HTTP session, which no other instance sees.
   */
  static void checkPrincipal(ClientRegistration registration, Authentication principal) {
    if (principal instanceof AnonymousAuthenticationToken && !clientCredentials(registration)) {
      throw new IllegalStateException(
          "client registration '"
              + registration.getRegistrationId()
              + "' is a user's login ("
              + registration.getAuthorizationGrantType().getValue()
              + "), asked for by an anonymous principal: Tokenherd shares a user's credential by"
              + " the authenticated principal; authenticate the user first, or use"
              + " client_credentials for the application's own calls");
    }
  }

  /**
   * Whether a save should be ignored: a client's own token saved by another manager (one that
   * requests tokens itself, outside the fleet's single flight).
   */
  static boolean foreignClientToken(OAuth2AuthorizedClient client) {
    if (!clientCredentials(client.getClientRegistration())) {
      return false;
    }
    log.warn(
        "client registration '{}': another OAuth2AuthorizedClientManager saved a"
            + " client_credentials token; it requests tokens outside the fleet's one refresh per"
            + " expiry. Use Tokenherd's manager (remove your own OAuth2AuthorizedClientManager"
            + " bean); the token was not stored",
        client.getClientRegistration().getRegistrationId());
    return true;
  }

  static Renewal renewal(ClientRegistration registration) {
    AuthorizationGrantType grant = registration.getAuthorizationGrantType();
    if (AuthorizationGrantType.CLIENT_CREDENTIALS.equals(grant)) {
      return Renewal.clientCredentials(registration.getScopes().toArray(String[]::new));
    }
    if (AuthorizationGrantType.AUTHORIZATION_CODE.equals(grant)
        || AuthorizationGrantType.REFRESH_TOKEN.equals(grant)) {
      return Renewal.refreshToken();
    }
    throw new IllegalStateException(
        "client registration '"
            + registration.getRegistrationId()
            + "' uses the grant "
            + grant.getValue()
            + "; Tokenherd shares client_credentials and authorization_code (refresh_token)"
            + " credentials");
  }

  static ClientAuthentication clientAuthentication(ClientRegistration registration) {
    ClientAuthenticationMethod method = registration.getClientAuthenticationMethod();
    if (ClientAuthenticationMethod.CLIENT_SECRET_BASIC.equals(method)) {
      return ClientAuthentication.CLIENT_SECRET_BASIC;
    }
    if (ClientAuthenticationMethod.CLIENT_SECRET_POST.equals(method)) {
      return ClientAuthentication.CLIENT_SECRET_POST;
    }
    if (ClientAuthenticationMethod.NONE.equals(method)) {
      return ClientAuthentication.NONE;
    }
    throw new IllegalStateException(
        "client registration '"
            + registration.getRegistrationId()
            + "' authenticates with "
            + method.getValue()
            + "; Tokenherd's token endpoint supports client_secret_basic, client_secret_post and"
            + " none");
  }

  static String sha256(String value) {
    try {
      byte[] digest =
          MessageDigest.getInstance("SHA-256").digest(value.getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(digest, 0, 16);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("the JDK has no SHA-256", e);
    }
  }

  static boolean clientCredentials(ClientRegistration registration) {
    return AuthorizationGrantType.CLIENT_CREDENTIALS.equals(
        registration.getAuthorizationGrantType());
  }
}

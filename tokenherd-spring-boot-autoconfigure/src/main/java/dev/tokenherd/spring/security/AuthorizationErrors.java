package dev.tokenherd.spring.security;

import dev.tokenherd.coordinator.CredentialNotFoundException;
import dev.tokenherd.coordinator.ReauthenticationReason;
import dev.tokenherd.coordinator.ReauthenticationRequiredException;
import dev.tokenherd.coordinator.TokenRefreshException;
import org.springframework.security.oauth2.client.ClientAuthorizationException;
import org.springframework.security.oauth2.client.ClientAuthorizationRequiredException;
import org.springframework.security.oauth2.core.OAuth2Error;
import org.springframework.security.oauth2.core.OAuth2ErrorCodes;

/**
 * Tokenherd's typed failures as the exceptions Spring Security's clients handle: the RestClient
 * interceptor and the WebClient filters hand them to their failure handler, and a web application
 * turns {@link ClientAuthorizationRequiredException} into a new login.
 */
final class AuthorizationErrors {
  /** RFC 6749 sec. 4.1.2.1: the server is temporarily unable to handle the request. */
  static final String TEMPORARILY_UNAVAILABLE = OAuth2ErrorCodes.TEMPORARILY_UNAVAILABLE;

  private AuthorizationErrors() {}

  /**
   * Returns Spring's exception for a failure of {@code registrationId}'s credential, with the typed
   * Tokenherd failure as its cause.
   */
  static ClientAuthorizationException of(
      String registrationId, boolean loginCredential, TokenRefreshException failure) {
    if (loginCredential
        && (failure instanceof CredentialNotFoundException
            || failure instanceof ReauthenticationRequiredException)) {
      // A user's credential that no instance holds, or that needs a new login: Spring's web
      // support redirects the user to log in again.
      ClientAuthorizationRequiredException login =
          new ClientAuthorizationRequiredException(registrationId);
      login.initCause(failure);
      return login;
    }
    return new ClientAuthorizationException(
        new OAuth2Error(errorCode(failure), failure.getMessage(), null),
        registrationId,
        failure.getMessage(),
        failure);
  }

  private static String errorCode(TokenRefreshException failure) {
    if (failure instanceof ReauthenticationRequiredException reauth) {
      return reauth.reason() == ReauthenticationReason.CLIENT_REJECTED
          ? OAuth2ErrorCodes.INVALID_CLIENT
          : OAuth2ErrorCodes.INVALID_GRANT;
    }
    if (failure instanceof CredentialNotFoundException) {
      return OAuth2ErrorCodes.INVALID_GRANT;
    }
    return TEMPORARILY_UNAVAILABLE;
  }
}

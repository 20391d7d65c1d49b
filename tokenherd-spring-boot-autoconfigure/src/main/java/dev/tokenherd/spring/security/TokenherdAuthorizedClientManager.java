package dev.tokenherd.spring.security;

import static java.util.Objects.requireNonNull;

import dev.tokenherd.coordinator.AccessToken;
import dev.tokenherd.coordinator.TokenRefreshException;
import dev.tokenherd.spring.security.RegistrationCredentials.Credential;
import org.jspecify.annotations.Nullable;
import org.springframework.security.oauth2.client.OAuth2AuthorizeRequest;
import org.springframework.security.oauth2.client.OAuth2AuthorizedClient;
import org.springframework.security.oauth2.client.OAuth2AuthorizedClientManager;
import org.springframework.security.oauth2.client.registration.ClientRegistration;
import org.springframework.security.oauth2.client.registration.ClientRegistrationRepository;

/**
 * An {@link OAuth2AuthorizedClientManager} whose tokens come from Tokenherd: however many instances
 * and threads authorize a registration, the fleet sends one token request per refresh, refreshes
 * ahead of expiry, and never presents a rotated refresh token twice. Everything that takes a
 * manager uses it unchanged: {@code OAuth2ClientHttpRequestInterceptor} (RestClient), the servlet
 * WebClient filter, {@code @RegisteredOAuth2AuthorizedClient}.
 *
 * <p>The authorized client it returns carries the access token only: the refresh token stays in
 * Tokenherd's store. A credential that needs a new login fails with {@code
 * ClientAuthorizationRequiredException}; every other failure with a {@code
 * ClientAuthorizationException} whose cause is Tokenherd's typed exception.
 */
public final class TokenherdAuthorizedClientManager implements OAuth2AuthorizedClientManager {
  private final ClientRegistrationRepository registrations;
  private final RegistrationCredentials credentials;

  /**
   * Creates the manager.
   *
   * @param registrations the client registrations (Boot's, from {@code
   *     spring.security.oauth2.client.*})
   * @param credentials the registrations as Tokenherd credentials
   */
  public TokenherdAuthorizedClientManager(
      ClientRegistrationRepository registrations, RegistrationCredentials credentials) {
    this.registrations = requireNonNull(registrations, "registrations");
    this.credentials = requireNonNull(credentials, "credentials");
  }

  @Override
  public @Nullable OAuth2AuthorizedClient authorize(OAuth2AuthorizeRequest request) {
    String registrationId = request.getClientRegistrationId();
    ClientRegistration registration = registrations.findByRegistrationId(registrationId);
    if (registration == null) {
      throw new IllegalArgumentException(
          "Could not find ClientRegistration with id '" + registrationId + "'");
    }
    Registrations.checkPrincipal(registration, request.getPrincipal());
    String principalName = request.getPrincipal().getName();
    Credential credential = credentials.credential(registration, principalName);
    try {
      AccessToken token = credentials.token(credential);
      return Registrations.authorizedClient(credential, principalName, token);
    } catch (TokenRefreshException e) {
      throw AuthorizationErrors.of(registrationId, !credential.shared(), e);
    }
  }
}

package dev.tokenherd.spring.security;

import static java.util.Objects.requireNonNull;

import dev.tokenherd.coordinator.CredentialNotFoundException;
import dev.tokenherd.coordinator.TokenRefreshException;
import dev.tokenherd.coordinator.TokenSet;
import dev.tokenherd.spring.security.RegistrationCredentials.Credential;
import java.util.concurrent.CompletionException;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.security.core.Authentication;
import org.springframework.security.oauth2.client.OAuth2AuthorizedClient;
import org.springframework.security.oauth2.client.OAuth2AuthorizedClientService;
import org.springframework.security.oauth2.client.registration.ClientRegistration;
import org.springframework.security.oauth2.client.registration.ClientRegistrationRepository;

/**
 * The {@link OAuth2AuthorizedClientService} of a fleet: a login on any instance seeds the
 * credential for every instance, and a resource server's rejection reaches the fleet.
 *
 * <ul>
 *   <li>{@link #saveAuthorizedClient}: after an {@code authorization_code} login, the access and
 *       refresh token are {@linkplain dev.tokenherd.coordinator.TokenCoordinator#seed seeded}
 *       fleet-wide, replacing what was stored (including a re-authentication-required state).
 *   <li>{@link #loadAuthorizedClient}: the credential's current access token, from any instance;
 *       {@code null} when no instance holds one.
 *   <li>{@link #removeAuthorizedClient}: what Spring's failure handlers call when a resource server
 *       answered 401 ({@code invalid_token}) or the token endpoint refused: the token is reported
 *       {@linkplain dev.tokenherd.coordinator.TokenCoordinator#rejected rejected}, so the fleet
 *       refreshes it once. The stored credential is never deleted: other instances serve it.
 * </ul>
 */
public final class TokenherdAuthorizedClientService implements OAuth2AuthorizedClientService {
  private static final Logger log = LoggerFactory.getLogger(TokenherdAuthorizedClientService.class);

  private final ClientRegistrationRepository registrations;
  private final RegistrationCredentials credentials;

  /**
   * Creates the service.
   *
   * @param registrations the client registrations
   * @param credentials the registrations as Tokenherd credentials
   */
  public TokenherdAuthorizedClientService(
      ClientRegistrationRepository registrations, RegistrationCredentials credentials) {
    this.registrations = requireNonNull(registrations, "registrations");
    this.credentials = requireNonNull(credentials, "credentials");
  }

  @Override
  @SuppressWarnings({"unchecked", "TypeParameterUnusedInFormals"}) // the interface's signature
  public <T extends OAuth2AuthorizedClient> @Nullable T loadAuthorizedClient(
      String clientRegistrationId, String principalName) {
    ClientRegistration registration = registrations.findByRegistrationId(clientRegistrationId);
    if (registration == null) {
      return null;
    }
    Credential credential = credentials.credential(registration, principalName);
    try {
      return (T)
          Registrations.authorizedClient(credential, principalName, credentials.token(credential));
    } catch (CredentialNotFoundException e) {
      return null;
    } catch (TokenRefreshException e) {
      throw AuthorizationErrors.of(clientRegistrationId, !credential.shared(), e);
    }
  }

  @Override
  public void saveAuthorizedClient(OAuth2AuthorizedClient client, Authentication principal) {
    ClientRegistration registration = client.getClientRegistration();
    if (Registrations.foreignClientToken(client)) {
      return;
    }
    TokenSet tokens = Registrations.loginTokens(client);
    Credential credential = credentials.credential(registration, principal.getName());
    try {
      credential.coordinator().seed(tokens).join();
    } catch (CompletionException e) {
      Throwable cause = e.getCause() == null ? e : e.getCause();
      if (cause instanceof TokenRefreshException failure) {
        throw AuthorizationErrors.of(
            registration.getRegistrationId(), !credential.shared(), failure);
      }
      throw e;
    }
  }

  @Override
  public void removeAuthorizedClient(String clientRegistrationId, String principalName) {
    ClientRegistration registration = registrations.findByRegistrationId(clientRegistrationId);
    if (registration == null) {
      return;
    }
    Credential credential = credentials.credential(registration, principalName);
    // Waits for the replacement (bounded by the policy's wait timeout), so that the caller's next
    // authorize gets it; a failure is the next authorize's to report, typed.
    try {
      credentials.rejected(credential).join();
    } catch (CompletionException e) {
      log.debug(
          "credential '{}': no replacement after a rejection: {}",
          credential.coordinator().key(),
          String.valueOf(e.getCause()));
    }
  }
}

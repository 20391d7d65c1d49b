package dev.tokenherd.spring.security;

import static java.util.Objects.requireNonNull;

import dev.tokenherd.spring.security.RegistrationCredentials.Credential;
import org.springframework.security.oauth2.client.OAuth2AuthorizeRequest;
import org.springframework.security.oauth2.client.OAuth2AuthorizedClient;
import org.springframework.security.oauth2.client.ReactiveOAuth2AuthorizedClientManager;
import org.springframework.security.oauth2.client.registration.ReactiveClientRegistrationRepository;
import reactor.core.publisher.Mono;

/**
 * The reactive {@link TokenherdAuthorizedClientManager}, for WebFlux's {@code
 * ServerOAuth2AuthorizedClientExchangeFilterFunction}: the same credentials, without blocking a
 * thread while a refresh runs.
 */
public final class ReactiveTokenherdAuthorizedClientManager
    implements ReactiveOAuth2AuthorizedClientManager {
  private final ReactiveClientRegistrationRepository registrations;
  private final RegistrationCredentials credentials;

  /**
   * Creates the manager.
   *
   * @param registrations the client registrations
   * @param credentials the registrations as Tokenherd credentials
   */
  public ReactiveTokenherdAuthorizedClientManager(
      ReactiveClientRegistrationRepository registrations, RegistrationCredentials credentials) {
    this.registrations = requireNonNull(registrations, "registrations");
    this.credentials = requireNonNull(credentials, "credentials");
  }

  @Override
  public Mono<OAuth2AuthorizedClient> authorize(OAuth2AuthorizeRequest request) {
    String registrationId = request.getClientRegistrationId();
    String principalName = request.getPrincipal().getName();
    return registrations
        .findByRegistrationId(registrationId)
        .switchIfEmpty(
            Mono.error(
                () ->
                    new IllegalArgumentException(
                        "Could not find ClientRegistration with id '" + registrationId + "'")))
        .flatMap(
            registration -> {
              Registrations.checkPrincipal(registration, request.getPrincipal());
              Credential credential = credentials.credential(registration, principalName);
              // suppressCancel: the future may be shared with other callers (TokenCoordinator).
              return ReactiveErrors.typed(
                  Mono.fromFuture(() -> credentials.tokenAsync(credential), true)
                      .map(
                          token ->
                              Registrations.authorizedClient(credential, principalName, token)),
                  registrationId,
                  !credential.shared());
            });
  }
}

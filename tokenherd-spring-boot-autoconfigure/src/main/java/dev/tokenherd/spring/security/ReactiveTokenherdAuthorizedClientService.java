package dev.tokenherd.spring.security;

import static java.util.Objects.requireNonNull;

import dev.tokenherd.coordinator.CredentialNotFoundException;
import dev.tokenherd.coordinator.TokenSet;
import dev.tokenherd.spring.security.RegistrationCredentials.Credential;
import org.springframework.security.core.Authentication;
import org.springframework.security.oauth2.client.OAuth2AuthorizedClient;
import org.springframework.security.oauth2.client.ReactiveOAuth2AuthorizedClientService;
import org.springframework.security.oauth2.client.registration.ReactiveClientRegistrationRepository;
import reactor.core.publisher.Mono;

/**
 * The WebFlux twin of {@link TokenherdAuthorizedClientService}: a login on any instance seeds the
 * credential for all of them, {@code remove} reports the token rejected, and nothing blocks.
 */
public final class ReactiveTokenherdAuthorizedClientService
    implements ReactiveOAuth2AuthorizedClientService {
  private final ReactiveClientRegistrationRepository registrations;
  private final RegistrationCredentials credentials;

  /**
   * Creates the service.
   *
   * @param registrations the client registrations
   * @param credentials the registrations as Tokenherd credentials
   */
  public ReactiveTokenherdAuthorizedClientService(
      ReactiveClientRegistrationRepository registrations, RegistrationCredentials credentials) {
    this.registrations = requireNonNull(registrations, "registrations");
    this.credentials = requireNonNull(credentials, "credentials");
  }

  @Override
  @SuppressWarnings({"unchecked", "TypeParameterUnusedInFormals"}) // the interface's signature
  public <T extends OAuth2AuthorizedClient> Mono<T> loadAuthorizedClient(
      String clientRegistrationId, String principalName) {
    return registrations
        .findByRegistrationId(clientRegistrationId)
        .flatMap(
            registration -> {
              Credential credential = credentials.credential(registration, principalName);
              return ReactiveErrors.typed(
                  Mono.fromFuture(() -> credentials.tokenAsync(credential), true)
                      .map(
                          token ->
                              (T) Registrations.authorizedClient(credential, principalName, token))
                      .onErrorResume(
                          e -> ReactiveErrors.unwrap(e) instanceof CredentialNotFoundException,
                          e -> Mono.empty()),
                  clientRegistrationId,
                  !credential.shared());
            });
  }

  @Override
  public Mono<Void> saveAuthorizedClient(OAuth2AuthorizedClient client, Authentication principal) {
    if (Registrations.foreignClientToken(client)) {
      return Mono.empty();
    }
    TokenSet tokens = Registrations.loginTokens(client);
    Credential credential =
        credentials.credential(client.getClientRegistration(), principal.getName());
    return ReactiveErrors.typed(
            Mono.fromFuture(() -> credential.coordinator().seed(tokens)),
            client.getClientRegistration().getRegistrationId(),
            !credential.shared())
        .then();
  }

  @Override
  public Mono<Void> removeAuthorizedClient(String clientRegistrationId, String principalName) {
    return registrations
        .findByRegistrationId(clientRegistrationId)
        .flatMap(
            registration ->
                Mono.fromFuture(
                        () ->
                            credentials.rejected(
                                credentials.credential(registration, principalName)))
                    // A failure is the next authorize's to report, typed.
                    .onErrorResume(e -> Mono.empty()))
        .then();
  }
}

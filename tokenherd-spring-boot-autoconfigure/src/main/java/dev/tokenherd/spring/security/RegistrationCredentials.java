package dev.tokenherd.spring.security;

import static java.util.Objects.requireNonNull;

import dev.tokenherd.TokenHerd;
import dev.tokenherd.coordinator.AccessToken;
import dev.tokenherd.coordinator.Renewal;
import dev.tokenherd.coordinator.TokenCoordinator;
import dev.tokenherd.coordinator.TokenKey;
import dev.tokenherd.coordinator.TokenSet;
import dev.tokenherd.coordinator.oauth2.ClientAuthentication;
import dev.tokenherd.coordinator.oauth2.OAuth2TokenEndpoint;
import dev.tokenherd.coordinator.spi.TokenEndpoint;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;
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
 * Spring Security's client registrations as Tokenherd credentials: which {@link TokenKey} a
 * registration (and, for a login, a principal) is shared under, its token endpoint and how it is
 * renewed. The managers and the authorized-client service share one instance, so that every path
 * into a credential uses the same coordinator.
 *
 * <ul>
 *   <li>{@code client_credentials}: one credential per registration, {@code <registrationId>},
 *       shared by every instance and every principal (the token belongs to the client).
 *   <li>{@code authorization_code} (a login): one credential per registration and principal, {@code
 *       <registrationId>:<principal>} (or a SHA-256 of the principal's name when it has characters
 *       a key may not hold), renewed with its refresh token and seeded by the login.
 * </ul>
 *
 * <p>Token endpoints are built from the registration: its token URI, client id and secret, and
 * {@code client_secret_basic}, {@code client_secret_post} or {@code none}. Other client
 * authentication methods are refused with an {@link IllegalStateException} that names the
 * registration.
 */
public final class RegistrationCredentials {
  private static final Logger log = LoggerFactory.getLogger(RegistrationCredentials.class);

  /**
   * How long after a rejection-triggered refresh another rejection of the credential only returns
   * the current token: a resource server that refuses every token (a wrong audience) costs one
   * token request per window, not one per call.
   */
  static final Duration REJECTION_COOLDOWN = Duration.ofSeconds(10);

  /** How long the token a thread was served counts as the one its next 401 was for. */
  private static final Duration SERVED_MEMORY = Duration.ofSeconds(30);

  private final TokenHerd herd;
  private final Map<String, TokenEndpoint> endpoints = new ConcurrentHashMap<>();
  private final Map<TokenKey, Credential> credentials = new ConcurrentHashMap<>();
  private final List<Observer> observers = new CopyOnWriteArrayList<>();

  /**
   * The last token served on each thread: one slot, so a thread holds at most one token. Static
   * (one per thread, whatever the instance); the key says which credential it was.
   */
  private static final ThreadLocal<@Nullable Served> servedHere = new ThreadLocal<>();

  /** The last rejection-triggered refresh per credential (System.nanoTime()). */
  private final Map<TokenKey, Long> lastRejection = new ConcurrentHashMap<>();

  private record Served(TokenKey key, String token, long at) {}

  /**
   * Creates the mapping over a herd.
   *
   * @param herd the herd whose coordinators serve the registrations
   */
  public RegistrationCredentials(TokenHerd herd) {
    this.herd = requireNonNull(herd, "herd");
  }

  /**
   * A credential served to Spring: its registration, the principal it belongs to (null for a
   * client's own credential) and its coordinator.
   *
   * @param registration the client registration
   * @param principalName the principal of a login; {@code null} for {@code client_credentials}
   * @param coordinator the coordinator serving it
   */
  public record Credential(
      ClientRegistration registration,
      @Nullable String principalName,
      TokenCoordinator coordinator) {

    /**
     * Whether the credential belongs to the client (one per registration) rather than a user.
     *
     * @return true for {@code client_credentials}
     */
    public boolean shared() {
      return principalName == null;
    }

    /** Names the credential only: a {@code ClientRegistration} prints its client secret. */
    @Override
    public String toString() {
      return "Credential[" + coordinator.key() + "]";
    }
  }

  /**
   * Returns the credential of a registration for a principal, creating its coordinator on first
   * use.
   *
   * @param registration the client registration
   * @param principalName the principal asking; ignored for {@code client_credentials}
   * @return the credential
   * @throws IllegalStateException if the registration's grant or client authentication method is
   *     not one Tokenherd renews
   */
  public Credential credential(ClientRegistration registration, String principalName) {
    boolean clientOwned = clientCredentials(registration);
    String principal = clientOwned ? null : principalName;
    TokenKey key = key(registration, principal);
    Credential known = credentials.get(key);
    if (known != null) {
      return known; // the common case: no lambda, no allocation
    }
    boolean[] created = {false};
    Credential credential =
        credentials.computeIfAbsent(
            key,
            k -> {
              created[0] = true;
              return new Credential(
                  registration,
                  principal,
                  herd.coordinator(k, endpoint(registration), renewal(registration)));
            });
    if (created[0]) {
      tell(observer -> observer.created(credential));
    }
    return credential;
  }

  /**
   * Returns every credential served so far, for metrics and health.
   *
   * @return a snapshot of the credentials
   */
  public List<Credential> credentials() {
    return List.copyOf(credentials.values());
  }

  /**
   * What metrics and health learn from the credentials: each credential once, every caller's wait
   * and every token request.
   */
  public interface Observer {
    /**
     * A credential was served for the first time in this instance.
     *
     * @param credential the credential
     */
    default void created(Credential credential) {}

    /**
     * A caller waited {@code waited} for a token of {@code credential}.
     *
     * @param credential the credential
     * @param waited how long {@link #token} or {@link #tokenAsync} took
     * @param failure why no token was had, or {@code null}
     */
    default void waited(Credential credential, Duration waited, @Nullable Throwable failure) {}

    /**
     * A token request to {@code registration}'s endpoint was answered (or failed).
     *
     * @param registration the client registration
     * @param took how long the token endpoint took
     * @param failure why it failed, or {@code null}
     */
    default void tokenRequest(
        ClientRegistration registration, Duration took, @Nullable Throwable failure) {}
  }

  /**
   * Adds an observer; it is told of every credential already served at once.
   *
   * @param observer the observer
   */
  public void observe(Observer observer) {
    observers.add(requireNonNull(observer, "observer"));
    credentials.values().forEach(observer::created);
  }

  /**
   * Returns a valid token of the credential, blocking as {@link TokenCoordinator#token()} does, and
   * remembers on this thread which token was served, for {@link #rejected}.
   *
   * @param credential the credential
   * @return the token
   * @throws dev.tokenherd.coordinator.TokenRefreshException if none can be had
   */
  public AccessToken token(Credential credential) {
    long start = System.nanoTime();
    try {
      AccessToken token = credential.coordinator().token();
      servedHere.set(new Served(credential.coordinator().key(), token.value(), System.nanoTime()));
      waited(credential, start, null);
      return token;
    } catch (RuntimeException e) {
      waited(credential, start, e);
      throw e;
    }
  }

  /**
   * Returns a valid token of the credential asynchronously.
   *
   * @param credential the credential
   * @return a future of the token
   */
  public CompletableFuture<AccessToken> tokenAsync(Credential credential) {
    long start = System.nanoTime();
    return credential
        .coordinator()
        .tokenAsync()
        .whenComplete((token, failure) -> waited(credential, start, failure));
  }

  /**
   * Tells the fleet that a resource server rejected the credential's token (HTTP 401): the token
   * this thread was last served, or else the current one, is refreshed at most once fleet-wide.
   *
   * @param credential the credential
   * @return a future of the replacement
   */
  public CompletableFuture<AccessToken> rejected(Credential credential) {
    TokenCoordinator coordinator = credential.coordinator();
    TokenKey key = coordinator.key();
    Served served = servedHere.get();
    servedHere.remove();
    long now = System.nanoTime();
    Long last = lastRejection.get(key);
    if (last != null && now - last < REJECTION_COOLDOWN.toNanos()) {
      return coordinator.tokenAsync(); // refreshed for a rejection moments ago
    }
    lastRejection.put(key, now);
    if (served != null && served.key().equals(key) && now - served.at() < SERVED_MEMORY.toNanos()) {
      return coordinator.rejected(served.token()); // refreshes only if still the current one
    }
    // Not served on this thread (a reactive client): the current token, at most once per window.
    return coordinator.tokenAsync().thenCompose(current -> coordinator.rejected(current.value()));
  }

  /**
   * Tells every observer, never letting one's failure reach the caller: a meter registry that
   * throws must not turn a stored rotation into a failed refresh.
   */
  private void tell(Consumer<Observer> event) {
    for (Observer observer : observers) {
      try {
        event.accept(observer);
      } catch (RuntimeException e) {
        log.warn("a Tokenherd observer failed; the token is unaffected: {}", e.toString());
      }
    }
  }

  private void waited(Credential credential, long start, @Nullable Throwable failure) {
    Duration waited = Duration.ofNanos(System.nanoTime() - start);
    tell(observer -> observer.waited(credential, waited, failure));
  }

  /**
   * Returns the key a registration and principal are shared under.
   *
   * @param registration the client registration
   * @param principalName the principal of a login, or {@code null} for the client's own
   * @return the key
   */
  public static TokenKey key(ClientRegistration registration, @Nullable String principalName) {
    // The client's identity is in the key: two applications sharing a Redis that both name a
    // registration "keycloak" but are different clients (or servers) never share a credential.
    String client =
        registration.getRegistrationId()
            + "."
            + sha256(
                    registration.getProviderDetails().getTokenUri()
                        + " "
                        + registration.getClientId())
                .substring(0, 12);
    if (principalName == null) {
      return TokenKey.of(client);
    }
    // Always hashed: no user name (often an e-mail) in Redis keys, logs or errors, and no name
    // that could pass for another user's hash.
    return TokenKey.of(client + ":u-" + sha256(principalName));
  }

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

  /**
   * Whether a registration is the client's own credential (client_credentials).
   *
   * @param registration the client registration
   * @return true for client_credentials
   */
  public static boolean clientCredentials(ClientRegistration registration) {
    return AuthorizationGrantType.CLIENT_CREDENTIALS.equals(
        registration.getAuthorizationGrantType());
  }

  private static Renewal renewal(ClientRegistration registration) {
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

  private TokenEndpoint endpoint(ClientRegistration registration) {
    return endpoints.computeIfAbsent(
        registration.getRegistrationId(), id -> newEndpoint(registration));
  }

  private TokenEndpoint newEndpoint(ClientRegistration registration) {
    String tokenUri = registration.getProviderDetails().getTokenUri();
    if (tokenUri == null || tokenUri.isBlank()) {
      throw new IllegalStateException(
          "client registration '"
              + registration.getRegistrationId()
              + "' has no token URI: set spring.security.oauth2.client.provider.<name>.token-uri"
              + " or issuer-uri");
    }
    OAuth2TokenEndpoint.Builder endpoint =
        OAuth2TokenEndpoint.builder()
            .tokenUri(URI.create(tokenUri))
            .clientId(registration.getClientId())
            .clientAuthentication(clientAuthentication(registration));
    String secret = registration.getClientSecret();
    if (secret != null && !secret.isEmpty()) {
      endpoint.clientSecret(secret);
    }
    TokenEndpoint built = endpoint.build();
    return request -> {
      long start = System.nanoTime();
      return built
          .requestToken(request)
          .whenComplete(
              (response, failure) -> {
                Duration took = Duration.ofNanos(System.nanoTime() - start);
                tell(observer -> observer.tokenRequest(registration, took, failure));
              });
    };
  }

  private static ClientAuthentication clientAuthentication(ClientRegistration registration) {
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

  private static String sha256(String value) {
    try {
      byte[] digest =
          MessageDigest.getInstance("SHA-256").digest(value.getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(digest, 0, 16);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("the JDK has no SHA-256", e);
    }
  }
}

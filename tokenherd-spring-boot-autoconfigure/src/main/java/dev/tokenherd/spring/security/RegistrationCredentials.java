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
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
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
  private static final Pattern KEY_SAFE = Pattern.compile("[A-Za-z0-9._@/-]{1,100}");

  private final TokenHerd herd;
  private final Map<String, TokenEndpoint> endpoints = new ConcurrentHashMap<>();
  private final Map<TokenKey, Credential> credentials = new ConcurrentHashMap<>();
  private final List<Observer> observers = new CopyOnWriteArrayList<>();
  private final ThreadLocal<Map<TokenKey, String>> servedHere =
      ThreadLocal.withInitial(HashMap::new);

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
      observers.forEach(observer -> observer.created(credential));
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
      servedHere.get().put(credential.coordinator().key(), token.value());
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
    String served = servedHere.get().remove(coordinator.key());
    if (served != null) {
      return coordinator.rejected(served);
    }
    return coordinator.tokenAsync().thenCompose(current -> coordinator.rejected(current.value()));
  }

  private void waited(Credential credential, long start, @Nullable Throwable failure) {
    Duration waited = Duration.ofNanos(System.nanoTime() - start);
    for (Observer observer : observers) {
      observer.waited(credential, waited, failure);
    }
  }

  /**
   * Returns the key a registration and principal are shared under.
   *
   * @param registration the client registration
   * @param principalName the principal of a login, or {@code null} for the client's own
   * @return the key
   */
  public static TokenKey key(ClientRegistration registration, @Nullable String principalName) {
    String id = registration.getRegistrationId();
    if (principalName == null) {
      return TokenKey.of(id);
    }
    String principal =
        KEY_SAFE.matcher(principalName).matches()
            ? principalName
            : "sha256-" + sha256(principalName);
    return TokenKey.of(id + ":" + principal);
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
  static @Nullable TokenSet loginTokens(OAuth2AuthorizedClient client) {
    ClientRegistration registration = client.getClientRegistration();
    OAuth2RefreshToken refreshToken = client.getRefreshToken();
    if (refreshToken == null && !clientCredentials(registration)) {
      log.warn(
          "client registration '{}': the authorization server issued no refresh token, so the"
              + " login cannot be shared with the fleet",
          registration.getRegistrationId());
      return null;
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

  static boolean clientCredentials(ClientRegistration registration) {
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
                for (Observer observer : observers) {
                  observer.tokenRequest(registration, took, failure);
                }
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

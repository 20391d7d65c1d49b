package dev.tokenherd.spring.security;

import static java.util.Objects.requireNonNull;

import dev.tokenherd.TokenHerd;
import dev.tokenherd.coordinator.AccessToken;
import dev.tokenherd.coordinator.TokenCoordinator;
import dev.tokenherd.coordinator.TokenKey;
import dev.tokenherd.coordinator.oauth2.OAuth2TokenEndpoint;
import dev.tokenherd.coordinator.spi.TokenEndpoint;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.security.oauth2.client.registration.ClientRegistration;

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

  /** How long the token a thread was served counts as the one its next 401 was for. */
  private static final Duration SERVED_MEMORY = Duration.ofSeconds(30);

  /** Default idle time after which an instance stops serving a user's credential: 30 minutes. */
  public static final Duration DEFAULT_USER_IDLE_TIMEOUT = Duration.ofMinutes(30);

  private final TokenHerd herd;
  private final Clock clock;
  private final long userIdleMillis;

  /** Users' credentials only: when each was last asked for (clock millis). */
  private final Map<TokenKey, Long> lastUsed = new ConcurrentHashMap<>();

  private volatile long nextSweep;
  private final Map<String, TokenEndpoint> endpoints = new ConcurrentHashMap<>();
  private final Map<TokenKey, Credential> credentials = new ConcurrentHashMap<>();
  private final List<Observer> observers = new CopyOnWriteArrayList<>();

  /**
   * The last token served on each thread: one slot, so a thread holds at most one token. Static
   * (one per thread, whatever the instance); the key says which credential it was.
   */
  private static final ThreadLocal<@Nullable Served> servedHere = new ThreadLocal<>();

  private record Served(TokenKey key, String token, long at) {}

  /**
   * Creates the mapping over a herd.
   *
   * @param herd the herd whose coordinators serve the registrations
   */
  public RegistrationCredentials(TokenHerd herd) {
    this(herd, Clock.systemUTC(), DEFAULT_USER_IDLE_TIMEOUT);
  }

  /**
   * Creates the mapping over a herd, releasing users' credentials left idle.
   *
   * @param herd the herd whose coordinators serve the registrations
   * @param clock the clock idleness is measured on
   * @param userIdleTimeout how long a user's credential may go unused before this instance stops
   *     serving it ({@link TokenHerd#remove}: its coordinator, timers and subscription go; the
   *     stored credential stays for the fleet, and the user's next call serves it again)
   */
  public RegistrationCredentials(TokenHerd herd, Clock clock, Duration userIdleTimeout) {
    this.herd = requireNonNull(herd, "herd");
    this.clock = requireNonNull(clock, "clock");
    if (userIdleTimeout.isNegative() || userIdleTimeout.isZero()) {
      throw new IllegalArgumentException("userIdleTimeout must be positive: " + userIdleTimeout);
    }
    this.userIdleMillis = userIdleTimeout.toMillis();
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
  @SuppressWarnings("ReferenceEquality") // the very instance served, not an equal one
  public Credential credential(ClientRegistration registration, String principalName) {
    boolean clientOwned = clientCredentials(registration);
    String principal = clientOwned ? null : principalName;
    TokenKey key = key(registration, principal);
    while (true) {
      Credential credential = credentialFor(key, registration, principal);
      if (clientOwned) {
        return credential;
      }
      long now = clock.millis();
      lastUsed.put(key, now);
      // Still the one served: a sweep that took it before the use above was recorded makes the
      // loop serve a new one (the stored credential is untouched).
      if (credentials.get(key) == credential) {
        sweepIdleUsers(now);
        return credential;
      }
    }
  }

  private Credential credentialFor(
      TokenKey key, ClientRegistration registration, @Nullable String principal) {
    Credential known = credentials.get(key);
    if (known != null) {
      return known; // the common case: no lambda
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
                  herd.coordinator(k, endpoint(registration), Registrations.renewal(registration)));
            });
    if (created[0]) {
      tell(observer -> observer.created(credential));
    }
    return credential;
  }

  /**
   * Stops serving users' credentials nobody asked for in {@link #DEFAULT_USER_IDLE_TIMEOUT} (or the
   * configured time), at most once a minute: a fleet with many logins does not keep a coordinator
   * and a Redis subscription per user forever.
   */
  private void sweepIdleUsers(long now) {
    if (now < nextSweep) {
      return;
    }
    nextSweep = now + Math.min(userIdleMillis, 60_000);
    for (TokenKey key : List.copyOf(lastUsed.keySet())) {
      Credential[] removed = {null};
      credentials.computeIfPresent(
          key,
          (k, credential) -> {
            Long used = lastUsed.get(k);
            if (used != null && now - used > userIdleMillis) {
              removed[0] = credential;
              return null;
            }
            return credential;
          });
      if (removed[0] != null) {
        lastUsed.remove(key);
        // Settles at once unless a refresh of its was under way; nothing to wait for here.
        var unused = herd.remove(key);
      }
    }
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
    if (served != null && served.key().equals(key) && now - served.at() < SERVED_MEMORY.toNanos()) {
      return coordinator.rejected(served.token()); // refreshes only if still the current one
    }
    // Not served on this thread (a reactive client): the current token. The coordinator refreshes
    // for rejections at most once per TokenCoordinator.REJECTION_COOLDOWN.
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
            + Registrations.sha256(
                    registration.getProviderDetails().getTokenUri()
                        + " "
                        + registration.getClientId())
                .substring(0, 12);
    if (principalName == null) {
      return TokenKey.of(client);
    }
    // Always hashed: no user name (often an e-mail) in Redis keys, logs or errors, and no name
    // that could pass for another user's hash.
    return TokenKey.of(client + ":u-" + Registrations.sha256(principalName));
  }

  /**
   * Whether a registration is the client's own credential (client_credentials).
   *
   * @param registration the client registration
   * @return true for client_credentials
   */
  public static boolean clientCredentials(ClientRegistration registration) {
    return Registrations.clientCredentials(registration);
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
            .clientAuthentication(Registrations.clientAuthentication(registration));
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
}

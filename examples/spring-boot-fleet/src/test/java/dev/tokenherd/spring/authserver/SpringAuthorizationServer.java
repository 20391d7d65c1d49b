package dev.tokenherd.spring.authserver;

import static java.util.Objects.requireNonNull;

import com.google.errorprone.annotations.CanIgnoreReturnValue;
import dev.tokenherd.testkit.StartupTimeout;
import java.net.URI;
import java.net.http.HttpClient;
import java.time.Clock;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * A real OAuth 2.0 authorization server for tests: Spring Authorization Server (Spring Security
 * 7.1) in its own Spring Boot application and context, on a free port of 127.0.0.1. It issues
 * self-signed JWT access tokens (an RSA key generated per server), rotates refresh tokens unless
 * told otherwise, and keeps a ledger of every token-endpoint request as the server answered it.
 *
 * <p>Two clients are registered, both authenticating with {@code client_secret_basic}: {@link
 * #clientCredentialsClient()} (grant {@code client_credentials}) and {@link
 * #authorizationCodeClient()} (grants {@code authorization_code} and {@code refresh_token}, no
 * consent page). One user, {@link #username()}, can log in through the form login.
 *
 * <p>The Boot application imports only the auto-configurations it needs (Tomcat, the dispatcher
 * servlet, the security filter registration) and loads no {@code application.properties}; its
 * configuration classes carry no stereotype, so no component scan of another test's application
 * picks them up, and this application picks up nothing of theirs.
 *
 * <pre>{@code
 * try (SpringAuthorizationServer server =
 *     SpringAuthorizationServer.builder().accessTokenTtl(Duration.ofSeconds(5)).start()) {
 *   GrantedTokens initial = server.authorizationCodeGrant(); // login + authorize + code exchange
 *   ... // refresh through the code under test, against server.tokenUri()
 *   assertThat(server.reusedRefreshTokens()).isEmpty();
 * }
 * }</pre>
 *
 * <p>Thread-safe: the ledger may be read while requests are in flight.
 */
public final class SpringAuthorizationServer implements AutoCloseable {
  /** The default access-token time-to-live: five minutes, Spring Authorization Server's own. */
  public static final Duration DEFAULT_ACCESS_TOKEN_TTL = Duration.ofMinutes(5);

  /** The default refresh-token time-to-live: eight hours, long enough for any test. */
  public static final Duration DEFAULT_REFRESH_TOKEN_TTL = Duration.ofHours(8);

  /** The scope both clients may ask for, and are granted when they ask for none. */
  public static final String SCOPE = "api.read api.write";

  static final String USERNAME = "fleet-user";
  private static final String GRANT_CLIENT_CREDENTIALS = "client_credentials";
  private static final String GRANT_REFRESH_TOKEN = "refresh_token";
  // Never contacted: the flow reads the code from the redirect and stops. A loopback IP literal:
  // Spring Authorization Server lets a request name any port on it (RFC 8252 section 7.3), while
  // every other redirect URI, "localhost" included, must match the registration exactly.
  static final URI REDIRECT_URI = URI.create("http://127.0.0.1/authorized");

  private final AuthorizationServerApplication.Settings settings;
  private final TokenEndpointLedger ledger;
  private final ConfigurableApplicationContext context;
  private final URI issuer;
  private final Duration httpTimeout;
  private final TokenEndpointClient tokenEndpoint;

  private SpringAuthorizationServer(Builder builder) {
    this.settings =
        new AuthorizationServerApplication.Settings(
            builder.accessTokenTtl,
            builder.refreshTokenTtl,
            builder.reuseRefreshTokens,
            new OAuthClient("tokenherd-service", "service-" + UUID.randomUUID()),
            new OAuthClient("tokenherd-fleet", "fleet-" + UUID.randomUUID()),
            "password-" + UUID.randomUUID());
    this.ledger = new TokenEndpointLedger(Clock.systemUTC());
    this.context =
        new SpringApplicationBuilder(AuthorizationServerApplication.class)
            .web(WebApplicationType.SERVLET)
            .initializers(
                context -> {
                  context.getBeanFactory().registerSingleton("tokenherdFixtureSettings", settings);
                  context
                      .getBeanFactory()
                      .registerSingleton("tokenherdTokenEndpointLedger", ledger);
                })
            .run(BootArguments.forApplication("tokenherd-authorization-server"));
    int port = context.getEnvironment().getRequiredProperty("local.server.port", Integer.class);
    this.issuer = URI.create("http://127.0.0.1:" + port);
    // Requests to a loaded machine's fresh server: the start-up timeout, not a tight deadline.
    this.httpTimeout = StartupTimeout.get();
    this.tokenEndpoint =
        new TokenEndpointClient(
            HttpClient.newBuilder().connectTimeout(httpTimeout).build(), tokenUri(), httpTimeout);
  }

  /**
   * Returns a builder with the defaults: {@link #DEFAULT_ACCESS_TOKEN_TTL}, {@link
   * #DEFAULT_REFRESH_TOKEN_TTL}, rotation on ({@code reuseRefreshTokens(false)}).
   *
   * @return a new builder
   */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * Returns the issuer: {@code http://127.0.0.1:<port>}, the {@code iss} of every access token.
   *
   * @return the issuer URI, without a trailing slash
   */
  public URI issuerUri() {
    return issuer;
  }

  /**
   * Returns the token endpoint, {@code <issuer>/oauth2/token}.
   *
   * @return the token endpoint URI
   */
  public URI tokenUri() {
    return issuer.resolve("/oauth2/token");
  }

  /**
   * Returns the authorization endpoint, {@code <issuer>/oauth2/authorize}.
   *
   * @return the authorization endpoint URI
   */
  public URI authorizationUri() {
    return issuer.resolve("/oauth2/authorize");
  }

  /**
   * Returns the JWK set endpoint, {@code <issuer>/oauth2/jwks}, which serves the public key that
   * signs the access tokens.
   *
   * @return the JWK set URI
   */
  public URI jwkSetUri() {
    return issuer.resolve("/oauth2/jwks");
  }

  /**
   * Returns the client registered for the {@code client_credentials} grant.
   *
   * @return its id and secret ({@code client_secret_basic})
   */
  public OAuthClient clientCredentialsClient() {
    return settings.serviceClient();
  }

  /**
   * Returns the client registered for the {@code authorization_code} and {@code refresh_token}
   * grants, with {@link #redirectUri()} and no consent page.
   *
   * @return its id and secret ({@code client_secret_basic})
   */
  public OAuthClient authorizationCodeClient() {
    return settings.fleetClient();
  }

  /**
   * Returns the redirect URI registered for {@link #authorizationCodeClient()}. Nothing listens
   * there.
   *
   * @return {@code http://127.0.0.1/authorized}
   */
  public URI redirectUri() {
    return REDIRECT_URI;
  }

  /**
   * Returns the user who can log in through the form login.
   *
   * @return the username
   */
  public String username() {
    return USERNAME;
  }

  /**
   * Returns the password of {@link #username()}, random per server.
   *
   * @return the password
   */
  public String password() {
    return settings.password();
  }

  /**
   * Returns the access-token time-to-live of both clients.
   *
   * @return the time-to-live, whole seconds
   */
  public Duration accessTokenTtl() {
    return settings.accessTokenTtl();
  }

  /**
   * Returns the refresh-token time-to-live of the authorization-code client.
   *
   * @return the time-to-live, whole seconds
   */
  public Duration refreshTokenTtl() {
    return settings.refreshTokenTtl();
  }

  /**
   * Returns whether the server hands the same refresh token back on a refresh ({@code true}) or
   * rotates it ({@code false}, the default).
   *
   * @return the {@code reuseRefreshTokens} setting
   */
  public boolean reuseRefreshTokens() {
    return settings.reuseRefreshTokens();
  }

  /**
   * Runs the authorization code grant for {@link #authorizationCodeClient()} through the real
   * endpoints, as a browser would but without one: a new cookie session, the authorization request,
   * the redirect to the login form, the form post (with its CSRF token) as {@link #username()}, the
   * redirect back to the authorization endpoint, the redirect to {@link #redirectUri()} with the
   * code, and the code exchange at the token endpoint (PKCE S256, {@code client_secret_basic}). The
   * exchange appears in the ledger.
   *
   * @return the access token, refresh token, {@code expires_in} and scope ({@link #SCOPE})
   * @throws IllegalStateException if any step answers unexpectedly
   */
  public GrantedTokens authorizationCodeGrant() {
    return new AuthorizationCodeFlow(
            issuer, authorizationCodeClient(), REDIRECT_URI, SCOPE, httpTimeout)
        .run(USERNAME, password(), tokenEndpoint);
  }

  /**
   * Requests a token for {@link #clientCredentialsClient()} with the {@code client_credentials}
   * grant and {@link #SCOPE}. The request appears in the ledger.
   *
   * @return the access token (no refresh token)
   * @throws IllegalStateException if the server refuses
   */
  public GrantedTokens clientCredentialsGrant() {
    Map<String, String> form = new LinkedHashMap<>();
    form.put("grant_type", GRANT_CLIENT_CREDENTIALS);
    form.put("scope", SCOPE);
    return tokenEndpoint.post(clientCredentialsClient(), form).tokensOrThrow();
  }

  /**
   * Presents {@code refreshToken} for {@link #authorizationCodeClient()} with the {@code
   * refresh_token} grant, as any client would; a replayed or unknown token gets the server's own
   * answer ({@code invalid_grant}). The request appears in the ledger.
   *
   * @param refreshToken the refresh token to present
   * @return the server's answer
   */
  public TokenReply refreshTokenGrant(String refreshToken) {
    Map<String, String> form = new LinkedHashMap<>();
    form.put("grant_type", GRANT_REFRESH_TOKEN);
    form.put("refresh_token", requireNonNull(refreshToken, "refreshToken"));
    return tokenEndpoint.post(authorizationCodeClient(), form);
  }

  /**
   * Returns every completed token-endpoint request since the start or the last {@link #reset()}, in
   * arrival order, whatever its grant, client or outcome (client-authentication failures included).
   *
   * @return an immutable snapshot
   */
  public List<TokenEndpointRequest> tokenRequests() {
    return List.copyOf(ledger.requests());
  }

  /**
   * Returns the completed token-endpoint requests of one grant type.
   *
   * @param grantType the {@code grant_type}, such as {@code refresh_token}
   * @return an immutable snapshot, in arrival order
   */
  public List<TokenEndpointRequest> tokenRequests(String grantType) {
    requireNonNull(grantType, "grantType");
    return ledger.requests().stream().filter(r -> r.grantType().equals(grantType)).toList();
  }

  /**
   * Returns the requests the server answered with {@code invalid_grant}: a reused, unknown, expired
   * or revoked refresh token, or a bad authorization code.
   *
   * @return an immutable snapshot, in arrival order
   */
  public List<TokenEndpointRequest> invalidGrants() {
    return ledger.requests().stream().filter(TokenEndpointRequest::invalidGrant).toList();
  }

  /**
   * Returns the refresh_token grants that presented a refresh token the server had rotated away for
   * another request: the presentations that must never happen. The server answers those with {@code
   * invalid_grant}, except one that races the rotating request, which Spring Authorization Server
   * (no lock between reading and saving an authorization) may answer with HTTP 200; both kinds are
   * listed. Judged from the server's own state: the ledger learns of each rotation from the
   * server's authorization store as the server saves it. Rotations survive {@link #reset()}, so a
   * token rotated before a reset and presented after it still counts.
   *
   * @return an immutable snapshot, in arrival order
   */
  public List<TokenEndpointRequest> reusedRefreshTokens() {
    return ledger.requests().stream().filter(TokenEndpointRequest::refreshTokenReused).toList();
  }

  /** Forgets the recorded requests (not the tokens, nor which refresh tokens were rotated). */
  public void reset() {
    ledger.reset();
  }

  /** Stops the server and closes its application context. Closing again does nothing. */
  @Override
  public void close() {
    context.close();
  }

  @Override
  public String toString() {
    return "SpringAuthorizationServer[" + issuer + "]";
  }

  /** Configures a {@link SpringAuthorizationServer}; {@link #start()} starts one. */
  public static final class Builder {
    private Duration accessTokenTtl = DEFAULT_ACCESS_TOKEN_TTL;
    private Duration refreshTokenTtl = DEFAULT_REFRESH_TOKEN_TTL;
    private boolean reuseRefreshTokens;

    private Builder() {}

    /**
     * Sets the access-token time-to-live of both clients. The server writes JWT times in whole
     * seconds, so a fraction would be lost: only whole seconds are accepted.
     *
     * @param ttl at least one second, whole seconds
     * @return this builder
     * @throws IllegalArgumentException if {@code ttl} is shorter than a second or not whole seconds
     */
    @CanIgnoreReturnValue
    public Builder accessTokenTtl(Duration ttl) {
      this.accessTokenTtl = wholeSeconds(ttl, "accessTokenTtl");
      return this;
    }

    /**
     * Sets the refresh-token time-to-live of the authorization-code client.
     *
     * @param ttl at least one second, whole seconds
     * @return this builder
     * @throws IllegalArgumentException if {@code ttl} is shorter than a second or not whole seconds
     */
    @CanIgnoreReturnValue
    public Builder refreshTokenTtl(Duration ttl) {
      this.refreshTokenTtl = wholeSeconds(ttl, "refreshTokenTtl");
      return this;
    }

    /**
     * Sets whether a refresh hands the same refresh token back ({@code true}) or rotates it ({@code
     * false}, the default: every refresh returns a new refresh token and the presented one is
     * invalid from then on).
     *
     * @param reuse Spring Authorization Server's {@code reuseRefreshTokens}
     * @return this builder
     */
    @CanIgnoreReturnValue
    public Builder reuseRefreshTokens(boolean reuse) {
      this.reuseRefreshTokens = reuse;
      return this;
    }

    /**
     * Starts the server; returns once it accepts connections.
     *
     * @return the running server, to be closed
     */
    public SpringAuthorizationServer start() {
      return new SpringAuthorizationServer(this);
    }

    private static Duration wholeSeconds(Duration ttl, String name) {
      requireNonNull(ttl, name);
      if (ttl.getSeconds() < 1 || ttl.getNano() != 0) {
        throw new IllegalArgumentException(name + " must be whole seconds, at least 1: " + ttl);
      }
      return ttl;
    }
  }
}

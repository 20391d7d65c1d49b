package dev.tokenherd.coordinator.oauth2;

import static java.util.Objects.requireNonNull;

import com.google.errorprone.annotations.CanIgnoreReturnValue;
import dev.tokenherd.coordinator.OAuth2Error;
import dev.tokenherd.coordinator.Redaction;
import dev.tokenherd.coordinator.spi.TokenEndpoint;
import dev.tokenherd.coordinator.spi.TokenEndpointException;
import dev.tokenherd.coordinator.spi.TokenEndpointException.Kind;
import dev.tokenherd.coordinator.spi.TokenRequest;
import dev.tokenherd.coordinator.spi.TokenResponse;
import java.net.URI;
import java.net.http.HttpClient;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An OAuth 2.0 token endpoint client on {@link java.net.http.HttpClient}: the {@code refresh_token}
 * (RFC 6749 sec. 6) and {@code client_credentials} (sec. 4.4) grants, with {@code
 * client_secret_basic}, {@code client_secret_post} or no client authentication (sec. 2.3.1).
 * Immutable and thread-safe; build one with {@link #builder()}.
 *
 * <pre>{@code
 * TokenEndpoint endpoint = OAuth2TokenEndpoint.builder()
 *     .tokenUri(URI.create("https://auth.example.com/oauth2/token"))
 *     .clientId("billing-worker")
 *     .clientSecret(secret)
 *     .build();
 * }</pre>
 *
 * <p><b>No retries.</b> This endpoint sends each request exactly once and never retries, not even
 * after a connection failure: a retried refresh presents the same refresh token twice, and an
 * authorization server with refresh-token rotation and reuse detection answers the second
 * presentation with {@code invalid_grant} and may revoke the whole token family. Only the
 * coordinator, which holds the credential's fleet-wide refresh lock and knows whether a newer token
 * was stored meanwhile, may decide to try again. (The JDK client does not resend a POST by itself
 * unless the {@code jdk.httpclient.enableAllMethodRetry} system property is set; do not set it.)
 *
 * <h2>Classification</h2>
 *
 * <p>Every failure is a {@link TokenEndpointException} with a {@link Kind}, the HTTP status (0 if
 * none), the parsed sec. 5.2 {@link OAuth2Error} if any, and the parsed {@code Retry-After} if any
 * (RFC 9110 sec. 10.2.3: delta-seconds, or an HTTP-date taken against the injected clock; a past
 * date is zero, an unparseable value {@code null}, more than a day is capped at a day). Rows are
 * tried top to bottom:
 *
 * <table>
 *   <caption>How token endpoint outcomes are classified</caption>
 *   <tr><th>outcome</th><th>kind</th><th>why</th></tr>
 *   <tr><td>2xx with a body that is not a valid token response (see below), or larger than
 *       {@link Builder#maxResponseBytes}</td><td>{@code INVALID_RESPONSE}</td>
 *       <td>the server acted and may have rotated the refresh token, but what it sent cannot be
 *       stored</td></tr>
 *   <tr><td>the request's {@linkplain TokenRequest#sendByNanos send-by deadline} had passed when
 *       it was about to be handed to the {@link HttpClient}</td><td>{@code TRANSIENT}</td><td>it
 *       was not sent: nothing left the process</td></tr>
 *   <tr><td>3xx</td><td>{@code PERMANENT}</td><td>a token endpoint does not redirect; the URI is
 *       wrong. Redirects are never followed: a redirected POST would carry the client secret and
 *       refresh token to another address</td></tr>
 *   <tr><td>{@code error} = {@code temporarily_unavailable} or {@code server_error}, any status
 *       </td><td>{@code TRANSIENT}</td><td>the server says it did not handle the request</td></tr>
 *   <tr><td>5xx, 429, 408 (whatever the {@code error})</td><td>{@code TRANSIENT}</td><td>the
 *       status says "not now"; a wrong {@code PERMANENT} would stop the credential for good, a
 *       wrong {@code TRANSIENT} only costs one more attempt that gets a definite answer</td></tr>
 *   <tr><td>other 4xx: {@code invalid_grant}, {@code invalid_client}, {@code unauthorized_client},
 *       {@code unsupported_grant_type}, {@code invalid_scope}, {@code invalid_request}, an unknown
 *       code, or no parseable body; a 401 with {@code WWW-Authenticate} and an empty body is
 *       reported as {@code invalid_client}</td><td>{@code PERMANENT}</td><td>the same request
 *       will be refused again</td></tr>
 *   <tr><td>any other status (1xx, above 599)</td><td>{@code AMBIGUOUS}</td><td>an answer we
 *       cannot read; the server may have acted</td></tr>
 *   <tr><td>{@link java.net.http.HttpConnectTimeoutException}, {@link java.net.ConnectException}
 *       (refused, unreachable), {@link java.net.UnknownHostException} or {@link
 *       java.nio.channels.UnresolvedAddressException}, {@link javax.net.ssl.SSLHandshakeException}
 *       </td><td>{@code TRANSIENT}</td><td>the request was never sent</td></tr>
 *   <tr><td>{@link java.net.http.HttpTimeoutException} (not a connect timeout): no complete answer
 *       within {@link TokenRequest#timeout()}</td><td>{@code AMBIGUOUS}</td><td>the request was
 *       sent; the server may have rotated</td></tr>
 *   <tr><td>any other failure during the exchange (reset, closed, EOF in the headers or
 *       body)</td><td>{@code AMBIGUOUS}</td><td>as above</td></tr>
 * </table>
 *
 * <p>A 2xx body is valid when it is one JSON object with a non-empty string {@code access_token}
 * and a non-empty string {@code token_type} ({@code bearer} in any case becomes {@code Bearer});
 * {@code expires_in}, if present, is a JSON number or numeric string (fractions are floored to the
 * millisecond). When the access token is a signed JWT with a numeric {@code exp}, its {@code exp -
 * iat} bounds the lifetime (the signature is not checked: the bound can only shorten it). Missing
 * {@code expires_in} means that bound, or else {@link Builder#defaultLifetime}; one above {@link
 * Builder#maxLifetime} is clamped to it; zero, negative or below a millisecond is a token already
 * expired, which is still a valid answer: the server has rotated, and its refresh token is kept
 * (the coordinator stores it and refreshes again at the next call). An empty or missing {@code
 * refresh_token}, and a blank or missing {@code scope}, come back as {@code null} so that the
 * coordinator keeps what it had.
 *
 * <p>Exception messages and logs name the endpoint (without its query), the HTTP status and the
 * OAuth 2.0 error code: never a token, the client secret, an {@code error_description} or a
 * response body. An {@code error} code is kept only if it looks like an identifier (at most 64 of
 * {@code [A-Za-z0-9_.:-]}) and contains no secret the request carried; otherwise the response is
 * classified as if it had no error body. In the kept {@link OAuth2Error}'s description and URI, the
 * request's client secret and refresh token, if a server echoes them, appear only as fingerprints.
 * {@link #toString()} shows the secret only as a {@link Redaction#fingerprint}.
 */
public final class OAuth2TokenEndpoint implements TokenEndpoint {
  // Why this file is over the project's 400 lines: it is the OAuth 2.0 client's public surface,
  // the contract above and the Builder's documented options, and Builder stays nested because
  // OAuth2TokenEndpoint.Builder is public API. The work is done in package-private classes:
  // TokenRequestEncoder (form body, client authentication), TokenExchange (one send on
  // java.net.http, its timeouts and cancellation), TokenResponseParser (a 2xx body) and
  // FailureClassifier (every other outcome).

  private static final Logger LOG = LoggerFactory.getLogger(OAuth2TokenEndpoint.class);

  /** The default connect timeout of the endpoint's own {@link HttpClient}. */
  public static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(5);

  /**
   * The lifetime assumed when a response has no {@code expires_in}. RFC 6749 leaves the lifetime to
   * documentation in that case; five minutes errs on the side of refreshing too early, which costs
   * one request, over serving a token the server has already expired.
   */
  public static final Duration DEFAULT_DEFAULT_LIFETIME = Duration.ofMinutes(5);

  /**
   * The largest lifetime accepted. A larger {@code expires_in} is clamped to it and logged at WARN
   * once per endpoint: a value of years is far more likely a bug (milliseconds sent as seconds)
   * than intent, and believing it would keep the fleet on one token, never refreshing, for as long
   * as the error lasts. Clamping bounds that; a resource server's 401 still triggers an early
   * refresh.
   */
  public static final Duration DEFAULT_MAX_LIFETIME = Duration.ofHours(24);

  /** The longest {@link Builder#maxLifetime} accepted. */
  public static final Duration MAX_MAX_LIFETIME = Duration.ofDays(366);

  /** The default limit on a response body, far above any real token response. */
  public static final int DEFAULT_MAX_RESPONSE_BYTES = 64 * 1024;

  private final URI tokenUri;
  private final TokenRequestEncoder encoder;
  private final TokenExchange exchange;

  private OAuth2TokenEndpoint(Builder builder, URI tokenUri, ClientAuthentication authentication) {
    this.tokenUri = tokenUri;
    this.encoder =
        new TokenRequestEncoder(
            requireNonNull(builder.clientId),
            builder.clientSecret,
            authentication,
            builder.additional);
    HttpClient client = builder.httpClient;
    this.exchange =
        new TokenExchange(
            tokenUri,
            client != null ? client : TokenExchange.defaultClient(builder.connectTimeout),
            builder.clock,
            builder.maxResponseBytes,
            builder.userAgent,
            encoder,
            new TokenResponseParser(tokenUri, builder.defaultLifetime, builder.maxLifetime));
  }

  /**
   * Returns a new builder.
   *
   * @return a new builder, holding the defaults
   */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * Sends one token request and classifies the outcome; never retries (see the class comment).
   *
   * <p>The whole exchange, including reading the body, is bounded by {@link
   * TokenRequest#timeout()}. The returned future completes on the {@link HttpClient}'s executor
   * (or, when the body times out, on the common {@link java.util.concurrent.ForkJoinPool}):
   * dependent stages must not block. Cancelling it cancels the exchange.
   *
   * <p>If the request carries a {@linkplain TokenRequest#sendByNanos send-by deadline}, it is
   * checked immediately before the request is handed to the {@link HttpClient}, after the body is
   * built: once the deadline has passed nothing is sent and the future fails {@code TRANSIENT},
   * saying by how much the deadline was missed. A pause after that check (inside the HTTP client,
   * before its write) is not caught; the refresh mark's window covers it.
   *
   * @param request the grant, refresh token, scopes, timeout and send-by deadline
   * @return the response; fails with a {@link TokenEndpointException} as classified in the class
   *     comment
   */
  @Override
  public CompletableFuture<TokenResponse> requestToken(TokenRequest request) {
    requireNonNull(request, "request");
    if (!TokenRequestEncoder.hasValidScopes(request)) {
      // The request can never succeed; fail it like any other permanent refusal.
      CompletableFuture<TokenResponse> result = new CompletableFuture<>();
      result.completeExceptionally(
          TokenEndpointException.builder()
              .kind(Kind.PERMANENT)
              .message(
                  "a requested scope is empty or has a character outside RFC 6749 sec. 3.3"
                      + " scope-token")
              .build());
      return result;
    }
    return exchange.send(request);
  }

  /**
   * Returns the token endpoint URI.
   *
   * @return the URI requests are sent to
   */
  public URI tokenUri() {
    return tokenUri;
  }

  /**
   * Returns the client identifier.
   *
   * @return the {@code client_id}
   */
  public String clientId() {
    return encoder.clientId();
  }

  /**
   * Returns how the client authenticates.
   *
   * @return the method in use, chosen explicitly or from discovered metadata
   */
  public ClientAuthentication clientAuthentication() {
    return encoder.authentication();
  }

  /** Returns a description with the endpoint and client, and the secret only as a fingerprint. */
  @Override
  public String toString() {
    return "OAuth2TokenEndpoint[tokenUri=" + Uris.describe(tokenUri) + ", " + encoder + "]";
  }

  /**
   * Builds an {@link OAuth2TokenEndpoint}. Setters check their argument at once and throw {@link
   * IllegalArgumentException} (naming the bad value, unless it is a secret) or {@link
   * NullPointerException}; {@link #build()} checks the combination. Not thread-safe.
   */
  public static final class Builder {
    private @Nullable URI tokenUri;
    private @Nullable AuthorizationServerMetadata metadata;
    private boolean allowInsecureHttp;
    private @Nullable String clientId;
    private @Nullable String clientSecret;
    private @Nullable ClientAuthentication clientAuthentication;
    private @Nullable HttpClient httpClient;
    private @Nullable Duration explicitConnectTimeout;
    private Duration connectTimeout = DEFAULT_CONNECT_TIMEOUT;
    private Clock clock = Clock.systemUTC();
    private Duration defaultLifetime = DEFAULT_DEFAULT_LIFETIME;
    private Duration maxLifetime = DEFAULT_MAX_LIFETIME;
    private int maxResponseBytes = DEFAULT_MAX_RESPONSE_BYTES;
    private Map<String, String> additional = Map.of();
    private @Nullable String userAgent;

    private Builder() {}

    /**
     * Sets the token endpoint. Required unless {@link #metadata} is given. It must use https; http
     * is accepted only for a loopback host ({@code localhost}, {@code 127.0.0.0/8}, {@code [::1]})
     * or with {@link #allowInsecureHttp(boolean) allowInsecureHttp(true)}, checked in {@link
     * #build()}.
     *
     * @param tokenUri an absolute http(s) URI without user info or fragment
     * @return this builder
     * @throws IllegalArgumentException if {@code tokenUri} is not such a URI
     */
    @CanIgnoreReturnValue
    public Builder tokenUri(URI tokenUri) {
      requireNonNull(tokenUri, "tokenUri");
      Uris.requireHttpUri("tokenUri", tokenUri);
      this.tokenUri = tokenUri;
      return this;
    }

    /**
     * Takes the token endpoint, and the default client authentication, from discovered metadata. If
     * {@link #clientAuthentication} is not set, {@code client_secret_basic} is used when the server
     * lists it (or lists nothing), else {@code client_secret_post}.
     *
     * @param metadata the result of {@link AuthorizationServerMetadata#discover}
     * @return this builder
     */
    @CanIgnoreReturnValue
    public Builder metadata(AuthorizationServerMetadata metadata) {
      this.metadata = requireNonNull(metadata, "metadata");
      return this;
    }

    /**
     * Allows a plain-http token endpoint on a non-loopback host, for example behind a trusted
     * TLS-terminating sidecar. The client secret and tokens then cross the network in clear text.
     *
     * @param allowInsecureHttp whether to allow it; default {@code false}
     * @return this builder
     */
    @CanIgnoreReturnValue
    public Builder allowInsecureHttp(boolean allowInsecureHttp) {
      this.allowInsecureHttp = allowInsecureHttp;
      return this;
    }

    /**
     * Sets the client identifier. Required.
     *
     * @param clientId the {@code client_id}, not empty
     * @return this builder
     * @throws IllegalArgumentException if {@code clientId} is empty
     */
    @CanIgnoreReturnValue
    public Builder clientId(String clientId) {
      requireNonNull(clientId, "clientId");
      if (clientId.isEmpty()) {
        throw new IllegalArgumentException("clientId must not be empty");
      }
      this.clientId = clientId;
      return this;
    }

    /**
     * Sets the client secret. Required for {@link ClientAuthentication#CLIENT_SECRET_BASIC} and
     * {@link ClientAuthentication#CLIENT_SECRET_POST}; must not be set for {@link
     * ClientAuthentication#NONE}.
     *
     * @param clientSecret the secret, not empty
     * @return this builder
     * @throws IllegalArgumentException if {@code clientSecret} is empty
     */
    @CanIgnoreReturnValue
    public Builder clientSecret(String clientSecret) {
      requireNonNull(clientSecret, "clientSecret");
      if (clientSecret.isEmpty()) {
        throw new IllegalArgumentException("clientSecret must not be empty");
      }
      this.clientSecret = clientSecret;
      return this;
    }

    /**
     * Sets how the client authenticates. Default: {@link ClientAuthentication#CLIENT_SECRET_BASIC},
     * or the one chosen from {@link #metadata}. A public client must choose {@link
     * ClientAuthentication#NONE} explicitly.
     *
     * @param clientAuthentication the method
     * @return this builder
     */
    @CanIgnoreReturnValue
    public Builder clientAuthentication(ClientAuthentication clientAuthentication) {
      this.clientAuthentication = requireNonNull(clientAuthentication, "clientAuthentication");
      return this;
    }

    /**
     * Sets the HTTP client. By default the endpoint builds its own: HTTP/1.1, redirects {@link
     * HttpClient.Redirect#NEVER never} followed, {@link #connectTimeout} as set. A client given
     * here should not follow redirects either (a warning is logged if it does): a redirected POST
     * carries the client secret and refresh token to wherever the redirect points.
     *
     * @param httpClient the client; its executor runs the completion of {@link #requestToken}
     * @return this builder
     */
    @CanIgnoreReturnValue
    public Builder httpClient(HttpClient httpClient) {
      this.httpClient = requireNonNull(httpClient, "httpClient");
      return this;
    }

    /**
     * Sets the connect timeout of the endpoint's own HTTP client; cannot be combined with {@link
     * #httpClient}. Default {@link #DEFAULT_CONNECT_TIMEOUT}.
     *
     * @param connectTimeout a positive duration
     * @return this builder
     * @throws IllegalArgumentException if {@code connectTimeout} is not positive
     */
    @CanIgnoreReturnValue
    public Builder connectTimeout(Duration connectTimeout) {
      this.explicitConnectTimeout = requirePositive("connectTimeout", connectTimeout);
      this.connectTimeout = connectTimeout;
      return this;
    }

    /**
     * Sets the clock that stamps responses: {@code issuedAt} is the clock's instant when the
     * request was sent (so a slow answer makes the token expire early here, never late) and {@code
     * expiresAt} is that plus {@code expires_in}. Default {@link Clock#systemUTC()}. Timeouts
     * always run on real time.
     *
     * @param clock the clock
     * @return this builder
     */
    @CanIgnoreReturnValue
    public Builder clock(Clock clock) {
      this.clock = requireNonNull(clock, "clock");
      return this;
    }

    /**
     * Sets the lifetime assumed when a response has no {@code expires_in} and its access token is
     * not a JWT stating its own {@code exp}. Default {@link #DEFAULT_DEFAULT_LIFETIME} (five
     * minutes); must not exceed {@link #maxLifetime}.
     *
     * @param defaultLifetime a duration of at least one second
     * @return this builder
     * @throws IllegalArgumentException if {@code defaultLifetime} is shorter than a second
     */
    @CanIgnoreReturnValue
    public Builder defaultLifetime(Duration defaultLifetime) {
      this.defaultLifetime = requireLifetime("defaultLifetime", defaultLifetime);
      return this;
    }

    /**
     * Sets the largest lifetime accepted; a larger {@code expires_in} is clamped to it and logged
     * at WARN once per endpoint. Default {@link #DEFAULT_MAX_LIFETIME} (24 hours); see there for
     * why.
     *
     * @param maxLifetime a duration from one second to {@link #MAX_MAX_LIFETIME}
     * @return this builder
     * @throws IllegalArgumentException if {@code maxLifetime} is out of range
     */
    @CanIgnoreReturnValue
    public Builder maxLifetime(Duration maxLifetime) {
      this.maxLifetime = requireLifetime("maxLifetime", maxLifetime);
      return this;
    }

    /**
     * Sets the largest response body read. A larger body is not read past the limit: a 2xx fails as
     * {@code INVALID_RESPONSE}, an error response is classified by its status alone. Default {@link
     * #DEFAULT_MAX_RESPONSE_BYTES}.
     *
     * @param maxResponseBytes a positive number of bytes
     * @return this builder
     * @throws IllegalArgumentException if {@code maxResponseBytes} is not positive
     */
    @CanIgnoreReturnValue
    public Builder maxResponseBytes(int maxResponseBytes) {
      if (maxResponseBytes <= 0) {
        throw new IllegalArgumentException(
            "maxResponseBytes must be positive: " + maxResponseBytes);
      }
      this.maxResponseBytes = maxResponseBytes;
      return this;
    }

    /**
     * Sets extra form parameters sent with every request, such as {@code audience} or {@code
     * resource} (RFC 8707). They cannot replace a parameter the endpoint sets itself. Values are
     * not shown by {@link #toString()}, but are otherwise not treated as secrets.
     *
     * @param additionalParameters names and values; replaces any earlier call
     * @return this builder
     * @throws IllegalArgumentException if a name is empty or one of {@code grant_type}, {@code
     *     refresh_token}, {@code client_id}, {@code client_secret}, {@code scope} (in any case)
     */
    @CanIgnoreReturnValue
    public Builder additionalParameters(Map<String, String> additionalParameters) {
      this.additional = TokenRequestEncoder.checkAdditionalParameters(additionalParameters);
      return this;
    }

    /**
     * Sets the {@code User-Agent} header. Default: the JDK client's.
     *
     * @param userAgent a non-blank value without control characters
     * @return this builder
     * @throws IllegalArgumentException if {@code userAgent} is blank or has a control character
     */
    @CanIgnoreReturnValue
    public Builder userAgent(String userAgent) {
      requireNonNull(userAgent, "userAgent");
      if (userAgent.isBlank() || userAgent.chars().anyMatch(c -> c < 0x20 || c == 0x7F)) {
        throw new IllegalArgumentException(
            "userAgent must be non-blank without control characters: " + userAgent.strip());
      }
      this.userAgent = userAgent;
      return this;
    }

    /**
     * Builds the endpoint.
     *
     * @return a new, immutable endpoint
     * @throws IllegalStateException if a required setting is missing or settings contradict each
     *     other: no token URI, no client id, a plain-http token URI on a non-loopback host without
     *     {@link #allowInsecureHttp}, a token URI different from the metadata's, a secret missing
     *     for (or given with) the authentication method, metadata listing neither secret method,
     *     {@link #connectTimeout} together with {@link #httpClient}, or a default lifetime above
     *     the maximum
     */
    public OAuth2TokenEndpoint build() {
      URI uri = resolveTokenUri();
      if (!Uris.isHttps(uri) && !Uris.isLoopback(uri) && !allowInsecureHttp) {
        throw new IllegalStateException(
            "tokenUri must use https (http only on a loopback host or with allowInsecureHttp): "
                + Uris.describe(uri));
      }
      if (clientId == null) {
        throw new IllegalStateException("clientId is required");
      }
      ClientAuthentication authentication = resolveAuthentication();
      if (authentication == ClientAuthentication.NONE && clientSecret != null) {
        throw new IllegalStateException(
            "clientSecret must not be set with clientAuthentication NONE");
      }
      if (authentication != ClientAuthentication.NONE && clientSecret == null) {
        throw new IllegalStateException(
            "clientSecret is required for "
                + authentication.wireName()
                + "; a public client sets clientAuthentication(NONE)");
      }
      HttpClient client = httpClient;
      if (client != null && explicitConnectTimeout != null) {
        throw new IllegalStateException(
            "connectTimeout applies only to the endpoint's own HttpClient; set it on the client");
      }
      if (client != null && client.followRedirects() != HttpClient.Redirect.NEVER) {
        LOG.warn(
            "The HttpClient for {} follows redirects ({}); token requests should not be"
                + " redirected, and a 3xx is classified as permanent only when not followed",
            Uris.describe(uri),
            client.followRedirects());
      }
      if (defaultLifetime.compareTo(maxLifetime) > 0) {
        throw new IllegalStateException(
            "defaultLifetime " + defaultLifetime + " exceeds maxLifetime " + maxLifetime);
      }
      return new OAuth2TokenEndpoint(this, uri, authentication);
    }

    private URI resolveTokenUri() {
      AuthorizationServerMetadata discovered = metadata;
      URI explicit = tokenUri;
      if (explicit != null && discovered != null && !explicit.equals(discovered.tokenEndpoint())) {
        throw new IllegalStateException(
            "tokenUri "
                + Uris.describe(explicit)
                + " differs from the discovered token_endpoint "
                + Uris.describe(discovered.tokenEndpoint()));
      }
      if (explicit != null) {
        return explicit;
      }
      if (discovered != null) {
        return discovered.tokenEndpoint();
      }
      throw new IllegalStateException("tokenUri (or metadata) is required");
    }

    private ClientAuthentication resolveAuthentication() {
      ClientAuthentication explicit = clientAuthentication;
      if (explicit != null) {
        return explicit;
      }
      AuthorizationServerMetadata discovered = metadata;
      if (discovered == null) {
        return ClientAuthentication.CLIENT_SECRET_BASIC;
      }
      ClientAuthentication preferred = discovered.preferredSecretAuthentication();
      if (preferred == null) {
        throw new IllegalStateException(
            "the authorization server supports neither client_secret_basic nor"
                + " client_secret_post ("
                + discovered.tokenEndpointAuthMethodsSupported()
                + "); set clientAuthentication explicitly");
      }
      return preferred;
    }

    private static Duration requirePositive(String name, Duration value) {
      requireNonNull(value, name);
      if (value.isNegative() || value.isZero()) {
        throw new IllegalArgumentException(name + " must be positive: " + value);
      }
      return value;
    }

    private static Duration requireLifetime(String name, Duration value) {
      requireNonNull(value, name);
      if (value.compareTo(Duration.ofSeconds(1)) < 0 || value.compareTo(MAX_MAX_LIFETIME) > 0) {
        throw new IllegalArgumentException(
            name + " must be from 1 second to " + MAX_MAX_LIFETIME + ": " + value);
      }
      return value;
    }
  }
}

package dev.tokenherd.testkit;

import static java.util.Objects.requireNonNull;

import com.google.errorprone.annotations.CanIgnoreReturnValue;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.jspecify.annotations.Nullable;

/**
 * A real OAuth 2.0 authorization server over HTTP on 127.0.0.1, for tests, benchmarks and demos:
 * the RFC 6749 token endpoint (refresh_token and client_credentials grants, client_secret_basic and
 * client_secret_post), RFC 8414 / OpenID discovery, and a protected resource, with the refresh
 * token rotation behaviours of real servers ({@link RotationMode}), injectable faults ({@link
 * Fault}), counters ({@link #stats()}) and a request log ({@link #requests()}). Thread-safe.
 *
 * <pre>{@code
 * try (FakeAuthorizationServer server = FakeAuthorizationServer.builder()
 *     .rotationMode(RotationMode.ROTATE_REVOKE_FAMILY_ON_REUSE)
 *     .accessTokenTtl(Duration.ofSeconds(1))
 *     .start()) {
 *   TokenGrant grant = server.issueTokens("read");     // as if a user had just logged in
 *   URI tokenEndpoint = server.tokenEndpoint();         // http://127.0.0.1:PORT/token
 *   server.enqueue(Fault.status(503));                  // the next token request fails
 * }
 * }</pre>
 *
 * <table>
 *   <caption>Endpoints</caption>
 *   <tr><th>request</th><th>answer</th></tr>
 *   <tr><td>{@code POST /token}</td><td>RFC 6749 sec. 5.1 tokens, or a sec. 5.2 error (400; 401
 *       {@code invalid_client}); always {@code Cache-Control: no-store}</td></tr>
 *   <tr><td>{@code GET /.well-known/oauth-authorization-server}, {@code GET
 *       /.well-known/openid-configuration}</td><td>metadata: {@code issuer} = {@link #uri()},
 *       {@code token_endpoint} = {@link #tokenEndpoint()}</td></tr>
 *   <tr><td>{@code GET /resource} with {@code Authorization: Bearer <token>}</td><td>200 if the
 *       access token is valid, else 401 with {@code WWW-Authenticate: Bearer}</td></tr>
 *   <tr><td>{@code GET /stats}</td><td>the {@linkplain #stats() counters} as a JSON object with
 *       snake_case keys ({@code token_requests}, {@code refresh_events}, ...), for a server run
 *       as its own process</td></tr>
 * </table>
 *
 * <p>Time (token expiry, the grace period, log timestamps) comes from the {@linkplain
 * Builder#clock(Clock) injected clock}; latency and delays are real waits on the server's threads.
 * The server answers concurrent requests on a pool that grows as needed, so hundreds of clients can
 * wait on it at once. No secret is ever logged or shown by a {@code toString}.
 *
 * <p>This file holds the server's public surface only, which is why it is longer than the project's
 * 400 lines: the documented methods and the {@link Builder}, which stays nested because callers
 * name it {@code FakeAuthorizationServer.Builder}. The work is done by package-private classes, one
 * role each: the HTTP routes ({@code HttpFront}), the token endpoint's capacity, latency and
 * injected faults ({@code TokenRequestHandler}, {@code FaultQueue}), the RFC 6749 request rules
 * ({@code TokenRequestProcessor}, {@code ClientAuthenticator}), the token families ({@code
 * TokenLedger}), the counters and the request log.
 */
public final class FakeAuthorizationServer implements AutoCloseable {
  /** The default client identifier. */
  public static final String DEFAULT_CLIENT_ID = "test-client";

  /** The default client secret. */
  public static final String DEFAULT_CLIENT_SECRET = "test-secret";

  /** The default access token lifetime: one hour. */
  public static final Duration DEFAULT_ACCESS_TOKEN_TTL = Duration.ofHours(1);

  /** The default grace period of {@link RotationMode#ROTATE_WITH_GRACE_PERIOD}: 30 s. */
  public static final Duration DEFAULT_REUSE_GRACE_PERIOD = Duration.ofSeconds(30);

  /** The default number of token requests kept in the log (older ones are dropped). */
  public static final int DEFAULT_REQUEST_LOG_LIMIT = 10_000;

  private final String clientId;
  private final RotationMode mode;
  private final Clock clock;
  private final Counters counters = new Counters();
  private final FaultQueue scriptedFaults = new FaultQueue();
  private final TokenLedger ledger;
  private final RequestLog log;
  private final HttpFront front;
  private final URI uri;

  private FakeAuthorizationServer(Builder builder) throws IOException {
    Clock clock = builder.clock;
    this.clientId = builder.clientId;
    this.mode = builder.rotationMode;
    this.clock = clock;
    TokenLedger tokens =
        new TokenLedger(
            clock,
            mode,
            builder.accessTokenTtl,
            builder.reuseGracePeriod,
            counters.familiesRevoked::increment,
            builder.wholeSecondIssueTimes,
            builder.issuedBeforeAnswer,
            builder.jwtAccessTokens);
    this.ledger = tokens;
    this.log = new RequestLog(builder.requestLogLimit);
    TokenRequestProcessor processor =
        new TokenRequestProcessor(
            tokens,
            new ClientAuthenticator(builder.clientId, builder.clientSecret),
            mode,
            builder.accessTokenTtl,
            builder.issueClientCredentials);
    this.front =
        new HttpFront(
            new InetSocketAddress(
                builder.bindAddress != null
                    ? builder.bindAddress
                    : InetAddress.getByAddress(new byte[] {127, 0, 0, 1}),
                builder.port),
            new TokenRequestHandler(
                processor, scriptedFaults, counters, log, clock, builder.latency, builder.capacity),
            counters,
            token -> tokens.isAccessTokenValid(token, clock.instant()),
            builder.issueClientCredentials);
    this.uri = front.uri();
  }

  /**
   * Returns a builder with the defaults.
   *
   * @return a new builder; {@link Builder#start()} starts the server
   */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * Returns the base URI, also the issuer identifier.
   *
   * @return {@code http://127.0.0.1:PORT}, with the port the server listens on
   */
  public URI uri() {
    return uri;
  }

  /**
   * Returns the token endpoint.
   *
   * @return {@code http://127.0.0.1:PORT/token}
   */
  public URI tokenEndpoint() {
    return uri.resolve("/token");
  }

  /**
   * Returns the protected resource.
   *
   * @return {@code http://127.0.0.1:PORT/resource}
   */
  public URI resourceEndpoint() {
    return uri.resolve("/resource");
  }

  /**
   * Returns the client identifier the server accepts.
   *
   * @return the client identifier (the secret is not exposed)
   */
  public String clientId() {
    return clientId;
  }

  /**
   * Returns the rotation mode.
   *
   * @return how the server rotates refresh tokens
   */
  public RotationMode rotationMode() {
    return mode;
  }

  // ---------------------------------------------------------------------------------------------
  // Seeding and inspecting tokens.

  /**
   * Issues tokens as if a user had just completed an authorization-code login: a new family with an
   * access token and a refresh token. Counts no request.
   *
   * @param scope the granted scope, space-separated; empty for none
   * @return the tokens
   */
  public TokenGrant issueTokens(String scope) {
    return ledger.issue(requireNonNull(scope, "scope"), /* withRefreshToken= */ true);
  }

  /**
   * Revokes every token descended from the same grant as {@code refreshOrAccessToken}.
   *
   * @param refreshOrAccessToken any access or refresh token the server issued
   * @return whether the token was known
   */
  @CanIgnoreReturnValue
  public boolean revokeFamilyOf(String refreshOrAccessToken) {
    return ledger.revokeFamilyOf(requireNonNull(refreshOrAccessToken, "refreshOrAccessToken"));
  }

  /** Revokes every token the server has issued. */
  public void revokeAll() {
    ledger.revokeAll();
  }

  /**
   * Returns whether an access token is valid now: issued here, not revoked, not expired by the
   * server's clock.
   *
   * @param accessToken the access token's value
   * @return whether the protected resource would accept it now
   */
  public boolean isAccessTokenValid(String accessToken) {
    return isAccessTokenValid(accessToken, clock.instant());
  }

  /**
   * Returns whether an access token was issued here, is not revoked, and is unexpired at {@code
   * at}; for checking, after the fact, a token a client was served at {@code at}.
   *
   * @param accessToken the access token's value
   * @param at the instant to judge expiry at, by the server's clock; revocation is judged as of now
   * @return whether the token was issued here, is not revoked and was unexpired at {@code at}
   */
  public boolean isAccessTokenValid(String accessToken, Instant at) {
    return ledger.isAccessTokenValid(
        requireNonNull(accessToken, "accessToken"), requireNonNull(at, "at"));
  }

  /**
   * Returns every access token issued so far (by a grant or {@link #issueTokens}), with when it was
   * issued, when it expires and when its family was revoked, by the server's clock; for judging,
   * after a run, whether the server considered a token valid when a client served it (join on the
   * fingerprint). Tokens are never forgotten, so the list grows with every grant.
   *
   * @return a snapshot, in no particular order; the tokens appear only as fingerprints
   */
  public List<IssuedAccessToken> issuedAccessTokens() {
    return ledger.accessTokens();
  }

  // ---------------------------------------------------------------------------------------------
  // Faults.

  /**
   * Queues faults for the next token requests, one each, first in first out; they take precedence
   * over {@link #failAll}.
   *
   * @param faults the faults, in the order the next requests receive them
   */
  public void enqueue(Fault... faults) {
    for (Fault fault : faults) {
      scriptedFaults.enqueue(requireNonNull(fault, "fault"));
    }
  }

  /**
   * Applies {@code fault} to every token request (after the queued ones) until {@linkplain
   * #clearFaults() cleared}; replaces an earlier one.
   *
   * @param fault the fault
   */
  public void failAll(Fault fault) {
    scriptedFaults.failAll(requireNonNull(fault, "fault"));
  }

  /** Drops the queued faults and the {@link #failAll} one. */
  public void clearFaults() {
    scriptedFaults.clear();
  }

  // ---------------------------------------------------------------------------------------------
  // Counters and the request log.

  /**
   * Returns a snapshot of the counters.
   *
   * @return the counters since the server started or was last {@linkplain #reset() reset}
   */
  public ServerStats stats() {
    return counters.snapshot();
  }

  /**
   * Waits until every token request received so far has been answered (see {@link
   * ServerStats#answeredRequests()}), for at most {@code atMost}, and returns the counters then.
   * Use it before comparing requests with refresh events after the clients stopped.
   *
   * @param atMost the longest wait; a request still unanswered after it is simply left counted
   * @return the counters
   */
  public ServerStats awaitAnswered(Duration atMost) {
    long deadline = System.nanoTime() + atMost.toNanos();
    ServerStats stats = stats();
    while (stats.answeredRequests() < stats.tokenRequests() && System.nanoTime() < deadline) {
      LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(10));
      stats = stats();
    }
    return stats;
  }

  /**
   * Returns the logged token requests.
   *
   * @return a copy of the log, oldest first, at most the {@linkplain Builder#requestLogLimit log
   *     limit} long
   */
  public List<RecordedTokenRequest> requests() {
    return log.snapshot();
  }

  /**
   * Returns how many token requests the {@linkplain #requests() log} does not hold: the oldest ones
   * dropped because the log was at its {@linkplain Builder#requestLogLimit limit}, or every one
   * while the log is off. A checker that judges a run from the log must see 0 here.
   *
   * @return the requests left out of the log since the server started or was last {@linkplain
   *     #reset() reset}
   */
  public long droppedRequests() {
    return log.dropped();
  }

  /** Zeroes the counters and empties the request log; tokens and faults are kept. */
  public void reset() {
    counters.reset();
    log.clear();
  }

  /** Stops the server at once and its threads; requests in progress are cut off. */
  @Override
  public void close() {
    front.close();
  }

  @Override
  public String toString() {
    return "FakeAuthorizationServer[" + uri + ", " + mode + ", client " + clientId + "]";
  }

  // ---------------------------------------------------------------------------------------------

  /** Configures and {@linkplain #start() starts} a {@link FakeAuthorizationServer}. */
  public static final class Builder {
    private String clientId = DEFAULT_CLIENT_ID;
    private String clientSecret = DEFAULT_CLIENT_SECRET;
    private RotationMode rotationMode = RotationMode.ROTATE_REVOKE_FAMILY_ON_REUSE;
    private Duration accessTokenTtl = DEFAULT_ACCESS_TOKEN_TTL;
    private Duration latency = Duration.ZERO;
    private int capacity;
    private Duration reuseGracePeriod = DEFAULT_REUSE_GRACE_PERIOD;
    private Clock clock = Clock.systemUTC();
    private boolean issueClientCredentials = true;
    private int port;
    private @Nullable InetAddress bindAddress; // null: 127.0.0.1
    private int requestLogLimit = DEFAULT_REQUEST_LOG_LIMIT;
    private boolean wholeSecondIssueTimes;
    private boolean jwtAccessTokens;
    private Duration issuedBeforeAnswer = Duration.ZERO;

    private Builder() {}

    /**
     * Makes the server count every access token's lifetime from {@code lag} before it answers
     * (default zero): with one second, the worst case of a server that rounds issue times down to
     * the whole second, every time, so that a test of it does not depend on where in its second a
     * request lands.
     *
     * @param lag how long before answering a token's lifetime starts; zero or positive, below the
     *     access token lifetime
     * @return this builder
     * @throws IllegalArgumentException if {@code lag} is negative
     */
    @CanIgnoreReturnValue
    public Builder issuedBeforeAnswer(Duration lag) {
      requireNonNull(lag, "lag");
      if (lag.isNegative()) {
        throw new IllegalArgumentException("issuedBeforeAnswer must not be negative: " + lag);
      }
      this.issuedBeforeAnswer = lag;
      return this;
    }

    /**
     * Makes the server count access token lifetimes from an issue time rounded down to the whole
     * second, as many real servers do (default {@code false}: from the millisecond it answers). A
     * token answered with {@code expires_in} N then expires between N - 1 and N seconds after it
     * was issued, and {@link #isAccessTokenValid} judges by that.
     *
     * @param wholeSecondIssueTimes {@code true} to round issue times down to the second
     * @return this builder
     */
    @CanIgnoreReturnValue
    public Builder wholeSecondIssueTimes(boolean wholeSecondIssueTimes) {
      this.wholeSecondIssueTimes = wholeSecondIssueTimes;
      return this;
    }

    /**
     * Makes access tokens JWT-shaped, with {@code iat} and {@code exp} claims in whole seconds and
     * a random signature (default {@code false}: opaque random strings).
     *
     * @param jwtAccessTokens {@code true} for JWT-shaped access tokens
     * @return this builder
     */
    @CanIgnoreReturnValue
    public Builder jwtAccessTokens(boolean jwtAccessTokens) {
      this.jwtAccessTokens = jwtAccessTokens;
      return this;
    }

    /**
     * Sets the accepted client identifier (default {@value #DEFAULT_CLIENT_ID}).
     *
     * @param clientId the identifier; not empty
     * @return this builder
     * @throws IllegalArgumentException if {@code clientId} is empty
     */
    @CanIgnoreReturnValue
    public Builder clientId(String clientId) {
      this.clientId = requireNonEmpty("clientId", clientId);
      return this;
    }

    /**
     * Sets the accepted client secret (default {@value #DEFAULT_CLIENT_SECRET}).
     *
     * @param clientSecret the secret; not empty
     * @return this builder
     * @throws IllegalArgumentException if {@code clientSecret} is empty
     */
    @CanIgnoreReturnValue
    public Builder clientSecret(String clientSecret) {
      this.clientSecret = requireNonEmpty("clientSecret", clientSecret);
      return this;
    }

    /**
     * Sets how refresh tokens rotate (default {@link RotationMode#ROTATE_REVOKE_FAMILY_ON_REUSE}).
     *
     * @param rotationMode the mode
     * @return this builder
     */
    @CanIgnoreReturnValue
    public Builder rotationMode(RotationMode rotationMode) {
      this.rotationMode = requireNonNull(rotationMode, "rotationMode");
      return this;
    }

    /**
     * Sets the access token lifetime (default one hour), sent as {@code expires_in}.
     *
     * @param accessTokenTtl the lifetime; a positive whole number of seconds
     * @return this builder
     * @throws IllegalArgumentException if not a positive whole number of seconds
     */
    @CanIgnoreReturnValue
    public Builder accessTokenTtl(Duration accessTokenTtl) {
      requireNonNull(accessTokenTtl, "accessTokenTtl");
      if (accessTokenTtl.isNegative()
          || accessTokenTtl.isZero()
          || !accessTokenTtl.equals(Duration.ofSeconds(accessTokenTtl.toSeconds()))) {
        throw new IllegalArgumentException(
            "accessTokenTtl must be a positive whole number of seconds: " + accessTokenTtl);
      }
      this.accessTokenTtl = accessTokenTtl;
      return this;
    }

    /**
     * Sets a real wait before each token request is processed or answered by a fault (default
     * none). The wait holds one of the server's threads.
     *
     * @param latency the wait; zero or positive
     * @return this builder
     * @throws IllegalArgumentException if {@code latency} is negative
     */
    @CanIgnoreReturnValue
    public Builder latency(Duration latency) {
      this.latency = requireNotNegative("latency", latency);
      return this;
    }

    /**
     * Sets how many token requests the server processes at once (default 0: no limit). Requests
     * beyond it wait, in arrival order, for a slot; each holds its slot for the {@linkplain
     * #latency(Duration) latency}, so that latency grows with load as on a real server. A request
     * whose client gave up while it waited is still processed: a refresh it carried takes effect.
     *
     * @param capacity the most requests processed at once, or 0 for no limit
     * @return this builder
     * @throws IllegalArgumentException if {@code capacity} is negative
     */
    @CanIgnoreReturnValue
    public Builder capacity(int capacity) {
      if (capacity < 0) {
        throw new IllegalArgumentException("capacity must not be negative: " + capacity);
      }
      this.capacity = capacity;
      return this;
    }

    /**
     * Sets the grace period of {@link RotationMode#ROTATE_WITH_GRACE_PERIOD} (default 30 s).
     *
     * @param reuseGracePeriod how long after a rotation the rotated-away refresh token is still
     *     accepted, by the server's clock; zero or positive
     * @return this builder
     * @throws IllegalArgumentException if {@code reuseGracePeriod} is negative
     */
    @CanIgnoreReturnValue
    public Builder reuseGracePeriod(Duration reuseGracePeriod) {
      this.reuseGracePeriod = requireNotNegative("reuseGracePeriod", reuseGracePeriod);
      return this;
    }

    /**
     * Sets the clock that judges expiry and the grace period (default the system clock).
     *
     * @param clock the clock; a test may share a mutable one with the client under test
     * @return this builder
     */
    @CanIgnoreReturnValue
    public Builder clock(Clock clock) {
      this.clock = requireNonNull(clock, "clock");
      return this;
    }

    /**
     * Sets whether the client_credentials grant is answered (default yes).
     *
     * @param issueClientCredentials {@code false} to answer it with {@code unauthorized_client}
     * @return this builder
     */
    @CanIgnoreReturnValue
    public Builder issueClientCredentials(boolean issueClientCredentials) {
      this.issueClientCredentials = issueClientCredentials;
      return this;
    }

    /**
     * Sets the port (default 0: an ephemeral one), for a server run as its own process.
     *
     * @param port 0 to 65535; 0 lets the system choose a free port
     * @return this builder
     * @throws IllegalArgumentException if {@code port} is out of range
     */
    @CanIgnoreReturnValue
    public Builder port(int port) {
      if (port < 0 || port > 65_535) {
        throw new IllegalArgumentException("port must be 0-65535: " + port);
      }
      this.port = port;
      return this;
    }

    /**
     * Sets the address to listen on (default the loopback address, 127.0.0.1). A server in its own
     * container listens on the wildcard address ({@code 0.0.0.0}) so that other containers reach
     * it; {@link FakeAuthorizationServer#uri()} still names 127.0.0.1.
     *
     * @param bindAddress the local address to listen on
     * @return this builder
     */
    @CanIgnoreReturnValue
    public Builder bindAddress(InetAddress bindAddress) {
      this.bindAddress = requireNonNull(bindAddress, "bindAddress");
      return this;
    }

    /**
     * Sets how many token requests the log keeps (default {@value #DEFAULT_REQUEST_LOG_LIMIT}); the
     * oldest are dropped first, and counted by {@link FakeAuthorizationServer#droppedRequests()}.
     *
     * @param requestLogLimit the number of requests kept; 0 turns the log off; {@link
     *     Integer#MAX_VALUE} keeps every request
     * @return this builder
     * @throws IllegalArgumentException if {@code requestLogLimit} is negative
     */
    @CanIgnoreReturnValue
    public Builder requestLogLimit(int requestLogLimit) {
      if (requestLogLimit < 0) {
        throw new IllegalArgumentException(
            "requestLogLimit must not be negative: " + requestLogLimit);
      }
      this.requestLogLimit = requestLogLimit;
      return this;
    }

    /**
     * Starts the server on the {@linkplain #bindAddress bind address} (default 127.0.0.1).
     *
     * @return the running server; close it when done
     * @throws UncheckedIOException if the port cannot be bound
     */
    public FakeAuthorizationServer start() {
      try {
        return new FakeAuthorizationServer(this);
      } catch (IOException e) {
        throw new UncheckedIOException("cannot start the fake authorization server", e);
      }
    }

    private static String requireNonEmpty(String name, String value) {
      requireNonNull(value, name);
      if (value.isEmpty()) {
        throw new IllegalArgumentException(name + " must not be empty");
      }
      return value;
    }

    private static Duration requireNotNegative(String name, Duration value) {
      requireNonNull(value, name);
      if (value.isNegative()) {
        throw new IllegalArgumentException(name + " must not be negative: " + value);
      }
      return value;
    }
  }
}

package dev.tokenherd.testkit;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.google.errorprone.annotations.CanIgnoreReturnValue;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.tokenherd.testkit.RecordedTokenRequest.Outcome;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
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

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String JSON_TYPE = "application/json;charset=UTF-8";
  private static final String FORM_TYPE = "application/x-www-form-urlencoded";
  private static final String MALFORMED_BODY = "{\"access_token\":\"";

  private final String clientId;
  private final byte[] clientSecret;
  private final RotationMode mode;
  private final Duration accessTokenTtl;
  private final Duration latency;
  private final @Nullable Semaphore capacity;
  private final Clock clock;
  private final boolean issueClientCredentials;
  private final int requestLogLimit;
  private final Counters counters = new Counters();
  private final TokenLedger ledger;
  private final Queue<Fault> queuedFaults = new ConcurrentLinkedQueue<>();
  private volatile @Nullable Fault persistentFault;
  private final ArrayDeque<RecordedTokenRequest> log = new ArrayDeque<>();
  private long droppedRequests; // guarded by log
  private final ExecutorService executor;
  private final HttpServer server;
  private final URI uri;

  private FakeAuthorizationServer(Builder builder) throws IOException {
    this.clientId = builder.clientId;
    this.clientSecret = builder.clientSecret.getBytes(StandardCharsets.UTF_8);
    this.mode = builder.rotationMode;
    this.accessTokenTtl = builder.accessTokenTtl;
    this.latency = builder.latency;
    this.capacity =
        builder.capacity == 0 ? null : new Semaphore(builder.capacity, /* fair= */ true);
    this.clock = builder.clock;
    this.issueClientCredentials = builder.issueClientCredentials;
    this.requestLogLimit = builder.requestLogLimit;
    this.ledger =
        new TokenLedger(
            clock,
            mode,
            accessTokenTtl,
            builder.reuseGracePeriod,
            counters.familiesRevoked::increment,
            builder.wholeSecondIssueTimes,
            builder.issuedBeforeAnswer,
            builder.jwtAccessTokens);
    this.executor = Executors.newCachedThreadPool(new DaemonThreads());
    this.server =
        HttpServer.create(
            new InetSocketAddress(
                builder.bindAddress != null
                    ? builder.bindAddress
                    : InetAddress.getByAddress(new byte[] {127, 0, 0, 1}),
                builder.port),
            /* backlog= */ 1024);
    server.setExecutor(executor);
    server.createContext("/", this::dispatch);
    server.start();
    this.uri = URI.create("http://127.0.0.1:" + server.getAddress().getPort());
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
      queuedFaults.add(requireNonNull(fault, "fault"));
    }
  }

  /**
   * Applies {@code fault} to every token request (after the queued ones) until {@linkplain
   * #clearFaults() cleared}; replaces an earlier one.
   *
   * @param fault the fault
   */
  public void failAll(Fault fault) {
    persistentFault = requireNonNull(fault, "fault");
  }

  /** Drops the queued faults and the {@link #failAll} one. */
  public void clearFaults() {
    queuedFaults.clear();
    persistentFault = null;
  }

  private @Nullable Fault nextFault() {
    Fault queued = queuedFaults.poll();
    return queued != null ? queued : persistentFault;
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
    synchronized (log) {
      return List.copyOf(log);
    }
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
    synchronized (log) {
      return droppedRequests;
    }
  }

  /** Zeroes the counters and empties the request log; tokens and faults are kept. */
  public void reset() {
    counters.reset();
    synchronized (log) {
      log.clear();
      droppedRequests = 0;
    }
  }

  private void record(
      Instant receivedAt, Form form, Outcome outcome, int status, @Nullable Fault f) {
    RecordedTokenRequest entry =
        new RecordedTokenRequest(
            receivedAt,
            form.firstOr("grant_type", ""),
            Fingerprint.of(form.first("refresh_token")),
            outcome,
            status,
            f == null ? null : f.kind());
    synchronized (log) {
      if (requestLogLimit == 0) {
        droppedRequests++;
        return; // logging switched off (a removeFirst on the empty log would fail the request)
      }
      if (log.size() >= requestLogLimit) {
        log.removeFirst();
        droppedRequests++;
      }
      log.addLast(entry);
    }
  }

  // ---------------------------------------------------------------------------------------------
  // HTTP.

  private void dispatch(HttpExchange exchange) throws IOException {
    try (exchange) {
      String path = exchange.getRequestURI().getPath();
      String method = exchange.getRequestMethod();
      switch (path) {
        case "/token" -> {
          if (method.equals("POST")) {
            token(exchange);
          } else {
            methodNotAllowed(exchange, "POST");
          }
        }
        case "/.well-known/oauth-authorization-server", "/.well-known/openid-configuration" -> {
          if (method.equals("GET")) {
            send(exchange, Reply.json(200, metadata()));
          } else {
            methodNotAllowed(exchange, "GET");
          }
        }
        case "/stats" -> {
          if (method.equals("GET")) {
            send(exchange, Reply.json(200, statsJson(stats())));
          } else {
            methodNotAllowed(exchange, "GET");
          }
        }
        case "/resource" -> {
          if (method.equals("GET")) {
            resource(exchange);
          } else {
            methodNotAllowed(exchange, "GET");
          }
        }
        default -> send(exchange, Reply.text(404, "not found"));
      }
    } catch (InterruptedException e) {
      // The server is closing; the connection closes with the exchange.
      Thread.currentThread().interrupt();
    } catch (RuntimeException e) {
      // A bug in this server must not look like an injected connection fault to the client.
      if (exchange.getResponseCode() < 0) {
        send(exchange, Reply.text(500, "fake server bug: " + e.getClass().getName()));
      }
    }
  }

  private void token(HttpExchange exchange) throws IOException, InterruptedException {
    counters.tokenRequests.increment();
    Semaphore slots = capacity;
    if (slots == null) {
      handleToken(exchange, clock.instant());
      return;
    }
    // A request beyond the capacity is received (counted, its body in the socket) and waits its
    // turn: it is processed even if its client gave up meanwhile, as on a real server.
    slots.acquire();
    try {
      handleToken(exchange, clock.instant());
    } finally {
      slots.release();
    }
  }

  private void handleToken(HttpExchange exchange, Instant receivedAt)
      throws IOException, InterruptedException {
    byte[] body = exchange.getRequestBody().readAllBytes();
    Form form = Form.parse(new String(body, StandardCharsets.UTF_8));
    Fault fault = nextFault();
    if (fault != null) {
      counters.faultsInjected.increment();
    }
    sleep(latency);
    if (fault != null && !fault.processesRequest()) {
      record(receivedAt, form, Outcome.NOT_PROCESSED, answerStatus(fault), fault);
      answerWithoutProcessing(exchange, fault);
      return;
    }
    Reply reply = grant(exchange, form);
    countOutcome(reply.outcome());
    if (fault == null) {
      record(receivedAt, form, reply.outcome(), reply.status(), null);
      send(exchange, reply);
      return;
    }
    switch (fault.kind()) {
      case DELAY_AFTER_PROCESSING -> {
        record(receivedAt, form, reply.outcome(), reply.status(), fault);
        sleep(fault.duration());
        send(exchange, reply);
      }
      case MALFORMED_JSON_AFTER_PROCESSING -> {
        record(receivedAt, form, reply.outcome(), 200, fault);
        send(exchange, Reply.malformed());
      }
      case EXPIRES_IN_AFTER_PROCESSING -> {
        record(receivedAt, form, reply.outcome(), reply.status(), fault);
        send(exchange, reply.status() == 200 ? reply.withExpiresIn(fault.expiresIn()) : reply);
      }
      default -> {
        record(receivedAt, form, reply.outcome(), 0, fault);
        abort(exchange);
      }
    }
  }

  private static int answerStatus(Fault fault) {
    return fault.kind() == Fault.Kind.CLOSE_BEFORE_PROCESSING ? 0 : fault.status();
  }

  private static void answerWithoutProcessing(HttpExchange exchange, Fault fault)
      throws IOException, InterruptedException {
    switch (fault.kind()) {
      case STATUS ->
          send(exchange, Reply.text(fault.status(), "injected fault: " + fault.status()));
      case TOO_MANY_REQUESTS ->
          send(
              exchange,
              Reply.text(429, "too many requests")
                  .withHeader("Retry-After", Long.toString(fault.duration().toSeconds())));
      case OAUTH_ERROR ->
          send(
              exchange,
              Reply.error(
                  fault.status(),
                  requireNonNull(fault.error()),
                  "injected fault",
                  Outcome.NOT_PROCESSED));
      case DELAY -> {
        sleep(fault.duration());
        send(exchange, Reply.text(504, "upstream timed out (injected fault)"));
      }
      case MALFORMED_JSON -> send(exchange, Reply.malformed());
      default -> abort(exchange);
    }
  }

  /**
   * Closes the connection without an answer. Closing an exchange whose response headers were never
   * sent closes its socket (on JDK 17 and 25 alike, checked by the testkit's own tests), so the
   * client reads end-of-stream where it expected a status line.
   */
  private static void abort(HttpExchange exchange) {
    exchange.close();
  }

  private Reply grant(HttpExchange exchange, Form form) {
    String contentType = exchange.getRequestHeaders().getFirst("Content-Type");
    if (contentType == null
        || !contentType.toLowerCase(Locale.ROOT).startsWith(FORM_TYPE)
        || !form.valid()) {
      return Reply.error(
          400, "invalid_request", "expected a " + FORM_TYPE + " body", Outcome.INVALID_REQUEST);
    }
    String duplicate = form.duplicate();
    if (duplicate != null) {
      return Reply.error(
          400, "invalid_request", "parameter repeated: " + duplicate, Outcome.INVALID_REQUEST);
    }
    Reply rejected = authenticate(exchange, form);
    if (rejected != null) {
      return rejected;
    }
    String grantType = form.first("grant_type");
    if (grantType == null) {
      return Reply.error(400, "invalid_request", "grant_type is missing", Outcome.INVALID_REQUEST);
    }
    switch (grantType) {
      case "refresh_token" -> {
        String refreshToken = form.first("refresh_token");
        if (refreshToken == null || refreshToken.isEmpty()) {
          return Reply.error(
              400, "invalid_request", "refresh_token is missing", Outcome.INVALID_REQUEST);
        }
        TokenLedger.Result result = ledger.refresh(refreshToken);
        TokenGrant issued = result.grant();
        if (issued == null) {
          return Reply.error(
              400, "invalid_grant", "the refresh token is invalid", result.outcome());
        }
        boolean omit = mode == RotationMode.OMIT_REFRESH_TOKEN;
        return Reply.json(
            200,
            tokenResponse(issued, omit ? null : issued.refreshToken(), !omit),
            result.outcome());
      }
      case "client_credentials" -> {
        if (!issueClientCredentials) {
          return Reply.error(
              400,
              "unauthorized_client",
              "client_credentials is not enabled",
              Outcome.UNAUTHORIZED_CLIENT);
        }
        TokenGrant issued = ledger.issue(form.firstOr("scope", ""), /* withRefreshToken= */ false);
        return Reply.json(
            200, tokenResponse(issued, null, true), Outcome.CLIENT_CREDENTIALS_ISSUED);
      }
      default -> {
        return Reply.error(
            400,
            "unsupported_grant_type",
            "grant_type is not supported",
            Outcome.UNSUPPORTED_GRANT_TYPE);
      }
    }
  }

  /** Returns the rejection, or {@code null} if the client authenticated (RFC 6749 sec. 2.3.1). */
  private @Nullable Reply authenticate(HttpExchange exchange, Form form) {
    String authorization = exchange.getRequestHeaders().getFirst("Authorization");
    boolean basic = authorization != null && authorization.regionMatches(true, 0, "Basic ", 0, 6);
    String postedSecret = form.first("client_secret");
    if (basic && postedSecret != null) {
      return Reply.error(
          400,
          "invalid_request",
          "more than one client authentication method",
          Outcome.INVALID_REQUEST);
    }
    String id;
    String secret;
    if (basic) {
      String[] credentials = decodeBasic(requireNonNull(authorization).substring(6).trim());
      id = credentials == null ? null : credentials[0];
      secret = credentials == null ? null : credentials[1];
    } else {
      id = form.first("client_id");
      secret = postedSecret;
    }
    boolean known =
        id != null
            && secret != null
            && id.equals(clientId)
            && MessageDigest.isEqual(secret.getBytes(StandardCharsets.UTF_8), clientSecret);
    if (known) {
      return null;
    }
    Reply reply =
        Reply.error(401, "invalid_client", "client authentication failed", Outcome.INVALID_CLIENT);
    // RFC 6749 sec. 5.2: a client that tried the Authorization header must be told the scheme.
    return postedSecret == null
        ? reply.withHeader("WWW-Authenticate", "Basic realm=\"fake-authorization-server\"")
        : reply;
  }

  /** Decodes {@code base64(urlencode(id) ":" urlencode(secret))}; {@code null} if malformed. */
  private static String @Nullable [] decodeBasic(String encoded) {
    try {
      String decoded = new String(Base64.getDecoder().decode(encoded), StandardCharsets.UTF_8);
      int colon = decoded.indexOf(':');
      if (colon < 0) {
        return null;
      }
      return new String[] {
        URLDecoder.decode(decoded.substring(0, colon), StandardCharsets.UTF_8),
        URLDecoder.decode(decoded.substring(colon + 1), StandardCharsets.UTF_8)
      };
    } catch (IllegalArgumentException e) {
      return null;
    }
  }

  private Map<String, Object> tokenResponse(
      TokenGrant issued, @Nullable String refreshToken, boolean withScope) {
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("access_token", issued.accessToken());
    body.put("token_type", "Bearer");
    body.put("expires_in", accessTokenTtl.toSeconds());
    if (refreshToken != null) {
      body.put("refresh_token", refreshToken);
    }
    if (withScope && !issued.scope().isEmpty()) {
      body.put("scope", issued.scope());
    }
    return body;
  }

  private void countOutcome(Outcome outcome) {
    switch (outcome) {
      case REFRESHED -> counters.refreshEvents.increment();
      case GRACE_REUSE -> counters.graceReuses.increment();
      case CLIENT_CREDENTIALS_ISSUED -> counters.clientCredentialsGrants.increment();
      case REUSE_DETECTED -> {
        counters.reuseDetections.increment();
        counters.invalidGrants.increment();
      }
      case INVALID_GRANT -> counters.invalidGrants.increment();
      case INVALID_CLIENT -> counters.invalidClients.increment();
      default -> {
        // invalid_request, unsupported_grant_type, unauthorized_client: counted as requests only
      }
    }
  }

  private Map<String, Object> metadata() {
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("issuer", uri.toString());
    body.put("token_endpoint", tokenEndpoint().toString());
    body.put(
        "grant_types_supported",
        issueClientCredentials
            ? List.of("refresh_token", "client_credentials")
            : List.of("refresh_token"));
    body.put(
        "token_endpoint_auth_methods_supported",
        List.of("client_secret_basic", "client_secret_post"));
    return body;
  }

  private static Map<String, Object> statsJson(ServerStats stats) {
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("token_requests", stats.tokenRequests());
    body.put("refresh_events", stats.refreshEvents());
    body.put("client_credentials_grants", stats.clientCredentialsGrants());
    body.put("grace_reuses", stats.graceReuses());
    body.put("reuse_detections", stats.reuseDetections());
    body.put("families_revoked", stats.familiesRevoked());
    body.put("invalid_grants", stats.invalidGrants());
    body.put("invalid_clients", stats.invalidClients());
    body.put("faults_injected", stats.faultsInjected());
    body.put("resource_requests", stats.resourceRequests());
    body.put("resource_rejections", stats.resourceRejections());
    return body;
  }

  private void resource(HttpExchange exchange) throws IOException {
    counters.resourceRequests.increment();
    String authorization = exchange.getRequestHeaders().getFirst("Authorization");
    boolean bearer = authorization != null && authorization.regionMatches(true, 0, "Bearer ", 0, 7);
    if (bearer && isAccessTokenValid(requireNonNull(authorization).substring(7).trim())) {
      send(exchange, Reply.json(200, Map.of("ok", true)));
      return;
    }
    counters.resourceRejections.increment();
    send(
        exchange,
        Reply.text(401, "unauthorized")
            .withHeader("WWW-Authenticate", bearer ? "Bearer error=\"invalid_token\"" : "Bearer"));
  }

  private static void methodNotAllowed(HttpExchange exchange, String allowed) throws IOException {
    send(exchange, Reply.text(405, "method not allowed").withHeader("Allow", allowed));
  }

  private static void send(HttpExchange exchange, Reply reply) throws IOException {
    reply.headers().forEach((name, value) -> exchange.getResponseHeaders().set(name, value));
    exchange.getResponseHeaders().set("Cache-Control", "no-store");
    exchange.getResponseHeaders().set("Pragma", "no-cache");
    byte[] body = reply.body().getBytes(StandardCharsets.UTF_8);
    exchange.sendResponseHeaders(reply.status(), body.length == 0 ? -1 : body.length);
    if (body.length > 0) {
      exchange.getResponseBody().write(body);
    }
  }

  private static void sleep(Duration duration) throws InterruptedException {
    if (!duration.isZero()) {
      Thread.sleep(duration.toMillis(), duration.toNanosPart() % 1_000_000);
    }
  }

  /** Stops the server at once and its threads; requests in progress are cut off. */
  @Override
  public void close() {
    server.stop(0);
    executor.shutdownNow();
  }

  @Override
  public String toString() {
    return "FakeAuthorizationServer[" + uri + ", " + mode + ", client " + clientId + "]";
  }

  // ---------------------------------------------------------------------------------------------

  /** An answer, and what the server did to produce it. */
  private record Reply(int status, Map<String, String> headers, String body, Outcome outcome) {
    static Reply json(int status, Map<String, Object> body) {
      return json(status, body, Outcome.NOT_PROCESSED);
    }

    static Reply json(int status, Map<String, Object> body, Outcome outcome) {
      try {
        return new Reply(
            status, Map.of("Content-Type", JSON_TYPE), JSON.writeValueAsString(body), outcome);
      } catch (JsonProcessingException e) {
        throw new UncheckedIOException(e);
      }
    }

    static Reply error(int status, String error, String description, Outcome outcome) {
      Map<String, Object> body = new LinkedHashMap<>();
      body.put("error", error);
      body.put("error_description", description);
      return json(status, body, outcome);
    }

    static Reply text(int status, String text) {
      return new Reply(
          status, Map.of("Content-Type", "text/plain;charset=UTF-8"), text, Outcome.NOT_PROCESSED);
    }

    /** This JSON answer with its {@code expires_in} replaced by {@code json}, or left out. */
    Reply withExpiresIn(@Nullable String json) {
      try {
        ObjectNode node = (ObjectNode) JSON.readTree(body);
        if (json == null) {
          node.remove("expires_in");
        } else {
          node.set("expires_in", JSON.readTree(json));
        }
        return new Reply(status, headers, JSON.writeValueAsString(node), outcome);
      } catch (JsonProcessingException e) {
        throw new UncheckedIOException(e);
      }
    }

    static Reply malformed() {
      return new Reply(
          200, Map.of("Content-Type", JSON_TYPE), MALFORMED_BODY, Outcome.NOT_PROCESSED);
    }

    Reply withHeader(String name, String value) {
      Map<String, String> more = new HashMap<>(headers);
      more.put(name, value);
      return new Reply(status, Map.copyOf(more), body, outcome);
    }
  }

  /** An {@code application/x-www-form-urlencoded} body. */
  private record Form(Map<String, List<String>> parameters, boolean valid) {
    static Form parse(String body) {
      Map<String, List<String>> parameters = new LinkedHashMap<>();
      if (body.isEmpty()) {
        return new Form(parameters, true);
      }
      try {
        for (String pair : body.split("&", -1)) {
          int equals = pair.indexOf('=');
          String name = equals < 0 ? pair : pair.substring(0, equals);
          String value = equals < 0 ? "" : pair.substring(equals + 1);
          parameters
              .computeIfAbsent(
                  URLDecoder.decode(name, StandardCharsets.UTF_8), n -> new ArrayList<>())
              .add(URLDecoder.decode(value, StandardCharsets.UTF_8));
        }
        return new Form(parameters, true);
      } catch (IllegalArgumentException e) {
        return new Form(Map.of(), false); // bad percent-encoding
      }
    }

    @Nullable String first(String name) {
      List<String> values = parameters.get(name);
      return values == null ? null : values.get(0);
    }

    String firstOr(String name, String otherwise) {
      String value = first(name);
      return value == null ? otherwise : value;
    }

    /** RFC 6749 sec. 3.2: parameters must not be repeated. */
    @Nullable String duplicate() {
      for (Map.Entry<String, List<String>> parameter : parameters.entrySet()) {
        if (parameter.getValue().size() > 1) {
          return parameter.getKey();
        }
      }
      return null;
    }
  }

  private static final class Counters {
    final LongAdder tokenRequests = new LongAdder();
    final LongAdder refreshEvents = new LongAdder();
    final LongAdder clientCredentialsGrants = new LongAdder();
    final LongAdder graceReuses = new LongAdder();
    final LongAdder reuseDetections = new LongAdder();
    final LongAdder familiesRevoked = new LongAdder();
    final LongAdder invalidGrants = new LongAdder();
    final LongAdder invalidClients = new LongAdder();
    final LongAdder faultsInjected = new LongAdder();
    final LongAdder resourceRequests = new LongAdder();
    final LongAdder resourceRejections = new LongAdder();

    ServerStats snapshot() {
      return new ServerStats(
          tokenRequests.sum(),
          refreshEvents.sum(),
          clientCredentialsGrants.sum(),
          graceReuses.sum(),
          reuseDetections.sum(),
          familiesRevoked.sum(),
          invalidGrants.sum(),
          invalidClients.sum(),
          faultsInjected.sum(),
          resourceRequests.sum(),
          resourceRejections.sum());
    }

    void reset() {
      for (LongAdder adder :
          List.of(
              tokenRequests,
              refreshEvents,
              clientCredentialsGrants,
              graceReuses,
              reuseDetections,
              familiesRevoked,
              invalidGrants,
              invalidClients,
              faultsInjected,
              resourceRequests,
              resourceRejections)) {
        adder.reset();
      }
    }
  }

  private static final class DaemonThreads implements ThreadFactory {
    private final AtomicInteger count = new AtomicInteger();

    @Override
    public Thread newThread(Runnable task) {
      Thread thread = new Thread(task, "fake-authorization-server-" + count.incrementAndGet());
      thread.setDaemon(true);
      return thread;
    }
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

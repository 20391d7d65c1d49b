package dev.tokenherd.testkit;

import static java.util.Objects.requireNonNull;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;

/**
 * The {@link FakeAuthorizationServer}'s HTTP side: the listening socket and its threads, and the
 * routes: {@code POST /token} (handed to the {@link TokenRequestHandler}), the RFC 8414 / OpenID
 * discovery metadata, {@code GET /stats} and the protected resource. Answers concurrent requests on
 * a pool that grows as needed, so that hundreds of clients can wait on the server at once.
 */
final class HttpFront implements AutoCloseable {
  private final TokenRequestHandler tokenRequests;
  private final Counters counters;
  private final Predicate<String> validAccessToken;
  private final boolean issueClientCredentials;
  private final ExecutorService executor;
  private final HttpServer server;
  private final URI uri;

  /**
   * Binds {@code address} and starts answering.
   *
   * @param validAccessToken whether the protected resource accepts an access token now
   * @param issueClientCredentials whether the metadata lists the client_credentials grant
   * @throws IOException if the address cannot be bound
   */
  HttpFront(
      InetSocketAddress address,
      TokenRequestHandler tokenRequests,
      Counters counters,
      Predicate<String> validAccessToken,
      boolean issueClientCredentials)
      throws IOException {
    this.tokenRequests = tokenRequests;
    this.counters = counters;
    this.validAccessToken = validAccessToken;
    this.issueClientCredentials = issueClientCredentials;
    this.executor = Executors.newCachedThreadPool(new DaemonThreads());
    this.server = HttpServer.create(address, /* backlog= */ 1024);
    // Bound by create: the port is known before the first request can arrive.
    this.uri = URI.create("http://127.0.0.1:" + server.getAddress().getPort());
    server.setExecutor(executor);
    server.createContext("/", this::dispatch);
    server.start();
  }

  /** The base URI, also the issuer identifier: {@code http://127.0.0.1:PORT}. */
  URI uri() {
    return uri;
  }

  /** Stops the server at once and its threads; requests in progress are cut off. */
  @Override
  public void close() {
    server.stop(0);
    executor.shutdownNow();
  }

  private void dispatch(HttpExchange exchange) throws IOException {
    try (exchange) {
      String path = exchange.getRequestURI().getPath();
      String method = exchange.getRequestMethod();
      switch (path) {
        case "/token" -> {
          if (method.equals("POST")) {
            tokenRequests.handle(exchange);
          } else {
            methodNotAllowed(exchange, "POST");
          }
        }
        case "/.well-known/oauth-authorization-server", "/.well-known/openid-configuration" -> {
          if (method.equals("GET")) {
            Reply.json(200, metadata()).sendTo(exchange);
          } else {
            methodNotAllowed(exchange, "GET");
          }
        }
        case "/stats" -> {
          if (method.equals("GET")) {
            Reply.json(200, statsJson(counters.snapshot())).sendTo(exchange);
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
        default -> Reply.text(404, "not found").sendTo(exchange);
      }
    } catch (InterruptedException e) {
      // The server is closing; the connection closes with the exchange.
      Thread.currentThread().interrupt();
    } catch (RuntimeException e) {
      // A bug in this server must not look like an injected connection fault to the client.
      if (exchange.getResponseCode() < 0) {
        Reply.text(500, "fake server bug: " + e.getClass().getName()).sendTo(exchange);
      }
    }
  }

  /** RFC 8414 authorization server metadata (OpenID discovery reads the same fields). */
  private Map<String, Object> metadata() {
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("issuer", uri.toString());
    body.put("token_endpoint", uri.resolve("/token").toString());
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
    if (bearer && validAccessToken.test(requireNonNull(authorization).substring(7).trim())) {
      Reply.json(200, Map.of("ok", true)).sendTo(exchange);
      return;
    }
    counters.resourceRejections.increment();
    Reply.text(401, "unauthorized")
        .withHeader("WWW-Authenticate", bearer ? "Bearer error=\"invalid_token\"" : "Bearer")
        .sendTo(exchange);
  }

  private static void methodNotAllowed(HttpExchange exchange, String allowed) throws IOException {
    Reply.text(405, "method not allowed").withHeader("Allow", allowed).sendTo(exchange);
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
}

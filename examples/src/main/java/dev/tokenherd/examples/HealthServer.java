package dev.tokenherd.examples;

import static java.util.Objects.requireNonNull;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.function.Function;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;

/**
 * The health endpoint of the {@code worker} and {@code fake-auth-server} modes, for the image's
 * {@code HEALTHCHECK}: {@code GET /health} answers 200 while the mode's check says healthy and 503
 * otherwise, with one line of text saying why. It listens on the loopback address only: the probe
 * runs inside the container. Opt-in, with {@code --health-port} or {@value #PORT_VARIABLE} (the
 * image sets 8081).
 */
final class HealthServer implements AutoCloseable {
  /** The environment variable that enables the endpoint when {@code --health-port} is absent. */
  static final String PORT_VARIABLE = "TOKENHERD_HEALTH_PORT";

  /** The one path served. */
  static final String PATH = "/health";

  /**
   * What a mode says about itself.
   *
   * @param healthy whether it is doing its job
   * @param detail one line for people, never a secret
   */
  record Status(boolean healthy, String detail) {
    Status {
      requireNonNull(detail, "detail");
    }

    static Status up(String detail) {
      return new Status(true, detail);
    }

    static Status down(String detail) {
      return new Status(false, detail);
    }
  }

  /**
   * An answer: status code and body ({@code text/plain}, UTF-8).
   *
   * @param code the HTTP status code
   * @param body the body, sent for every method but {@code HEAD}
   */
  record Response(int code, String body) {}

  private final HttpServer server;

  private HealthServer(HttpServer server) {
    this.server = server;
  }

  /**
   * Returns the health port: {@code --health-port}, else {@value #PORT_VARIABLE} if set and not
   * empty, else null (no endpoint).
   *
   * @throws UsageException if the value is not a port number
   */
  static @Nullable Integer port(Args args, Function<String, @Nullable String> environment) {
    String flag = args.value("health-port");
    if (flag != null) {
      return Args.parsePort("health-port", flag);
    }
    String variable = environment.apply(PORT_VARIABLE);
    if (variable == null || variable.isBlank()) {
      return null;
    }
    try {
      return Args.parsePort("health-port", variable.trim());
    } catch (UsageException e) {
      throw new UsageException(PORT_VARIABLE + " must be a port number 0-65535: " + variable);
    }
  }

  /**
   * Answers one request: {@value #PATH} only, {@code GET} or {@code HEAD} only.
   *
   * @param method the request method
   * @param path the request path, without the query
   * @param check the mode's health; a check that throws is unhealthy
   */
  static Response respond(String method, String path, Supplier<Status> check) {
    if (!PATH.equals(path)) {
      return new Response(404, "not found: try GET " + PATH + "\n");
    }
    if (!"GET".equals(method) && !"HEAD".equals(method)) {
      return new Response(405, "method not allowed: GET or HEAD\n");
    }
    Status status;
    try {
      status = check.get();
    } catch (RuntimeException e) {
      status = Status.down("the health check failed: " + e.getClass().getSimpleName());
    }
    return status.healthy()
        ? new Response(200, "ok: " + status.detail() + "\n")
        : new Response(503, "unavailable: " + status.detail() + "\n");
  }

  /**
   * Starts answering on the loopback address.
   *
   * @param port the port; 0 for any free one
   * @param check the mode's health, asked on every request
   * @throws DemoException if the port cannot be bound
   */
  static HealthServer start(int port, Supplier<Status> check) {
    requireNonNull(check, "check");
    InetSocketAddress address = new InetSocketAddress(InetAddress.getLoopbackAddress(), port);
    HttpServer server;
    try {
      server = HttpServer.create(address, 0);
    } catch (IOException e) {
      throw new DemoException(
          "cannot listen on " + address + " for the health endpoint: " + e.getMessage());
    }
    server.createContext("/", exchange -> answer(exchange, check));
    // no executor: the server's own dispatcher thread answers, one short request at a time
    server.start();
    return new HealthServer(server);
  }

  private static void answer(HttpExchange exchange, Supplier<Status> check) throws IOException {
    try (exchange) {
      Response response =
          respond(exchange.getRequestMethod(), exchange.getRequestURI().getPath(), check);
      byte[] body = response.body().getBytes(StandardCharsets.UTF_8);
      exchange.getResponseHeaders().set("Content-Type", "text/plain; charset=utf-8");
      exchange.getResponseHeaders().set("Cache-Control", "no-store");
      if (response.code() == 405) {
        exchange.getResponseHeaders().set("Allow", "GET, HEAD");
      }
      if ("HEAD".equals(exchange.getRequestMethod())) {
        exchange.sendResponseHeaders(response.code(), -1);
      } else {
        exchange.sendResponseHeaders(response.code(), body.length);
        try (OutputStream out = exchange.getResponseBody()) {
          out.write(body);
        }
      }
    }
  }

  /** Returns the port it listens on. */
  int port() {
    return server.getAddress().getPort();
  }

  /** Stops answering; the port is free when this returns. */
  @Override
  public void close() {
    server.stop(0);
  }
}

package dev.tokenherd.testkit;

import static java.util.Objects.requireNonNull;

import com.sun.net.httpserver.HttpExchange;
import dev.tokenherd.testkit.RecordedTokenRequest.Outcome;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.Semaphore;
import org.jspecify.annotations.Nullable;

/**
 * Handles {@code POST /token} the way a loaded, faulty server would: counts the request, waits for
 * a processing slot ({@linkplain FakeAuthorizationServer.Builder#capacity capacity}) and the
 * {@linkplain FakeAuthorizationServer.Builder#latency latency}, applies the next scripted {@link
 * Fault} before or after the {@link TokenRequestProcessor} has processed it, logs it, and answers
 * or drops the connection. Called on the server's request threads, many at once.
 */
final class TokenRequestHandler {
  private final TokenRequestProcessor processor;
  private final FaultQueue faults;
  private final Counters counters;
  private final RequestLog log;
  private final Clock clock;
  private final Duration latency;
  private final @Nullable Semaphore capacity;

  TokenRequestHandler(
      TokenRequestProcessor processor,
      FaultQueue faults,
      Counters counters,
      RequestLog log,
      Clock clock,
      Duration latency,
      int capacity) {
    this.processor = processor;
    this.faults = faults;
    this.counters = counters;
    this.log = log;
    this.clock = clock;
    this.latency = latency;
    this.capacity = capacity == 0 ? null : new Semaphore(capacity, /* fair= */ true);
  }

  void handle(HttpExchange exchange) throws IOException, InterruptedException {
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
    Fault fault = faults.next();
    if (fault != null) {
      counters.faultsInjected.increment();
    }
    sleep(latency);
    if (fault != null && !fault.processesRequest()) {
      log.record(receivedAt, form, Outcome.NOT_PROCESSED, answerStatus(fault), fault);
      answerWithoutProcessing(exchange, fault);
      return;
    }
    Reply reply = processor.process(exchange, form);
    counters.count(reply.outcome());
    if (fault == null) {
      log.record(receivedAt, form, reply.outcome(), reply.status(), null);
      reply.sendTo(exchange);
      return;
    }
    switch (fault.kind()) {
      case DELAY_AFTER_PROCESSING -> {
        log.record(receivedAt, form, reply.outcome(), reply.status(), fault);
        sleep(fault.duration());
        reply.sendTo(exchange);
      }
      case MALFORMED_JSON_AFTER_PROCESSING -> {
        log.record(receivedAt, form, reply.outcome(), 200, fault);
        Reply.malformed().sendTo(exchange);
      }
      case EXPIRES_IN_AFTER_PROCESSING -> {
        log.record(receivedAt, form, reply.outcome(), reply.status(), fault);
        (reply.status() == 200 ? reply.withExpiresIn(fault.expiresIn()) : reply).sendTo(exchange);
      }
      default -> {
        log.record(receivedAt, form, reply.outcome(), 0, fault);
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
          Reply.text(fault.status(), "injected fault: " + fault.status()).sendTo(exchange);
      case TOO_MANY_REQUESTS ->
          Reply.text(429, "too many requests")
              .withHeader("Retry-After", Long.toString(fault.duration().toSeconds()))
              .sendTo(exchange);
      case OAUTH_ERROR ->
          Reply.error(
                  fault.status(),
                  requireNonNull(fault.error()),
                  "injected fault",
                  Outcome.NOT_PROCESSED)
              .sendTo(exchange);
      case DELAY -> {
        sleep(fault.duration());
        Reply.text(504, "upstream timed out (injected fault)").sendTo(exchange);
      }
      case MALFORMED_JSON -> Reply.malformed().sendTo(exchange);
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

  private static void sleep(Duration duration) throws InterruptedException {
    if (!duration.isZero()) {
      Thread.sleep(duration.toMillis(), duration.toNanosPart() % 1_000_000);
    }
  }
}

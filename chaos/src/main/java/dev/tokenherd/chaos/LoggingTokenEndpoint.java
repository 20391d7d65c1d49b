package dev.tokenherd.chaos;

import dev.tokenherd.coordinator.Redaction;
import dev.tokenherd.coordinator.spi.TokenEndpoint;
import dev.tokenherd.coordinator.spi.TokenRequest;
import dev.tokenherd.coordinator.spi.TokenResponse;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.function.LongSupplier;

/**
 * A {@link TokenEndpoint} decorator that logs every request ({@code request}, with the fingerprint
 * of the refresh token presented, the fence held and the lease's serial), its answer ({@code
 * response}, with the fingerprints received) or failure ({@code request_failed}), and stops at the
 * {@code endpoint} breakpoint (the {@code write} breakpoint is in {@link LoggingTokenStore}).
 */
final class LoggingTokenEndpoint implements TokenEndpoint {
  private final TokenEndpoint delegate;
  private final EventLog log;
  private final Breakpoints breakpoints;
  private final LongSupplier heldFence;
  private final LongSupplier heldLease;

  LoggingTokenEndpoint(
      TokenEndpoint delegate,
      EventLog log,
      Breakpoints breakpoints,
      LongSupplier heldFence,
      LongSupplier heldLease) {
    this.delegate = delegate;
    this.log = log;
    this.breakpoints = breakpoints;
    this.heldFence = heldFence;
    this.heldLease = heldLease;
  }

  @Override
  public CompletionStage<TokenResponse> requestToken(TokenRequest request) {
    breakpoints.reached(Breakpoints.Point.ENDPOINT);
    String presented = Redaction.fingerprint(request.refreshToken());
    long fence = heldFence.getAsLong();
    long lease = heldLease.getAsLong();
    log.emit("request", e -> e.put("rtFp", presented).put("fence", fence).put("lease", lease));
    return delegate
        .requestToken(request)
        .whenComplete(
            (response, error) -> {
              if (response != null) {
                log.emit(
                    "response",
                    e ->
                        e.put("rtFp", presented)
                            .put("fence", fence)
                            .put("newRtFp", Redaction.fingerprint(response.refreshToken()))
                            .put("atFp", Redaction.fingerprint(response.accessToken()))
                            .put("expiresAt", EventLog.micros(response.expiresAt())));
              } else {
                Throwable cause =
                    error instanceof CompletionException && error.getCause() != null
                        ? error.getCause()
                        : error;
                log.emit(
                    "request_failed",
                    e ->
                        e.put("rtFp", presented)
                            .put("fence", fence)
                            .put("error", cause.getClass().getSimpleName())
                            .put("message", String.valueOf(cause.getMessage())));
              }
            });
  }
}

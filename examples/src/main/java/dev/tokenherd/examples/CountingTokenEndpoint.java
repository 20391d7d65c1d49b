package dev.tokenherd.examples;

import static java.util.Objects.requireNonNull;

import dev.tokenherd.coordinator.spi.TokenEndpoint;
import dev.tokenherd.coordinator.spi.TokenEndpointException;
import dev.tokenherd.coordinator.spi.TokenRequest;
import dev.tokenherd.coordinator.spi.TokenResponse;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;

/**
 * One pod's token endpoint, counted: every request goes to the wrapped endpoint exactly once (it
 * adds no retry, which would present a refresh token twice), and how it ended goes to the fleet's
 * {@link TokenRequestTally} before the coordinator sees it, so that a refresh token is kept before
 * the fleet can store it. Once the tally is closed, requests fail as transient without being sent.
 */
final class CountingTokenEndpoint implements TokenEndpoint {
  private final TokenEndpoint delegate;
  private final TokenRequestTally tally;

  /**
   * Wraps {@code delegate}.
   *
   * @param delegate the pod's own endpoint client
   * @param tally the fleet's counts, shared by every pod
   */
  CountingTokenEndpoint(TokenEndpoint delegate, TokenRequestTally tally) {
    this.delegate = requireNonNull(delegate, "delegate");
    this.tally = requireNonNull(tally, "tally");
  }

  /**
   * Sends {@code request} through the wrapped endpoint, unless the run is ending, and counts the
   * outcome. The returned stage completes on the wrapped endpoint's thread, after the count.
   */
  @Override
  public CompletionStage<TokenResponse> requestToken(TokenRequest request) {
    if (!tally.sending()) {
      return CompletableFuture.failedFuture(
          TokenEndpointException.builder()
              .kind(TokenEndpointException.Kind.TRANSIENT)
              .message("not sent: the demo is stopping and saving the refresh token")
              .build());
    }
    CompletionStage<TokenResponse> sent;
    try {
      sent = delegate.requestToken(request);
    } catch (RuntimeException e) {
      sent = CompletableFuture.failedFuture(e);
    }
    return sent.whenComplete(
        (response, failure) -> {
          if (failure == null) {
            tally.answered(request, response);
          } else {
            tally.failed(unwrap(failure));
          }
        });
  }

  /** Names the wrapped endpoint, which shows no secret (see {@code OAuth2TokenEndpoint}). */
  @Override
  public String toString() {
    return "CountingTokenEndpoint[" + delegate + "]";
  }

  private static Throwable unwrap(Throwable failure) {
    Throwable cause = failure;
    while ((cause instanceof CompletionException || cause instanceof ExecutionException)
        && cause.getCause() != null) {
      cause = cause.getCause();
    }
    return cause;
  }
}

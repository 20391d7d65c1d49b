package dev.tokenherd.benchmarks;

import static java.util.Objects.requireNonNull;

import dev.tokenherd.coordinator.spi.TokenEndpoint;
import dev.tokenherd.coordinator.spi.TokenRequest;
import dev.tokenherd.coordinator.spi.TokenResponse;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentMap;

/**
 * A pod's token endpoint client that notes, for every token it receives, when the answer arrived:
 * the holder's side of the propagation time. The holder writes the token to the store right after
 * (one Redis round trip), so the propagation measured from here includes that write.
 */
final class TimedEndpoint implements TokenEndpoint {
  private final TokenEndpoint delegate;
  private final FleetClock clock;
  private final ConcurrentMap<String, Long> answeredAt;

  /**
   * Wraps {@code delegate}.
   *
   * @param delegate the real client
   * @param clock the cell's time base
   * @param answeredAt where to note each new access token's arrival, shared by the cell's pods
   */
  TimedEndpoint(TokenEndpoint delegate, FleetClock clock, ConcurrentMap<String, Long> answeredAt) {
    this.delegate = requireNonNull(delegate, "delegate");
    this.clock = requireNonNull(clock, "clock");
    this.answeredAt = requireNonNull(answeredAt, "answeredAt");
  }

  @Override
  public CompletionStage<TokenResponse> requestToken(TokenRequest request) {
    return delegate
        .requestToken(request)
        .whenComplete(
            (response, failure) -> {
              if (response != null) {
                answeredAt.putIfAbsent(response.accessToken(), clock.nowMicros());
              }
            });
  }
}

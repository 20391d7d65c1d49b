package dev.tokenherd.benchmarks;

import static java.util.Objects.requireNonNull;

import dev.tokenherd.coordinator.spi.TokenEndpoint;
import dev.tokenherd.coordinator.spi.TokenRequest;
import dev.tokenherd.coordinator.spi.TokenResponse;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A pod's token endpoint client that notes, for every token it receives, when the answer arrived:
 * the holder's side of the propagation time. The holder writes the token to the store right after
 * (one Redis round trip), so the propagation measured from here includes that write. It also notes
 * every token request with its pod and times ({@link TokenCall}): the refreshes that the Redis
 * round trips are counted against, and which pod held each.
 */
final class TimedEndpoint implements TokenEndpoint {
  /**
   * A token request one pod sent.
   *
   * @param pod the pod that sent it: the holder of that refresh
   * @param sentMicros when it was sent, on the cell's time base
   * @param endedMicros when its answer (or failure) arrived; {@link #IN_FLIGHT} while none has
   * @param answered whether it brought a token set
   */
  record TokenCall(String pod, long sentMicros, long endedMicros, boolean answered) {
    /** The {@link #endedMicros} of a request still in flight. */
    static final long IN_FLIGHT = Long.MAX_VALUE;
  }

  private static final AtomicLong IDS = new AtomicLong();

  private final TokenEndpoint delegate;
  private final String pod;
  private final FleetClock clock;
  private final ConcurrentMap<String, Long> answeredAt;
  private final ConcurrentMap<Long, TokenCall> calls;

  /**
   * Wraps {@code delegate}.
   *
   * @param delegate the real client
   * @param pod the pod's name
   * @param clock the cell's time base
   * @param answeredAt where to note each new access token's arrival, shared by the cell's pods
   * @param calls where to note each token request, shared by the cell's pods: noted when sent,
   *     replaced when it ends, so that a request still in flight at the end of a cell is known
   */
  TimedEndpoint(
      TokenEndpoint delegate,
      String pod,
      FleetClock clock,
      ConcurrentMap<String, Long> answeredAt,
      ConcurrentMap<Long, TokenCall> calls) {
    this.delegate = requireNonNull(delegate, "delegate");
    this.pod = requireNonNull(pod, "pod");
    this.clock = requireNonNull(clock, "clock");
    this.answeredAt = requireNonNull(answeredAt, "answeredAt");
    this.calls = requireNonNull(calls, "calls");
  }

  @Override
  public CompletionStage<TokenResponse> requestToken(TokenRequest request) {
    long sent = clock.nowMicros();
    long id = IDS.incrementAndGet();
    calls.put(id, new TokenCall(pod, sent, TokenCall.IN_FLIGHT, false));
    return delegate
        .requestToken(request)
        .whenComplete(
            (response, failure) -> {
              long ended = clock.nowMicros();
              if (response != null) {
                answeredAt.putIfAbsent(response.accessToken(), ended);
              }
              calls.put(id, new TokenCall(pod, sent, ended, response != null));
            });
  }
}

package dev.tokenherd.coordinator.spi;

import static java.util.Objects.requireNonNull;

import dev.tokenherd.coordinator.GrantType;
import dev.tokenherd.coordinator.Redaction;
import java.time.Duration;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * A request to a token endpoint. {@link #toString()} never reveals the refresh token.
 *
 * <p>A request may carry a <em>send-by deadline</em>: the last instant at which it may still leave
 * the process. The engine sets it from the refresh lock's lease, so that a request held up after
 * the engine's last check (a garbage-collection pause, {@code SIGSTOP}, a slow thread hand-off) is
 * not sent once its lease is over and another worker may be presenting the same refresh token. An
 * endpoint checks it as close to the socket as it can (immediately before handing the request to
 * its HTTP client) and, if it has passed, sends nothing and fails with a {@link
 * TokenEndpointException.Kind#TRANSIENT} error: nothing left the process, so the refresh token may
 * be presented again by whoever holds the lock next. An endpoint that ignores the deadline is still
 * correct within the refresh mark's window (docs/architecture.md, "A live mark holds off every
 * other sender"); honouring it closes most of what is left beyond that window.
 *
 * <p>The deadline is a {@link System#nanoTime()} value, not an {@link java.time.Instant}: the
 * engine and the endpoint run in one JVM, where {@code nanoTime} is the one clock that neither
 * steps (NTP, an operator) nor differs between the two (the engine's clock is the fleet's clock, an
 * injected {@link java.time.Clock}, the endpoint's stamps responses and may be another). The engine
 * converts its lease arithmetic to it at the point it computes it: {@code nanoTime()} now plus the
 * time left on its own clock. Compare with subtraction ({@code System.nanoTime() - sendByNanos > 0}
 * means passed), never with {@code <}: {@code nanoTime} may overflow.
 *
 * @param grantType the grant
 * @param refreshToken the refresh token; required for {@link GrantType#REFRESH_TOKEN}, absent for
 *     {@link GrantType#CLIENT_CREDENTIALS}
 * @param scopes the scopes to request; empty to request the default (or, on refresh, the originally
 *     granted) scopes
 * @param timeout how long the whole exchange may take, counted from when the request is sent; the
 *     endpoint fails with an ambiguous or transient error after it
 * @param sendByNanos the {@link System#nanoTime()} after which the request must not be sent, or
 *     {@link #NO_SEND_BY} for none
 */
public record TokenRequest(
    GrantType grantType,
    @Nullable String refreshToken,
    Set<String> scopes,
    Duration timeout,
    long sendByNanos) {

  /**
   * The {@link #sendByNanos} of a request without a send-by deadline. {@link #withSendBy} never
   * yields it for a real deadline (it moves that one nanosecond later).
   */
  public static final long NO_SEND_BY = Long.MIN_VALUE;

  /**
   * Validates the components.
   *
   * @param grantType the grant
   * @param refreshToken the refresh token for {@link GrantType#REFRESH_TOKEN}, {@code null} for
   *     {@link GrantType#CLIENT_CREDENTIALS}
   * @param scopes the scopes to request; copied
   * @param timeout how long the whole exchange may take; positive
   * @param sendByNanos the {@link System#nanoTime()} after which the request must not be sent, or
   *     {@link #NO_SEND_BY}
   * @throws IllegalArgumentException if the refresh token does not fit the grant or the timeout is
   *     not positive
   */
  public TokenRequest {
    requireNonNull(grantType, "grantType");
    requireNonNull(timeout, "timeout");
    scopes = Set.copyOf(scopes);
    if ((grantType == GrantType.REFRESH_TOKEN) != (refreshToken != null)) {
      throw new IllegalArgumentException(
          "a refresh token is required for, and only for, the refresh_token grant");
    }
    if (timeout.isNegative() || timeout.isZero()) {
      throw new IllegalArgumentException("timeout must be positive: " + timeout);
    }
  }

  /**
   * Creates a request without a send-by deadline.
   *
   * @param grantType the grant
   * @param refreshToken the refresh token for {@link GrantType#REFRESH_TOKEN}, {@code null} for
   *     {@link GrantType#CLIENT_CREDENTIALS}
   * @param scopes the scopes to request; copied
   * @param timeout how long the whole exchange may take; positive
   * @throws IllegalArgumentException if the refresh token does not fit the grant or the timeout is
   *     not positive
   */
  public TokenRequest(
      GrantType grantType, @Nullable String refreshToken, Set<String> scopes, Duration timeout) {
    this(grantType, refreshToken, scopes, timeout, NO_SEND_BY);
  }

  /**
   * Returns this request with a send-by deadline.
   *
   * @param nanos the {@link System#nanoTime()} after which the request must not be sent
   * @return the request
   */
  public TokenRequest withSendBy(long nanos) {
    return new TokenRequest(
        grantType, refreshToken, scopes, timeout, nanos == NO_SEND_BY ? nanos + 1 : nanos);
  }

  /**
   * Returns whether this request carries a send-by deadline.
   *
   * @return {@code false} if {@link #sendByNanos} is {@link #NO_SEND_BY}
   */
  public boolean hasSendBy() {
    return sendByNanos != NO_SEND_BY;
  }

  /**
   * Returns how long ago the send-by deadline passed, at {@code nowNanos}.
   *
   * @param nowNanos a {@link System#nanoTime()} value
   * @return the time since the deadline, positive if it has passed; {@link Duration#ZERO} if it has
   *     not, or if the request carries none
   */
  public Duration sendByOverdue(long nowNanos) {
    long late = nowNanos - sendByNanos;
    return hasSendBy() && late > 0 ? Duration.ofNanos(late) : Duration.ZERO;
  }

  /**
   * Returns a refresh_token grant request.
   *
   * @param refreshToken the refresh token to present
   * @param scopes the scopes to request; empty for the originally granted ones
   * @param timeout how long the whole exchange may take; positive
   * @return the request
   * @throws IllegalArgumentException if the timeout is not positive
   */
  public static TokenRequest refresh(String refreshToken, Set<String> scopes, Duration timeout) {
    return new TokenRequest(GrantType.REFRESH_TOKEN, refreshToken, scopes, timeout);
  }

  /**
   * Returns a client_credentials grant request.
   *
   * @param scopes the scopes to request; empty for the server's default
   * @param timeout how long the whole exchange may take; positive
   * @return the request
   * @throws IllegalArgumentException if the timeout is not positive
   */
  public static TokenRequest clientCredentials(Set<String> scopes, Duration timeout) {
    return new TokenRequest(GrantType.CLIENT_CREDENTIALS, null, scopes, timeout);
  }

  @Override
  public String toString() {
    return "TokenRequest[grantType="
        + grantType.wireName()
        + ", refreshToken="
        + Redaction.fingerprint(refreshToken)
        + ", scopes="
        + scopes
        + ", timeout="
        + timeout
        + (hasSendBy() ? ", sendByNanos=" + sendByNanos : "")
        + "]";
  }
}

package dev.tokenherd.testkit;

import static java.util.Objects.requireNonNull;

import java.time.Duration;
import org.jspecify.annotations.Nullable;

/**
 * A failure that a {@link FakeAuthorizationServer} injects into a token request, in place of (or
 * after) processing it. Immutable; made by the static factories.
 *
 * <p>Faults named {@code ...AfterProcessing} let the grant take effect first (a refresh token is
 * rotated, counters move) and then spoil the answer: the ambiguous case, where the client cannot
 * know whether the server acted. All others answer without processing: the server's state does not
 * change.
 */
public final class Fault {
  /** What the fault does. */
  public enum Kind {
    /** An HTTP status with a short plain-text body, not processed. */
    STATUS,
    /** 429 with {@code Retry-After} in seconds, not processed. */
    TOO_MANY_REQUESTS,
    /** An RFC 6749 sec. 5.2 error response with a chosen code and status, not processed. */
    OAUTH_ERROR,
    /**
     * A wait, then 504 without processing: what a gateway answers when its upstream took too long.
     * A client whose timeout is shorter has given up by then.
     */
    DELAY,
    /** Processed, then the real answer is sent after a wait. */
    DELAY_AFTER_PROCESSING,
    /** The connection is closed without an answer, not processed. */
    CLOSE_BEFORE_PROCESSING,
    /** Processed, then the connection is closed without an answer. */
    CLOSE_AFTER_PROCESSING,
    /** 200 with a body that is not JSON, not processed. */
    MALFORMED_JSON,
    /** Processed, then 200 with a body that is not JSON instead of the real answer. */
    MALFORMED_JSON_AFTER_PROCESSING,
    /**
     * Processed, then the real answer with its {@code expires_in} replaced by a chosen JSON value
     * (or left out): what the client is told, not what the server's ledger holds.
     */
    EXPIRES_IN_AFTER_PROCESSING
  }

  private final Kind kind;
  private final int status;
  private final @Nullable String error;
  private final Duration duration;
  private final @Nullable String expiresIn;

  private Fault(Kind kind, int status, @Nullable String error, Duration duration) {
    this(kind, status, error, duration, null);
  }

  private Fault(
      Kind kind,
      int status,
      @Nullable String error,
      Duration duration,
      @Nullable String expiresIn) {
    this.kind = kind;
    this.status = status;
    this.error = error;
    this.duration = duration;
    this.expiresIn = expiresIn;
  }

  /**
   * Answers with an HTTP status (for example 500 or 503) and a short plain-text body.
   *
   * @param status 100-599
   * @return the fault
   * @throws IllegalArgumentException if {@code status} is out of range
   */
  public static Fault status(int status) {
    return new Fault(Kind.STATUS, requireStatus(status), null, Duration.ZERO);
  }

  /**
   * Answers 429 with {@code Retry-After: <seconds>}.
   *
   * @param retryAfter whole seconds, not negative
   * @return the fault
   * @throws IllegalArgumentException if {@code retryAfter} is negative or not whole seconds
   */
  public static Fault tooManyRequests(Duration retryAfter) {
    requireNonNull(retryAfter, "retryAfter");
    if (retryAfter.isNegative() || !retryAfter.equals(Duration.ofSeconds(retryAfter.toSeconds()))) {
      throw new IllegalArgumentException(
          "retryAfter must be whole, non-negative seconds: " + retryAfter);
    }
    return new Fault(Kind.TOO_MANY_REQUESTS, 429, null, retryAfter);
  }

  /**
   * Answers with an RFC 6749 sec. 5.2 error, for example {@code temporarily_unavailable} with 503,
   * or {@code invalid_grant} with 400.
   *
   * @param error the {@code error} code
   * @param status the HTTP status, 100-599
   * @return the fault
   * @throws IllegalArgumentException if {@code error} is blank or {@code status} out of range
   */
  public static Fault oauthError(String error, int status) {
    requireNonNull(error, "error");
    if (error.isBlank()) {
      throw new IllegalArgumentException("error must not be blank");
    }
    return new Fault(Kind.OAUTH_ERROR, requireStatus(status), error, Duration.ZERO);
  }

  /**
   * Waits, then answers 504 without processing the request.
   *
   * @param delay how long to wait
   * @return the fault
   */
  public static Fault delay(Duration delay) {
    return new Fault(Kind.DELAY, 504, null, requireNotNegative(delay));
  }

  /**
   * Processes the request, then waits before sending the real answer: with a delay past the
   * client's timeout, the server acted (a refresh token rotated) but the client never hears of it.
   *
   * @param delay how long to wait
   * @return the fault
   */
  public static Fault delayAfterProcessing(Duration delay) {
    return new Fault(Kind.DELAY_AFTER_PROCESSING, 0, null, requireNotNegative(delay));
  }

  /**
   * Closes the connection without an answer and without processing the request.
   *
   * @return the fault
   */
  public static Fault closeBeforeProcessing() {
    return new Fault(Kind.CLOSE_BEFORE_PROCESSING, 0, null, Duration.ZERO);
  }

  /**
   * Processes the request, then closes the connection without an answer.
   *
   * @return the fault
   */
  public static Fault closeAfterProcessing() {
    return new Fault(Kind.CLOSE_AFTER_PROCESSING, 0, null, Duration.ZERO);
  }

  /**
   * Answers 200 with a body that is not JSON, without processing the request.
   *
   * @return the fault
   */
  public static Fault malformedJson() {
    return new Fault(Kind.MALFORMED_JSON, 200, null, Duration.ZERO);
  }

  /**
   * Processes the request, then answers 200 with a body that is not JSON.
   *
   * @return the fault
   */
  public static Fault malformedJsonAfterProcessing() {
    return new Fault(Kind.MALFORMED_JSON_AFTER_PROCESSING, 200, null, Duration.ZERO);
  }

  /**
   * Processes the request (a refresh token is rotated), then sends the real answer with its {@code
   * expires_in} replaced by {@code json}, a JSON value as text ({@code "0"}, {@code "-30"}, {@code
   * "0.5"}, {@code "\"3600\""}), or left out if {@code json} is {@code null}. The server's own
   * ledger keeps the token's real lifetime.
   *
   * @param json the JSON value to send as {@code expires_in}, or {@code null} to leave it out
   * @return the fault
   */
  public static Fault expiresInAfterProcessing(@Nullable String json) {
    return new Fault(Kind.EXPIRES_IN_AFTER_PROCESSING, 0, null, Duration.ZERO, json);
  }

  /**
   * Returns what the fault does.
   *
   * @return the fault's kind
   */
  public Kind kind() {
    return kind;
  }

  /**
   * Returns whether the request is processed before the fault spoils the answer.
   *
   * @return {@code true} for the {@code ...AFTER_PROCESSING} kinds
   */
  public boolean processesRequest() {
    return kind == Kind.DELAY_AFTER_PROCESSING
        || kind == Kind.CLOSE_AFTER_PROCESSING
        || kind == Kind.MALFORMED_JSON_AFTER_PROCESSING
        || kind == Kind.EXPIRES_IN_AFTER_PROCESSING;
  }

  /**
   * Returns the HTTP status the fault answers with.
   *
   * @return the status, or 0 if the fault sends the real answer's status or no answer at all
   */
  public int status() {
    return status;
  }

  /**
   * Returns the OAuth 2.0 error code of an {@link Kind#OAUTH_ERROR}.
   *
   * @return the error code, or {@code null} for the other kinds
   */
  public @Nullable String error() {
    return error;
  }

  /**
   * Returns the fault's wait.
   *
   * @return the delay of {@link Kind#DELAY} and {@link Kind#DELAY_AFTER_PROCESSING}, the {@code
   *     Retry-After} of {@link Kind#TOO_MANY_REQUESTS}, or zero for the other kinds
   */
  public Duration duration() {
    return duration;
  }

  /**
   * Returns the {@code expires_in} an {@link Kind#EXPIRES_IN_AFTER_PROCESSING} sends.
   *
   * @return the JSON value as text, or {@code null} if it leaves {@code expires_in} out or is
   *     another kind
   */
  public @Nullable String expiresIn() {
    return expiresIn;
  }

  private static int requireStatus(int status) {
    if (status < 100 || status > 599) {
      throw new IllegalArgumentException("status must be 100-599: " + status);
    }
    return status;
  }

  private static Duration requireNotNegative(Duration delay) {
    requireNonNull(delay, "delay");
    if (delay.isNegative()) {
      throw new IllegalArgumentException("delay must not be negative: " + delay);
    }
    return delay;
  }

  @Override
  public String toString() {
    return "Fault["
        + kind
        + (status == 0 ? "" : ", status=" + status)
        + (error == null ? "" : ", error=" + error)
        + (duration.isZero() ? "" : ", duration=" + duration)
        + (kind == Kind.EXPIRES_IN_AFTER_PROCESSING ? ", expires_in=" + expiresIn : "")
        + "]";
  }
}

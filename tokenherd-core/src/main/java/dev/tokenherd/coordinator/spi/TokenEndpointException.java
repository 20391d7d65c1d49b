package dev.tokenherd.coordinator.spi;

import static java.util.Objects.requireNonNull;

import dev.tokenherd.coordinator.OAuth2Error;
import java.time.Duration;
import java.util.Locale;
import org.jspecify.annotations.Nullable;

/**
 * A classified token endpoint failure. The message names the HTTP status and OAuth 2.0 error code
 * only: never a token, a secret or a response body.
 */
public final class TokenEndpointException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /** How the coordinator treats a failure. */
  public enum Kind {
    /**
     * Retrying cannot help: {@code invalid_grant}, {@code invalid_client}, {@code
     * unauthorized_client}, {@code unsupported_grant_type}, {@code invalid_scope}, or another 4xx
     * that is not 408 or 429. The coordinator stops and marks the credential
     * re-authentication-required (after checking that no newer token was stored meanwhile).
     */
    PERMANENT,
    /**
     * The request certainly did not change anything on the server: it was never sent (connection
     * refused, DNS, TLS handshake) or the server refused it (5xx, 429, 408, {@code
     * temporarily_unavailable}). Retried with backoff, honouring {@code Retry-After}.
     */
    TRANSIENT,
    /**
     * The request was sent but no answer was read (timeout or reset after sending): the server may
     * have rotated the refresh token. Retried, counted on its own, and the refresh mark is kept so
     * that a later {@code invalid_grant} is reported as a lost rotation.
     */
    AMBIGUOUS,
    /**
     * The server answered 200 but the body is not a valid token response (malformed JSON, a missing
     * field, an absurd lifetime, too large). The server may have rotated; treated like {@link
     * #AMBIGUOUS}, and the stored record is never replaced by what was received.
     */
    INVALID_RESPONSE
  }

  /** How the coordinator treats the failure. */
  private final Kind kind;

  /** The HTTP status, or 0 when no response was received. */
  private final int httpStatus;

  /**
   * The OAuth 2.0 error response, or {@code null}. {@link OAuth2Error} is not serializable: an
   * exception that holds one cannot be serialized.
   */
  @SuppressWarnings("serial") // records are serializable in practice; the field is diagnostics
  private final @Nullable OAuth2Error error;

  /** The server's {@code Retry-After}, or {@code null} if it gave none. */
  private final @Nullable Duration retryAfter;

  /**
   * Creates the exception.
   *
   * @param kind the classification
   * @param message what happened, without secrets or response bodies
   * @param httpStatus the HTTP status, or 0 when no response was received
   * @param error the OAuth 2.0 error response, if one was parsed
   * @param retryAfter the server's {@code Retry-After}, if given
   * @param cause the underlying failure, if any
   */
  public TokenEndpointException(
      Kind kind,
      String message,
      int httpStatus,
      @Nullable OAuth2Error error,
      @Nullable Duration retryAfter,
      @Nullable Throwable cause) {
    super(
        requireNonNull(kind, "kind").name().toLowerCase(Locale.ROOT)
            + ": "
            + message
            + (httpStatus == 0 ? "" : " (HTTP " + httpStatus + ")")
            + (error == null ? "" : " [" + error.error() + "]"),
        cause);
    this.kind = kind;
    this.httpStatus = httpStatus;
    this.error = error;
    this.retryAfter = retryAfter;
  }

  /**
   * Returns how the coordinator treats this failure.
   *
   * @return the classification
   */
  public Kind kind() {
    return kind;
  }

  /**
   * Returns the HTTP status of the token endpoint's response.
   *
   * @return the status, or 0 when no response was received
   */
  public int httpStatus() {
    return httpStatus;
  }

  /**
   * Returns the OAuth 2.0 error response, if one was parsed.
   *
   * @return the error response, or {@code null}
   */
  public @Nullable OAuth2Error error() {
    return error;
  }

  /**
   * Returns the server's {@code Retry-After}, if given.
   *
   * @return how long the server asked clients to wait, or {@code null} if it did not say
   */
  public @Nullable Duration retryAfter() {
    return retryAfter;
  }
}

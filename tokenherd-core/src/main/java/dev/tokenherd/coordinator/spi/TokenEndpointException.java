package dev.tokenherd.coordinator.spi;

import static java.util.Objects.requireNonNull;

import com.google.errorprone.annotations.CanIgnoreReturnValue;
import dev.tokenherd.coordinator.OAuth2Error;
import java.time.Duration;
import java.util.Locale;
import org.jspecify.annotations.Nullable;

/**
 * A classified token endpoint failure. The message names the HTTP status and OAuth 2.0 error code
 * only: never a token, a secret or a response body. Make one with {@link #builder()}.
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

  private TokenEndpointException(
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
   * Returns a new builder. The kind and the message are required; the rest defaults to no response
   * (HTTP status 0), no OAuth 2.0 error, no {@code Retry-After} and no cause.
   *
   * @return a new builder
   */
  public static Builder builder() {
    return new Builder();
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

  /** Builds a {@link TokenEndpointException}. */
  public static final class Builder {
    private @Nullable Kind kind;
    private @Nullable String message;
    private int httpStatus;
    private @Nullable OAuth2Error error;
    private @Nullable Duration retryAfter;
    private @Nullable Throwable cause;

    private Builder() {}

    /**
     * Sets how the coordinator treats the failure (required).
     *
     * @param kind the classification
     * @return this builder
     */
    @CanIgnoreReturnValue
    public Builder kind(Kind kind) {
      this.kind = requireNonNull(kind, "kind");
      return this;
    }

    /**
     * Sets what happened (required).
     *
     * @param message what happened, without secrets or response bodies
     * @return this builder
     */
    @CanIgnoreReturnValue
    public Builder message(String message) {
      this.message = requireNonNull(message, "message");
      return this;
    }

    /**
     * Sets the HTTP status of the token endpoint's response (default 0).
     *
     * @param httpStatus the status, or 0 when no response was received
     * @return this builder
     */
    @CanIgnoreReturnValue
    public Builder httpStatus(int httpStatus) {
      this.httpStatus = httpStatus;
      return this;
    }

    /**
     * Sets the OAuth 2.0 error response (default none).
     *
     * @param error the error response, if one was parsed, or {@code null}
     * @return this builder
     */
    @CanIgnoreReturnValue
    public Builder error(@Nullable OAuth2Error error) {
      this.error = error;
      return this;
    }

    /**
     * Sets the server's {@code Retry-After} (default none).
     *
     * @param retryAfter how long the server asked clients to wait, or {@code null} if it did not
     *     say
     * @return this builder
     */
    @CanIgnoreReturnValue
    public Builder retryAfter(@Nullable Duration retryAfter) {
      this.retryAfter = retryAfter;
      return this;
    }

    /**
     * Sets the underlying failure (default none).
     *
     * @param cause the underlying failure, or {@code null}
     * @return this builder
     */
    @CanIgnoreReturnValue
    public Builder cause(@Nullable Throwable cause) {
      this.cause = cause;
      return this;
    }

    /**
     * Builds the exception.
     *
     * @return the exception, ready to throw
     * @throws IllegalStateException if the kind or the message is missing
     */
    public TokenEndpointException build() {
      if (kind == null || message == null) {
        throw new IllegalStateException("kind and message are required");
      }
      return new TokenEndpointException(kind, message, httpStatus, error, retryAfter, cause);
    }
  }
}

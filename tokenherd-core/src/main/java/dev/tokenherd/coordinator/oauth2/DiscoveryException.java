package dev.tokenherd.coordinator.oauth2;

import org.jspecify.annotations.Nullable;

/**
 * Authorization server metadata could not be discovered or is not acceptable. Thrown (inside the
 * returned future) by {@link AuthorizationServerMetadata#discover}. The message names the metadata
 * URL and the rule that failed, never the response body.
 */
public final class DiscoveryException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /** The HTTP status of the metadata response, or 0 if none was received. */
  private final int httpStatus;

  /** Whether trying again later may succeed. */
  private final boolean retryable;

  /**
   * Creates the exception.
   *
   * @param message what failed, without the response body
   * @param httpStatus the HTTP status of the metadata response, or 0 if none was received
   * @param retryable whether trying again later may succeed (an I/O failure, 5xx, 408, 429)
   * @param cause the underlying failure, if any
   */
  public DiscoveryException(
      String message, int httpStatus, boolean retryable, @Nullable Throwable cause) {
    super(message, cause);
    this.httpStatus = httpStatus;
    this.retryable = retryable;
  }

  /**
   * Returns the HTTP status of the metadata response.
   *
   * @return the status, or 0 if no response was received
   */
  public int httpStatus() {
    return httpStatus;
  }

  /**
   * Returns whether trying again later may succeed: {@code true} for an I/O failure, a timeout,
   * 5xx, 408 and 429; {@code false} when the server answered with metadata that Tokenherd must not
   * use (issuer mismatch, missing or relative {@code token_endpoint}, not JSON) or with another
   * status.
   *
   * @return whether a later discovery may succeed without a change of configuration
   */
  public boolean isRetryable() {
    return retryable;
  }
}

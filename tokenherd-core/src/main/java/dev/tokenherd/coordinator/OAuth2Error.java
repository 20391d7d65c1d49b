package dev.tokenherd.coordinator;

import static java.util.Objects.requireNonNull;

import org.jspecify.annotations.Nullable;

/**
 * An error response from a token endpoint (RFC 6749 sec. 5.2).
 *
 * <p>The description and URI come from the authorization server; they are kept for diagnostics but
 * never put in exception messages, which name only the error code.
 *
 * @param error the error code, for example {@code invalid_grant}
 * @param description the human-readable description, if any
 * @param uri the error URI, if any
 */
public record OAuth2Error(String error, @Nullable String description, @Nullable String uri) {
  /** The refresh token (or authorization grant) is invalid, expired or revoked. */
  public static final String INVALID_GRANT = "invalid_grant";

  /** Client authentication failed. */
  public static final String INVALID_CLIENT = "invalid_client";

  /** The client may not use this grant type. */
  public static final String UNAUTHORIZED_CLIENT = "unauthorized_client";

  /** The server does not support this grant type. */
  public static final String UNSUPPORTED_GRANT_TYPE = "unsupported_grant_type";

  /** The requested scope is invalid or exceeds what was granted. */
  public static final String INVALID_SCOPE = "invalid_scope";

  /** The request is malformed. */
  public static final String INVALID_REQUEST = "invalid_request";

  /** The server is temporarily unable to handle the request (OpenID Connect / RFC 6749 4.1.2.1). */
  public static final String TEMPORARILY_UNAVAILABLE = "temporarily_unavailable";

  /** The server met an unexpected condition. */
  public static final String SERVER_ERROR = "server_error";

  /**
   * Validates the components.
   *
   * @param error the error code
   * @param description the human-readable description, or {@code null}
   * @param uri the error URI, or {@code null}
   */
  public OAuth2Error {
    requireNonNull(error, "error");
  }

  /**
   * Returns an error with only a code.
   *
   * @param error the error code, for example {@link #INVALID_GRANT}
   * @return the error, with no description and no URI
   */
  public static OAuth2Error of(String error) {
    return new OAuth2Error(error, null, null);
  }

  @Override
  public String toString() {
    return "OAuth2Error[" + error + "]";
  }
}

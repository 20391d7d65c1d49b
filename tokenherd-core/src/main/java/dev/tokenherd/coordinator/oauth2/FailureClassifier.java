package dev.tokenherd.coordinator.oauth2;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tokenherd.coordinator.OAuth2Error;
import dev.tokenherd.coordinator.Redaction;
import dev.tokenherd.coordinator.spi.TokenEndpointException;
import dev.tokenherd.coordinator.spi.TokenEndpointException.Kind;
import java.io.IOException;
import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.UnknownHostException;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpHeaders;
import java.net.http.HttpTimeoutException;
import java.nio.channels.UnresolvedAddressException;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.regex.Pattern;
import javax.net.ssl.SSLHandshakeException;
import org.jspecify.annotations.Nullable;

/**
 * Turns a token endpoint's error response or an exchange failure into a classified {@link
 * TokenEndpointException}. The table is documented on {@link OAuth2TokenEndpoint}.
 */
final class FailureClassifier {
  /** Error codes that mean "this request will never succeed as it is" (RFC 6749 sec. 5.2). */
  private static final Set<String> PERMANENT_ERRORS =
      Set.of(
          OAuth2Error.INVALID_GRANT,
          OAuth2Error.INVALID_CLIENT,
          OAuth2Error.UNAUTHORIZED_CLIENT,
          OAuth2Error.UNSUPPORTED_GRANT_TYPE,
          OAuth2Error.INVALID_SCOPE,
          OAuth2Error.INVALID_REQUEST);

  /** Error codes that mean "try again later", whatever the status says. */
  private static final Set<String> TRANSIENT_ERRORS =
      Set.of(OAuth2Error.TEMPORARILY_UNAVAILABLE, OAuth2Error.SERVER_ERROR);

  /** Statuses that mean "not now": the server did not act on the request. */
  private static final Set<Integer> TRANSIENT_STATUSES = Set.of(408, 429);

  /**
   * What an error code must look like to be kept. RFC 6749 sec. 5.2 allows any of %x20-21 / %x23-5B
   * / %x5D-7E, but every registered code is a short identifier; the code goes into exception
   * messages and logs, so anything else (a sentence, a control character, an echoed token with
   * spaces around it) is dropped and the response classified by its status alone.
   */
  private static final Pattern ERROR_CODE = Pattern.compile("[A-Za-z0-9_.:-]{1,64}");

  private FailureClassifier() {}

  /**
   * Classifies a non-2xx response.
   *
   * @param status the HTTP status
   * @param headers the response headers, for {@code Retry-After} and {@code WWW-Authenticate}
   * @param body the (bounded) body, parsed as a sec. 5.2 error response if possible
   * @param receivedAt when the response arrived, the base of an HTTP-date {@code Retry-After}
   * @param target the endpoint, as named in messages
   * @param sentSecrets the secrets the request carried; a server that echoes one back must not get
   *     it into an exception
   */
  static TokenEndpointException fromErrorResponse(
      int status,
      HttpHeaders headers,
      BoundedBody body,
      Instant receivedAt,
      String target,
      List<String> sentSecrets) {
    Duration retryAfter =
        RetryAfter.parse(headers.firstValue("Retry-After").orElse(null), receivedAt);
    OAuth2Error error = parseError(body, sentSecrets);
    if (error == null
        && status == 401
        && body.bytes().length == 0
        && !body.exceeded()
        && headers.firstValue("WWW-Authenticate").isPresent()) {
      // RFC 6749 sec. 5.2: a 401 challenge is how a server answers failed client authentication.
      error = OAuth2Error.of(OAuth2Error.INVALID_CLIENT);
    }
    String code = error == null ? null : error.error();
    Kind kind;
    String message;
    if (status >= 300 && status < 400) {
      // We never follow redirects (a redirected POST could carry the client secret elsewhere).
      kind = Kind.PERMANENT;
      message = "token endpoint " + target + " redirected the request; check the token URI";
    } else if (code != null && TRANSIENT_ERRORS.contains(code)) {
      kind = Kind.TRANSIENT;
      message = "token endpoint " + target + " is temporarily unable to answer";
    } else if ((status >= 500 && status < 600) || TRANSIENT_STATUSES.contains(status)) {
      // The status says "not now" even if the body names a permanent code; a later attempt
      // gets a definite answer, whereas a wrong PERMANENT would stop the credential for good.
      kind = Kind.TRANSIENT;
      message = "token endpoint " + target + " is temporarily unable to answer";
    } else if (status >= 400 && status < 500) {
      kind = Kind.PERMANENT;
      message =
          "token endpoint "
              + target
              + (code != null && PERMANENT_ERRORS.contains(code)
                  ? " rejected the request"
                  : " rejected the request with an unrecognised error");
    } else {
      // 1xx left over, or a status outside 100-599: the server answered something we cannot
      // read. It may have acted on the request, so this is no safer than a lost answer.
      kind = Kind.AMBIGUOUS;
      message = "token endpoint " + target + " answered with an unexpected status";
    }
    return TokenEndpointException.builder()
        .kind(kind)
        .message(message)
        .httpStatus(status)
        .error(error)
        .retryAfter(retryAfter)
        .build();
  }

  /**
   * Parses an RFC 6749 sec. 5.2 error body.
   *
   * @param sentSecrets secrets to keep out of the result: a code containing one is dropped, and the
   *     description and URI show it only as a fingerprint
   * @return the error, or {@code null} if the body is not a JSON object with a well-formed string
   *     {@code error} member
   */
  static @Nullable OAuth2Error parseError(BoundedBody body, List<String> sentSecrets) {
    if (body.exceeded()) {
      return null;
    }
    ObjectNode json = Json.parseObject(body.bytes());
    if (json == null) {
      return null;
    }
    String code = optionalText(json, "error");
    if (code == null
        || !ERROR_CODE.matcher(code).matches()
        || sentSecrets.stream().anyMatch(code::contains)) {
      return null;
    }
    return new OAuth2Error(
        code,
        scrub(optionalText(json, "error_description"), sentSecrets),
        scrub(optionalText(json, "error_uri"), sentSecrets));
  }

  private static @Nullable String scrub(@Nullable String text, List<String> sentSecrets) {
    String scrubbed = text;
    for (String secret : sentSecrets) {
      if (scrubbed != null && !secret.isEmpty()) {
        scrubbed = scrubbed.replace(secret, Redaction.fingerprint(secret));
      }
    }
    return scrubbed;
  }

  /**
   * Classifies a failure of the exchange itself (no HTTP response was read).
   *
   * @param failure the failure, possibly wrapped in a {@link CompletionException}
   * @param target the endpoint, as named in messages
   */
  static TokenEndpointException fromFailure(Throwable failure, String target) {
    Throwable cause = unwrap(failure);
    Kind kind;
    String message;
    if (hasCause(cause, HttpConnectTimeoutException.class)) {
      kind = Kind.TRANSIENT;
      message = "connecting to " + target + " timed out";
    } else if (hasCause(cause, HttpTimeoutException.class)) {
      kind = Kind.AMBIGUOUS;
      message =
          "no response from " + target + " within the timeout; the server may have acted on it";
    } else if (hasCause(cause, UnknownHostException.class)
        || hasCause(cause, UnresolvedAddressException.class)) {
      kind = Kind.TRANSIENT;
      message = "could not resolve the host of " + target;
    } else if (hasCause(cause, ConnectException.class)
        || hasCause(cause, NoRouteToHostException.class)) {
      kind = Kind.TRANSIENT;
      message = "could not connect to " + target;
    } else if (hasCause(cause, SSLHandshakeException.class)) {
      kind = Kind.TRANSIENT;
      message = "TLS handshake with " + target + " failed";
    } else if (cause instanceof IOException) {
      kind = Kind.AMBIGUOUS;
      message = "the exchange with " + target + " failed after the request may have been sent";
    } else {
      // Not an I/O failure (a bug or a broken HttpClient): we cannot tell whether the request
      // left, so assume it may have.
      kind = Kind.AMBIGUOUS;
      message = "the exchange with " + target + " failed unexpectedly";
    }
    return TokenEndpointException.builder().kind(kind).message(message).cause(cause).build();
  }

  /** Strips the wrappers that futures put around the real failure. */
  static Throwable unwrap(Throwable failure) {
    Throwable current = failure;
    while ((current instanceof CompletionException || current instanceof ExecutionException)
        && current.getCause() != null) {
      current = current.getCause();
    }
    return current;
  }

  private static boolean hasCause(Throwable failure, Class<? extends Throwable> type) {
    // Bounded walk: the JDK wraps, e.g., an UnresolvedAddressException in a ConnectException.
    Throwable current = failure;
    for (int depth = 0; current != null && depth < 8; depth++) {
      if (type.isInstance(current)) {
        return true;
      }
      current = current.getCause();
    }
    return false;
  }

  private static @Nullable String optionalText(ObjectNode json, String name) {
    var node = json.get(name);
    return node != null && node.isTextual() ? node.textValue() : null;
  }
}

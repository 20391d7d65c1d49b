package dev.tokenherd.testkit;

import static java.util.Objects.requireNonNull;

import com.sun.net.httpserver.HttpExchange;
import dev.tokenherd.testkit.RecordedTokenRequest.Outcome;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Base64;
import org.jspecify.annotations.Nullable;

/**
 * Authenticates the client of a token request (RFC 6749 sec. 2.3.1): {@code client_secret_basic} or
 * {@code client_secret_post}, never both. Holds the one client the {@link FakeAuthorizationServer}
 * knows; compares secrets in constant time and never shows one.
 */
final class ClientAuthenticator {
  private final String clientId;
  private final byte[] clientSecret;

  ClientAuthenticator(String clientId, String clientSecret) {
    this.clientId = clientId;
    this.clientSecret = clientSecret.getBytes(StandardCharsets.UTF_8);
  }

  /** Returns the rejection, or {@code null} if the client authenticated (RFC 6749 sec. 2.3.1). */
  @Nullable Reply authenticate(HttpExchange exchange, Form form) {
    String authorization = exchange.getRequestHeaders().getFirst("Authorization");
    boolean basic = authorization != null && authorization.regionMatches(true, 0, "Basic ", 0, 6);
    String postedSecret = form.first("client_secret");
    if (basic && postedSecret != null) {
      return Reply.error(
          400,
          "invalid_request",
          "more than one client authentication method",
          Outcome.INVALID_REQUEST);
    }
    String id;
    String secret;
    if (basic) {
      String[] credentials = decodeBasic(requireNonNull(authorization).substring(6).trim());
      id = credentials == null ? null : credentials[0];
      secret = credentials == null ? null : credentials[1];
    } else {
      id = form.first("client_id");
      secret = postedSecret;
    }
    boolean known =
        id != null
            && secret != null
            && id.equals(clientId)
            && MessageDigest.isEqual(secret.getBytes(StandardCharsets.UTF_8), clientSecret);
    if (known) {
      return null;
    }
    Reply reply =
        Reply.error(401, "invalid_client", "client authentication failed", Outcome.INVALID_CLIENT);
    // RFC 6749 sec. 5.2: a client that tried the Authorization header must be told the scheme.
    return postedSecret == null
        ? reply.withHeader("WWW-Authenticate", "Basic realm=\"fake-authorization-server\"")
        : reply;
  }

  /** Decodes {@code base64(urlencode(id) ":" urlencode(secret))}; {@code null} if malformed. */
  private static String @Nullable [] decodeBasic(String encoded) {
    try {
      String decoded = new String(Base64.getDecoder().decode(encoded), StandardCharsets.UTF_8);
      int colon = decoded.indexOf(':');
      if (colon < 0) {
        return null;
      }
      return new String[] {
        URLDecoder.decode(decoded.substring(0, colon), StandardCharsets.UTF_8),
        URLDecoder.decode(decoded.substring(colon + 1), StandardCharsets.UTF_8)
      };
    } catch (IllegalArgumentException e) {
      return null;
    }
  }
}

package dev.tokenherd.coordinator.oauth2;

import static java.util.Objects.requireNonNull;

import dev.tokenherd.coordinator.GrantType;
import dev.tokenherd.coordinator.Redaction;
import dev.tokenherd.coordinator.spi.TokenRequest;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.jspecify.annotations.Nullable;

/**
 * Encodes a {@link TokenRequest} as {@link OAuth2TokenEndpoint} sends it: the {@code
 * application/x-www-form-urlencoded} body (RFC 6749 sec. 4.4.2 and 6) and the client authentication
 * of sec. 2.3.1, which goes either into the body or into an {@code Authorization: Basic} header,
 * never both. Immutable and thread-safe.
 */
final class TokenRequestEncoder {
  /** Form parameters that the encoder sets itself and {@code additionalParameters} must not. */
  private static final Set<String> RESERVED_PARAMETERS =
      Set.of("grant_type", "refresh_token", "client_id", "client_secret", "scope");

  private final String clientId;
  private final @Nullable String clientSecret;
  private final ClientAuthentication authentication;
  private final Map<String, String> additionalParameters;
  private final @Nullable String authorizationHeader;

  /**
   * Creates an encoder for one client.
   *
   * @param clientId the {@code client_id}
   * @param clientSecret the secret; present exactly when {@code authentication} is not {@link
   *     ClientAuthentication#NONE} (the builder checks that)
   * @param authentication how the client authenticates
   * @param additionalParameters extra form parameters, already checked by {@link
   *     #checkAdditionalParameters}; copied
   */
  TokenRequestEncoder(
      String clientId,
      @Nullable String clientSecret,
      ClientAuthentication authentication,
      Map<String, String> additionalParameters) {
    this.clientId = requireNonNull(clientId, "clientId");
    this.clientSecret = clientSecret;
    this.authentication = requireNonNull(authentication, "authentication");
    this.additionalParameters = Collections.unmodifiableMap(new TreeMap<>(additionalParameters));
    this.authorizationHeader =
        authentication == ClientAuthentication.CLIENT_SECRET_BASIC && clientSecret != null
            ? basicAuthorization(clientId, clientSecret)
            : null;
  }

  /**
   * Checks extra form parameters for {@link OAuth2TokenEndpoint.Builder#additionalParameters}.
   *
   * @return a sorted copy
   * @throws IllegalArgumentException if a name is empty or one the encoder sets itself (in any
   *     case); the message names the parameter, never its value
   */
  static Map<String, String> checkAdditionalParameters(Map<String, String> additionalParameters) {
    requireNonNull(additionalParameters, "additionalParameters");
    Map<String, String> copy = new TreeMap<>();
    additionalParameters.forEach(
        (name, value) -> {
          requireNonNull(name, "additionalParameters name");
          requireNonNull(value, "additionalParameters value");
          if (name.isEmpty()) {
            throw new IllegalArgumentException("additionalParameters has an empty name");
          }
          if (RESERVED_PARAMETERS.contains(name.toLowerCase(Locale.ROOT))) {
            throw new IllegalArgumentException(
                "additionalParameters must not set " + name + ": the endpoint sets it itself");
          }
          copy.put(name, value);
        });
    return copy;
  }

  /**
   * Returns whether every requested scope is an RFC 6749 sec. 3.3 {@code scope-token}; a request
   * with another can never succeed, and is not sent.
   */
  static boolean hasValidScopes(TokenRequest request) {
    return request.scopes().stream().allMatch(TokenRequestEncoder::isScopeToken);
  }

  /** Returns the form body for {@code request}, the same bytes for the same request. */
  String formBody(TokenRequest request) {
    StringBuilder form = new StringBuilder();
    appendParameter(form, "grant_type", request.grantType().wireName());
    String refreshToken = request.refreshToken();
    if (request.grantType() == GrantType.REFRESH_TOKEN && refreshToken != null) {
      appendParameter(form, "refresh_token", refreshToken);
    }
    if (!request.scopes().isEmpty()) {
      // Sorted, so that the same request always produces the same bytes.
      appendParameter(form, "scope", String.join(" ", new TreeSet<>(request.scopes())));
    }
    String secret = clientSecret;
    switch (authentication) {
      case CLIENT_SECRET_POST -> {
        appendParameter(form, "client_id", clientId);
        appendParameter(form, "client_secret", requireNonNull(secret));
      }
      case NONE -> appendParameter(form, "client_id", clientId);
      case CLIENT_SECRET_BASIC -> {
        // In the Authorization header; RFC 6749 sec. 2.3: never in both places.
      }
    }
    additionalParameters.forEach((name, value) -> appendParameter(form, name, value));
    return form.toString();
  }

  /** Returns the {@code Authorization} header value, or {@code null} if the body authenticates. */
  @Nullable String authorizationHeader() {
    return authorizationHeader;
  }

  /**
   * Returns the secrets that {@code request} carries, so that a server echoing one back cannot get
   * it into an exception or a log.
   */
  List<String> secretsIn(TokenRequest request) {
    List<String> secrets = new ArrayList<>(2);
    if (clientSecret != null) {
      secrets.add(clientSecret);
    }
    String refreshToken = request.refreshToken();
    if (refreshToken != null) {
      secrets.add(refreshToken);
    }
    return secrets;
  }

  String clientId() {
    return clientId;
  }

  ClientAuthentication authentication() {
    return authentication;
  }

  /**
   * Returns the client's settings for {@link OAuth2TokenEndpoint#toString()}: the secret only as a
   * fingerprint, the additional parameters only by name.
   */
  @Override
  public String toString() {
    return "clientId="
        + clientId
        + ", clientAuthentication="
        + authentication.wireName()
        + ", clientSecret="
        + Redaction.fingerprint(clientSecret)
        + ", additionalParameters="
        + additionalParameters.keySet();
  }

  private static void appendParameter(StringBuilder form, String name, String value) {
    if (form.length() > 0) {
      form.append('&');
    }
    form.append(formEncode(name)).append('=').append(formEncode(value));
  }

  /** RFC 6749 sec. 3.3: {@code scope-token = 1*( %x21 / %x23-5B / %x5D-7E )}. */
  private static boolean isScopeToken(String scope) {
    return !scope.isEmpty()
        && scope.chars().allMatch(c -> c >= 0x21 && c <= 0x7E && c != '"' && c != '\\');
  }

  private static String formEncode(String value) {
    return URLEncoder.encode(value, StandardCharsets.UTF_8);
  }

  /** RFC 6749 sec. 2.3.1: form-encode the identifier and the secret, then Base64 the pair. */
  private static String basicAuthorization(String clientId, String clientSecret) {
    String pair = formEncode(clientId) + ":" + formEncode(clientSecret);
    return "Basic " + Base64.getEncoder().encodeToString(pair.getBytes(StandardCharsets.UTF_8));
  }
}

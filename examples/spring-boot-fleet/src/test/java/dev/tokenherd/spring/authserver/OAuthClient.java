package dev.tokenherd.spring.authserver;

import static java.util.Objects.requireNonNull;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.Base64;

/**
 * A client registered with a {@link SpringAuthorizationServer}, which authenticates with {@code
 * client_secret_basic}. {@link #toString()} never shows the secret.
 *
 * @param clientId the client identifier
 * @param clientSecret the client secret
 */
public record OAuthClient(String clientId, String clientSecret) {

  /**
   * Validates the components.
   *
   * @param clientId the client identifier
   * @param clientSecret the client secret
   */
  public OAuthClient {
    requireNonNull(clientId, "clientId");
    requireNonNull(clientSecret, "clientSecret");
  }

  /**
   * Returns the {@code Authorization} header value of {@code client_secret_basic}: both parts
   * form-urlencoded, then Base64 (RFC 6749 section 2.3.1).
   *
   * @return {@code Basic} and the encoded credentials
   */
  public String basicAuthorization() {
    String credentials =
        URLEncoder.encode(clientId, StandardCharsets.UTF_8)
            + ":"
            + URLEncoder.encode(clientSecret, StandardCharsets.UTF_8);
    return "Basic "
        + Base64.getEncoder().encodeToString(credentials.getBytes(StandardCharsets.UTF_8));
  }

  @Override
  public String toString() {
    return "OAuthClient[clientId="
        + clientId
        + ", clientSecret="
        + Fingerprints.of(clientSecret)
        + "]";
  }
}

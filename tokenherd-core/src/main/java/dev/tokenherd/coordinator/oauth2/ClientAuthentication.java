package dev.tokenherd.coordinator.oauth2;

import java.util.Locale;
import org.jspecify.annotations.Nullable;

/**
 * How {@link OAuth2TokenEndpoint} authenticates the client to the token endpoint (RFC 6749 sec.
 * 2.3.1; the names are the RFC 7591 / RFC 8414 {@code token_endpoint_auth_method} values).
 */
public enum ClientAuthentication {
  /**
   * HTTP Basic authentication: {@code Authorization: Basic base64(id ":" secret)}, where the client
   * identifier and secret are each first encoded with the {@code application/x-www-form-urlencoded}
   * algorithm, as RFC 6749 sec. 2.3.1 requires (so a {@code :} in the identifier cannot split it).
   * The default, and the method every authorization server must support.
   */
  CLIENT_SECRET_BASIC("client_secret_basic"),

  /** {@code client_id} and {@code client_secret} as form parameters in the request body. */
  CLIENT_SECRET_POST("client_secret_post"),

  /** A public client without a secret: only {@code client_id} in the request body. */
  NONE("none");

  private final String wireName;

  ClientAuthentication(String wireName) {
    this.wireName = wireName;
  }

  /**
   * Returns the {@code token_endpoint_auth_method} name.
   *
   * @return the name, such as {@code client_secret_basic}
   */
  public String wireName() {
    return wireName;
  }

  /**
   * Returns the method with this {@code token_endpoint_auth_method} name, compared
   * case-insensitively.
   *
   * @param wireName a name such as {@code client_secret_post}
   * @return the method, or {@code null} if Tokenherd does not implement it (such as {@code
   *     private_key_jwt})
   */
  public static @Nullable ClientAuthentication fromWireName(String wireName) {
    String lower = wireName.toLowerCase(Locale.ROOT);
    for (ClientAuthentication method : values()) {
      if (method.wireName.equals(lower)) {
        return method;
      }
    }
    return null;
  }
}

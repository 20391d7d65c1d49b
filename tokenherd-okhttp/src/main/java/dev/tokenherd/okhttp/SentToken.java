package dev.tokenherd.okhttp;

import dev.tokenherd.coordinator.AccessToken;
import okhttp3.Request;
import org.jspecify.annotations.Nullable;

/**
 * The access token that the interceptor or the authenticator put on a request, kept as the
 * request's tag: the authenticator acts only on a 401 to a request that carries one of ours, never
 * on one whose {@code Authorization} header the caller set.
 *
 * @param token the token in the request's {@code Authorization} header
 */
record SentToken(AccessToken token) {
  static final String AUTHORIZATION = "Authorization";

  /** Returns {@code request} with {@code token} in its {@code Authorization} header and tag. */
  static Request authorize(Request request, AccessToken token) {
    return request
        .newBuilder()
        .header(AUTHORIZATION, token.authorizationHeader())
        .tag(SentToken.class, new SentToken(token))
        .build();
  }

  /**
   * Returns the token we put on {@code request}, or {@code null} if we put none or an interceptor
   * after ours has replaced the header since.
   */
  static @Nullable AccessToken carriedBy(Request request) {
    SentToken sent = request.tag(SentToken.class);
    return sent != null && sent.token.authorizationHeader().equals(request.header(AUTHORIZATION))
        ? sent.token
        : null;
  }

  /** OkHttp prints a request's tags in its {@code toString}: only the token's fingerprint. */
  @Override
  public String toString() {
    return "SentToken[" + token + "]";
  }
}

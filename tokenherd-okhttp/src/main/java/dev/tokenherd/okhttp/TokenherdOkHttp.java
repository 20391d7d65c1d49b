package dev.tokenherd.okhttp;

import com.google.errorprone.annotations.CanIgnoreReturnValue;
import dev.tokenherd.coordinator.TokenCoordinator;
import okhttp3.OkHttpClient;

/**
 * Installs Tokenherd on an OkHttp client.
 *
 * <pre>{@code
 * OkHttpClient client = TokenherdOkHttp.install(new OkHttpClient.Builder(), billing).build();
 * try (Response response = client.newCall(new Request.Builder().url(api).build()).execute()) {
 *   // sent with "Authorization: Bearer <billing's token>"; a 401 was retried once
 * }
 * }</pre>
 */
public final class TokenherdOkHttp {
  private TokenherdOkHttp() {}

  /**
   * Adds a {@link TokenherdInterceptor} (an application interceptor, after those already added) and
   * sets a {@link TokenherdAuthenticator}, both for {@code coordinator}.
   *
   * <p><b>Note:</b> a client has one authenticator: this replaces any set before.
   *
   * @param builder the client builder
   * @param coordinator the credential's coordinator
   * @return {@code builder}
   */
  @CanIgnoreReturnValue
  public static OkHttpClient.Builder install(
      OkHttpClient.Builder builder, TokenCoordinator coordinator) {
    return builder
        .addInterceptor(new TokenherdInterceptor(coordinator))
        .authenticator(new TokenherdAuthenticator(coordinator));
  }
}

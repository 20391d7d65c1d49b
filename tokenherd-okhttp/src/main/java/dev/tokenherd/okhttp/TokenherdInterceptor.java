package dev.tokenherd.okhttp;

import static java.util.Objects.requireNonNull;

import dev.tokenherd.coordinator.AccessToken;
import dev.tokenherd.coordinator.TokenCoordinator;
import dev.tokenherd.coordinator.TokenRefreshException;
import java.io.IOException;
import okhttp3.Interceptor;
import okhttp3.Request;
import okhttp3.Response;

/**
 * Adds {@code Authorization: <type> <token>} from a {@link TokenCoordinator} to each request that
 * has no {@code Authorization} header yet; a request that has one is sent as it is.
 *
 * <p>Add it with {@link okhttp3.OkHttpClient.Builder#addInterceptor} (an application interceptor),
 * or through {@link TokenherdOkHttp#install}, together with the {@link TokenherdAuthenticator} that
 * retries after a 401. As an application interceptor it runs once per call, before OkHttp follows
 * redirects: OkHttp then drops the header when a redirect leads to another host, so the token never
 * reaches a host the caller did not name. Do not add it as a network interceptor, which would put
 * the token on every redirect too.
 *
 * <p>OkHttp calls it on the thread that runs the call: the caller's for {@code execute()}, one of
 * the dispatcher's for {@code enqueue()}. While the cached token is fresh it takes no lock and does
 * no I/O; only once the token has expired does it wait for the refresh, up to the coordinator's
 * {@linkplain dev.tokenherd.coordinator.RefreshPolicy#waitTimeout() wait timeout}. Thread-safe.
 */
public final class TokenherdInterceptor implements Interceptor {
  private final TokenCoordinator coordinator;

  /**
   * Creates an interceptor that authorizes requests with {@code coordinator}'s token.
   *
   * @param coordinator the credential's coordinator
   */
  public TokenherdInterceptor(TokenCoordinator coordinator) {
    this.coordinator = requireNonNull(coordinator, "coordinator");
  }

  /**
   * Sends the request with the coordinator's access token, unless it already has an {@code
   * Authorization} header.
   *
   * @param chain the call's chain
   * @return the response
   * @throws TokenUnavailableException if no valid token can be had, with the coordinator's {@link
   *     TokenRefreshException} as cause; the request is not sent
   * @throws IOException if the call fails
   */
  @Override
  public Response intercept(Chain chain) throws IOException {
    Request request = chain.request();
    if (request.header(SentToken.AUTHORIZATION) != null) {
      return chain.proceed(request);
    }
    AccessToken token;
    try {
      token = coordinator.token();
    } catch (TokenRefreshException e) {
      throw new TokenUnavailableException(e);
    }
    return chain.proceed(SentToken.authorize(request, token));
  }

  @Override
  public String toString() {
    return "TokenherdInterceptor[" + coordinator.key() + "]";
  }
}

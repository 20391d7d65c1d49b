package dev.tokenherd.okhttp;

import static java.util.Objects.requireNonNull;

import dev.tokenherd.coordinator.AccessToken;
import dev.tokenherd.coordinator.TokenCoordinator;
import dev.tokenherd.coordinator.TokenRefreshException;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.util.List;
import java.util.concurrent.ExecutionException;
import okhttp3.Authenticator;
import okhttp3.Challenge;
import okhttp3.Request;
import okhttp3.Response;
import okhttp3.Route;
import org.jspecify.annotations.Nullable;

/**
 * Answers a 401 to a request that carries the coordinator's token with one retry on a replacement:
 * it reports the token through {@link TokenCoordinator#rejected(String)}, which refreshes the
 * credential at most once for the whole fleet (and not at all if another caller already replaced
 * that token), and sends the request again with the token it returns.
 *
 * <p>Set it with {@link okhttp3.OkHttpClient.Builder#authenticator} together with the {@link
 * TokenherdInterceptor}, or through {@link TokenherdOkHttp#install}. OkHttp calls it on the thread
 * that runs the call, after a 401; it may wait for the refresh, up to the coordinator's {@linkplain
 * dev.tokenherd.coordinator.RefreshPolicy#waitTimeout() wait timeout}. Thread-safe. It gives up
 * (returns {@code null}, so the caller gets the 401) when:
 *
 * <ul>
 *   <li>the request does not carry a token that the interceptor or this authenticator put on it
 *       (the caller set its own {@code Authorization} header, or an application interceptor after
 *       ours replaced it): the credential is not ours to refresh;
 *   <li>the call already made its one retry: a 401 among the {@linkplain Response#priorResponse()
 *       prior responses} answered a request of ours, so no second refresh is made for it;
 *   <li>the response's {@code WWW-Authenticate} challenges name only other schemes than the token's
 *       type (for example {@code Basic}), or the {@code Bearer} challenge gives an {@code error}
 *       other than {@code invalid_token} ({@code insufficient_scope}, {@code invalid_request}): RFC
 *       6750 sec. 3.1 says only {@code invalid_token} is cured by another token. A 401 with no
 *       challenge at all (many servers send none) is taken as a rejected token;
 *   <li>the coordinator's replacement is the rejected token itself (the token endpoint answered the
 *       refresh with the same access token): a retry would be rejected again.
 * </ul>
 *
 * <p>When the coordinator cannot produce a replacement, the call fails with a {@link
 * TokenUnavailableException} carrying its typed error (for a revoked credential, a {@link
 * dev.tokenherd.coordinator.ReauthenticationRequiredException}) rather than returning the 401: the
 * caller learns why, and a revoked credential is one error, not a retry loop.
 */
public final class TokenherdAuthenticator implements Authenticator {
  private static final int UNAUTHORIZED = 401;

  private final TokenCoordinator coordinator;

  /**
   * Creates an authenticator that replaces {@code coordinator}'s rejected tokens.
   *
   * @param coordinator the credential's coordinator; the same as the interceptor's
   */
  public TokenherdAuthenticator(TokenCoordinator coordinator) {
    this.coordinator = requireNonNull(coordinator, "coordinator");
  }

  /**
   * Returns the request again with a replacement token, or {@code null} to give up; see the class
   * description for when it gives up.
   *
   * @param route the route of the rejected request; not used
   * @param response the 401
   * @return the request to retry, or {@code null} to let the caller have the 401
   * @throws TokenUnavailableException if the coordinator fails to produce a replacement
   * @throws InterruptedIOException if the thread is interrupted while it waits for the replacement;
   *     the interrupt flag is restored
   */
  @Override
  public @Nullable Request authenticate(@Nullable Route route, Response response)
      throws IOException {
    Request request = response.request();
    AccessToken rejected = SentToken.carriedBy(request);
    if (response.code() != UNAUTHORIZED
        || rejected == null
        || retriedAlready(response)
        || !tokenIsTheProblem(response.challenges(), rejected)) {
      return null;
    }
    AccessToken replacement = replacementFor(rejected);
    if (replacement.value().equals(rejected.value())) {
      return null;
    }
    return SentToken.authorize(request, replacement);
  }

  private AccessToken replacementFor(AccessToken rejected) throws IOException {
    try {
      return coordinator.rejected(rejected.value()).get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      InterruptedIOException interrupted =
          new InterruptedIOException("interrupted while waiting for a replacement token");
      interrupted.initCause(e);
      throw interrupted;
    } catch (ExecutionException e) {
      // rejected() fails only with the coordinator's typed errors (its contract); anything else is
      // a bug, reported as such rather than disguised as a token failure.
      if (e.getCause() instanceof TokenRefreshException failure) {
        throw new TokenUnavailableException(failure);
      }
      throw new IOException("the coordinator failed unexpectedly", e.getCause());
    }
  }

  /** Whether a 401 before this one answered a request of ours: the call has had its retry. */
  private static boolean retriedAlready(Response response) {
    for (Response prior = response.priorResponse(); prior != null; prior = prior.priorResponse()) {
      if (prior.code() == UNAUTHORIZED && SentToken.carriedBy(prior.request()) != null) {
        return true;
      }
    }
    return false;
  }

  /**
   * Whether the challenges blame the token: none given, or one of the token's scheme with no error
   * code or {@code invalid_token} (RFC 6750 sec. 3.1).
   */
  private static boolean tokenIsTheProblem(List<Challenge> challenges, AccessToken token) {
    if (challenges.isEmpty()) {
      return true;
    }
    for (Challenge challenge : challenges) {
      if (challenge.scheme().equalsIgnoreCase(token.tokenType())) {
        String error = challenge.authParams().get("error");
        return error == null || error.equals("invalid_token");
      }
    }
    return false;
  }

  @Override
  public String toString() {
    return "TokenherdAuthenticator[" + coordinator.key() + "]";
  }
}

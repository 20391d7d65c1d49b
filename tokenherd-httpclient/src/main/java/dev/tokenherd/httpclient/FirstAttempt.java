package dev.tokenherd.httpclient;

import dev.tokenherd.coordinator.AccessToken;
import java.net.http.HttpRequest.BodyPublishers;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodyHandler;
import java.net.http.HttpResponse.BodySubscriber;
import java.net.http.HttpResponse.BodySubscribers;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Flow;
import org.jspecify.annotations.Nullable;

/**
 * What the first attempt of a call brought back, decided from its status and headers before the
 * caller's body handler sees a byte: the caller's body, or, for a 401 that another token may cure,
 * the 401's body bytes, kept for the caller's handler in case no retry is made. So the caller's
 * handler reads exactly one response, the one returned.
 *
 * @param <T> the caller's body type
 */
final class FirstAttempt<T> {
  static final int UNAUTHORIZED = 401;

  private final @Nullable T body;
  private final byte @Nullable [] rejectedBody;

  private FirstAttempt(@Nullable T body, byte @Nullable [] rejectedBody) {
    this.body = body;
    this.rejectedBody = rejectedBody;
  }

  /**
   * Returns the first attempt's body handler: for a 401 whose challenges blame {@code token}, one
   * that keeps the body's bytes; for any other response, the caller's.
   */
  static <T> BodyHandler<FirstAttempt<T>> handler(BodyHandler<T> handler, AccessToken token) {
    return info ->
        info.statusCode() == UNAUTHORIZED
                && Challenges.blameToken(
                    info.headers().allValues("WWW-Authenticate"), token.tokenType())
            ? BodySubscribers.mapping(
                BodySubscribers.ofByteArray(), bytes -> new FirstAttempt<>(null, bytes))
            : BodySubscribers.mapping(handler.apply(info), body -> new FirstAttempt<>(body, null));
  }

  /** Whether the token was rejected: a retry with another token may succeed. */
  static <T> boolean rejected(HttpResponse<FirstAttempt<T>> response) {
    return response.body().rejectedBody != null;
  }

  /** Returns the response of an attempt whose token was not rejected, with the caller's body. */
  static <T> HttpResponse<T> delivered(HttpResponse<FirstAttempt<T>> response) {
    return new WithBody<>(response, response.body().body);
  }

  /**
   * Returns the rejected response after all (no retry is made), with its body read by the caller's
   * {@code handler} from the bytes kept.
   */
  static <T> CompletableFuture<HttpResponse<T>> replay(
      HttpResponse<FirstAttempt<T>> response, BodyHandler<T> handler) {
    byte[] bytes = response.body().rejectedBody;
    // The handler reads the status, headers and version: the response's, through a WithBody.
    BodySubscriber<T> subscriber = handler.apply(new WithBody<>(response, null));
    BodyPublishers.ofByteArray(bytes == null ? new byte[0] : bytes)
        .subscribe(
            new Flow.Subscriber<ByteBuffer>() {
              @Override
              public void onSubscribe(Flow.Subscription subscription) {
                subscriber.onSubscribe(subscription);
              }

              @Override
              public void onNext(ByteBuffer item) {
                subscriber.onNext(List.of(item));
              }

              @Override
              public void onError(Throwable throwable) {
                subscriber.onError(throwable);
              }

              @Override
              public void onComplete() {
                subscriber.onComplete();
              }
            });
    return subscriber
        .getBody()
        .toCompletableFuture()
        .thenApply(body -> (HttpResponse<T>) new WithBody<>(response, body));
  }
}

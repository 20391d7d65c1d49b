package dev.tokenherd.coordinator.oauth2;

import com.google.errorprone.annotations.concurrent.GuardedBy;
import java.io.ByteArrayOutputStream;
import java.net.http.HttpResponse.BodyHandler;
import java.net.http.HttpResponse.BodySubscriber;
import java.net.http.HttpResponse.ResponseInfo;
import java.net.http.HttpTimeoutException;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Flow;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.jspecify.annotations.Nullable;

/**
 * A response body read with a size limit. The limit is enforced while reading: {@link #handler}
 * stops reading (and so closes the connection) as soon as the body is known to be larger, instead
 * of buffering a hostile or broken server's endless response and checking afterwards.
 */
final class BoundedBody {
  private static final BoundedBody EXCEEDED = new BoundedBody(new byte[0], /* exceeded= */ true);

  private final byte[] bytes;
  private final boolean exceeded;

  private BoundedBody(byte[] bytes, boolean exceeded) {
    this.bytes = bytes;
    this.exceeded = exceeded;
  }

  /** Returns the body, or an empty array if it exceeded the limit. Callers must not modify it. */
  byte[] bytes() {
    return bytes;
  }

  /** Returns whether the body was larger than the limit (it was then not read to the end). */
  boolean exceeded() {
    return exceeded;
  }

  /**
   * Returns a body handler that reads at most {@code maxBytes} bytes and fails with an {@link
   * HttpTimeoutException} if the body is not complete by {@code deadlineNanos}.
   *
   * <p>The deadline matters because {@link java.net.http.HttpRequest#timeout()} only bounds the
   * wait for the response <em>headers</em>: a server that sends headers and then stalls the body
   * would otherwise hold the exchange open forever.
   *
   * @param maxBytes the largest body accepted, positive
   * @param deadlineNanos the {@link System#nanoTime()} by which the body must be complete
   */
  static BodyHandler<BoundedBody> handler(int maxBytes, long deadlineNanos) {
    return info -> {
      Subscriber subscriber = new Subscriber(maxBytes, declaredLength(info));
      subscriber.startTimer(deadlineNanos);
      return subscriber;
    };
  }

  private static OptionalLong declaredLength(ResponseInfo info) {
    try {
      return info.headers().firstValueAsLong("Content-Length");
    } catch (NumberFormatException e) {
      // A malformed Content-Length is the HTTP client's business; read and count instead.
      return OptionalLong.empty();
    }
  }

  /**
   * Accumulates the body up to the limit. The HTTP client signals serially (Reactive Streams rule
   * 1.3), but the deadline fires on another thread, hence the locking.
   */
  private static final class Subscriber implements BodySubscriber<BoundedBody> {
    private final CompletableFuture<BoundedBody> result = new CompletableFuture<>();
    private final CompletableFuture<Void> timer = new CompletableFuture<>();
    private final ByteArrayOutputStream buffer = new ByteArrayOutputStream();
    private final int maxBytes;
    private final OptionalLong declaredLength;

    @GuardedBy("this")
    private Flow.@Nullable Subscription subscription;

    @GuardedBy("this")
    private boolean done;

    Subscriber(int maxBytes, OptionalLong declaredLength) {
      this.maxBytes = maxBytes;
      this.declaredLength = declaredLength;
    }

    void startTimer(long deadlineNanos) {
      // orTimeout cancels its scheduled task as soon as the timer completes, so a finished body
      // leaves nothing behind in the JDK's shared delay scheduler. The timeout itself is handled
      // asynchronously (common pool) so that the completion chain it starts, up to the caller's
      // dependent stages, never runs on that JVM-wide scheduler thread.
      var unused =
          timer
              .orTimeout(Math.max(0, deadlineNanos - System.nanoTime()), TimeUnit.NANOSECONDS)
              .whenCompleteAsync(
                  (ignored, failure) -> {
                    if (failure instanceof TimeoutException) {
                      timeOut();
                    }
                  });
      var unusedCompletion = result.whenComplete((ignored, failure) -> timer.complete(null));
    }

    @Override
    public CompletionStage<BoundedBody> getBody() {
      return result;
    }

    @Override
    public synchronized void onSubscribe(Flow.Subscription subscription) {
      if (this.subscription != null || done) {
        subscription.cancel(); // rule 2.5: only one subscription; or we already timed out
        return;
      }
      this.subscription = subscription;
      if (declaredLength.isPresent() && declaredLength.getAsLong() > maxBytes) {
        // Do not read a single byte of a body the server already says is too large.
        exceed(subscription);
        return;
      }
      subscription.request(1);
    }

    @Override
    public synchronized void onNext(List<ByteBuffer> items) {
      Flow.Subscription current = subscription;
      if (done || current == null) {
        return; // signals may still arrive after cancel (rule 2.8)
      }
      for (ByteBuffer item : items) {
        if (item.remaining() > maxBytes - buffer.size()) {
          exceed(current);
          return;
        }
        byte[] chunk = new byte[item.remaining()];
        item.get(chunk);
        buffer.write(chunk, 0, chunk.length);
      }
      current.request(1);
    }

    @Override
    public synchronized void onError(Throwable throwable) {
      if (!done) {
        done = true;
        result.completeExceptionally(throwable);
      }
    }

    @Override
    public synchronized void onComplete() {
      if (!done) {
        done = true;
        result.complete(new BoundedBody(buffer.toByteArray(), /* exceeded= */ false));
      }
    }

    @GuardedBy("this")
    private void exceed(Flow.Subscription current) {
      done = true;
      // Cancelling makes the HTTP client close the connection rather than drain the rest.
      current.cancel();
      result.complete(EXCEEDED);
    }

    private synchronized void timeOut() {
      if (done) {
        return;
      }
      done = true;
      Flow.Subscription current = subscription;
      if (current != null) {
        current.cancel();
      }
      result.completeExceptionally(
          new HttpTimeoutException("response body not complete within the request timeout"));
    }
  }
}

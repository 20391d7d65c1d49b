package dev.tokenherd.examples;

import static java.util.Objects.requireNonNull;

import dev.tokenherd.coordinator.spi.TokenEndpoint;
import dev.tokenherd.coordinator.spi.TokenRequest;
import dev.tokenherd.coordinator.spi.TokenResponse;
import java.time.Duration;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A worker's side of the demo's chaos runs: the moment its pod is about to send a token request,
 * told to the demo, which then kills the worker (SIGKILL) or pauses it (SIGSTOP, SIGCONT). While
 * armed (the {@code arm} {@linkplain #command command}), the next token request announces itself
 * with {@code {"type":"chaos","event":"sending"}} on standard output and holds, in the calling
 * thread, until the demo answers {@code go} (or disarms, or standard input ends): so the fault
 * lands at that point exactly, after the pod took its lock and passed its own checks and before a
 * byte of the request left, instead of wherever a signal happens to find it. Only the hook holds;
 * the process is stopped or killed by a real signal.
 */
final class ChaosHook {
  /** The longest hold: a demo that vanished must not leave the worker stuck. */
  static final Duration MAX_HOLD = Duration.ofMinutes(2);

  private final Runnable announce;
  private final AtomicBoolean armed = new AtomicBoolean();
  private volatile CountDownLatch go = new CountDownLatch(1);

  /**
   * Creates the hook.
   *
   * @param announce prints the {@code sending} line (and flushes)
   */
  ChaosHook(Runnable announce) {
    this.announce = requireNonNull(announce, "announce");
  }

  /** Wraps the pod's token endpoint client. */
  TokenEndpoint wrap(TokenEndpoint delegate) {
    requireNonNull(delegate, "delegate");
    return new TokenEndpoint() {
      @Override
      public CompletionStage<TokenResponse> requestToken(TokenRequest request) {
        if (armed.compareAndSet(true, false)) {
          hold();
        }
        return delegate.requestToken(request);
      }
    };
  }

  /** Handles one line the demo sent: {@code arm}, {@code disarm} or {@code go}. */
  void command(String line) {
    switch (line.trim()) {
      case "arm" -> {
        go = new CountDownLatch(1);
        armed.set(true);
      }
      case "disarm" -> {
        armed.set(false);
        go.countDown();
      }
      case "go" -> go.countDown();
      default -> {
        // not for the hook
      }
    }
  }

  /** Releases any hold for good: standard input ended. */
  void close() {
    armed.set(false);
    go.countDown();
  }

  private void hold() {
    CountDownLatch latch = go;
    announce.run();
    try {
      if (!latch.await(MAX_HOLD.toMillis(), TimeUnit.MILLISECONDS)) {
        System.err.println("chaos hook: no answer from the demo in " + MAX_HOLD + "; sending");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}

package dev.tokenherd.coordinator.redis.internal;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;

/** Sends a Lettuce command so that its caller sees every failure on one path: the stage. */
public final class Dispatch {
  private Dispatch() {}

  /**
   * Runs a Lettuce command call, turning a synchronous failure into a failed stage: Lettuce throws
   * from the call itself once its client is shut down, or when it rejects a command outright, and
   * no caller of the store or the feed should have to catch as well as handle.
   *
   * @param command the call, such as {@code () -> connection.async().hgetall(key)}
   * @param <T> the command's result
   * @return the command's stage, or a stage failed with what the call threw
   */
  public static <T> CompletionStage<T> dispatch(Supplier<? extends CompletionStage<T>> command) {
    try {
      return command.get();
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
  }
}

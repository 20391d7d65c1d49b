package dev.tokenherd.coordinator.oauth2;

import static java.util.Objects.requireNonNull;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import dev.tokenherd.coordinator.spi.TokenEndpointException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

/** Waits, boundedly, for the futures under test. */
final class Futures {
  private Futures() {}

  static <T> T result(CompletionStage<T> stage) throws Exception {
    return stage.toCompletableFuture().get(5, TimeUnit.SECONDS);
  }

  static <E extends Throwable> E failure(CompletionStage<?> stage, Class<E> type) {
    Throwable thrown = catchThrowable(() -> stage.toCompletableFuture().get(5, TimeUnit.SECONDS));
    assertThat(thrown).isInstanceOf(ExecutionException.class);
    Throwable cause = thrown.getCause();
    assertThat(cause).isInstanceOf(type);
    return type.cast(requireNonNull(cause));
  }

  static TokenEndpointException endpointFailure(CompletionStage<?> stage) {
    return failure(stage, TokenEndpointException.class);
  }
}

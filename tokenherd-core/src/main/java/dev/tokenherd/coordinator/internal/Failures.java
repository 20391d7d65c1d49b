package dev.tokenherd.coordinator.internal;

import static java.util.Objects.requireNonNull;

import dev.tokenherd.coordinator.AmbiguousRefreshException;
import dev.tokenherd.coordinator.StoreUnavailableException;
import dev.tokenherd.coordinator.TokenKey;
import dev.tokenherd.coordinator.TokenRefreshException;
import dev.tokenherd.coordinator.TransientRefreshException;
import dev.tokenherd.coordinator.UnreadableRecordException;
import dev.tokenherd.coordinator.spi.TokenEndpointException;
import dev.tokenherd.coordinator.spi.TokenRecord;
import java.time.Duration;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import org.jspecify.annotations.Nullable;

/**
 * Turns whatever went wrong into the typed failures the API promises (I5, I6): the token endpoint's
 * outcomes, classified by whether the server may have rotated ({@link #classify}), and every other
 * error of the store, lock or feed ({@link #typed}). Callers, listeners and the retry predicates
 * only ever see a {@link TokenRefreshException}, so that "retry or not" is decided by its type and
 * not by whichever client library happened to throw.
 */
final class Failures {
  private Failures() {}

  /**
   * Returns the endpoint's failure as a {@link TokenEndpointException}. An endpoint that does not
   * classify its failures is assumed to have failed in the worst way that is still retryable: the
   * request may have reached the server.
   */
  static TokenEndpointException classify(Throwable error) {
    Throwable cause = unwrap(error);
    if (cause instanceof TokenEndpointException endpointError) {
      return endpointError;
    }
    return TokenEndpointException.builder()
        .kind(TokenEndpointException.Kind.AMBIGUOUS)
        .message("unclassified failure " + cause.getClass().getName())
        .cause(cause)
        .build();
  }

  /** Returns the failure of a token request that got no answer within {@code timeout}. */
  static TokenEndpointException noAnswer(Duration timeout) {
    return TokenEndpointException.builder()
        .kind(TokenEndpointException.Kind.AMBIGUOUS)
        .message("no answer within " + timeout)
        .build();
  }

  /** Returns the endpoint's transient failure (the server certainly did not rotate), typed. */
  static TransientRefreshException transientFailure(TokenKey key, TokenEndpointException failure) {
    return new TransientRefreshException(
        key,
        "token endpoint failed transiently: " + failure.getMessage(),
        failure.retryAfter(),
        failure);
  }

  /** Returns the endpoint's ambiguous or invalid answer (the server may have rotated), typed. */
  static AmbiguousRefreshException ambiguousFailure(TokenKey key, TokenEndpointException failure) {
    return new AmbiguousRefreshException(
        key, "token request may have reached the server: " + failure.getMessage(), failure);
  }

  /**
   * Returns {@code error} as a {@link TokenRefreshException}: already typed ones as they are, an
   * endpoint's as ambiguous, anything else as the store, lock or feed being unavailable.
   */
  static TokenRefreshException typed(TokenKey key, Throwable error) {
    Throwable cause = unwrap(error);
    if (cause instanceof TokenRefreshException refreshError) {
      return refreshError;
    }
    if (cause instanceof TokenEndpointException endpointError) {
      return new AmbiguousRefreshException(
          key, String.valueOf(endpointError.getMessage()), endpointError);
    }
    return new StoreUnavailableException(
        key, "store, lock or change feed failed: " + cause.getClass().getName(), cause);
  }

  /** For {@code handle}: passes {@code value} on, or throws {@code error} {@linkplain #typed}. */
  static <T> T rethrowTyped(TokenKey key, @Nullable T value, @Nullable Throwable error) {
    if (error != null) {
      throw new CompletionException(typed(key, error));
    }
    return requireNonNull(value);
  }

  /** Returns the failure of a record written by a newer version of the library. */
  static UnreadableRecordException schemaTooNew(TokenKey key, @Nullable TokenRecord record) {
    return new UnreadableRecordException(
        key,
        UnreadableRecordException.Problem.SCHEMA_TOO_NEW,
        "schema "
            + (record == null ? "?" : record.schemaVersion())
            + " is newer than "
            + TokenRecord.CURRENT_SCHEMA,
        null);
  }

  /** Returns the error of a call on a coordinator that no longer serves. */
  static IllegalStateException closed(TokenKey key) {
    return new ClosedException(key);
  }

  /** Whether {@code error} is the one {@link #closed} returns. */
  static boolean isClosed(Throwable error) {
    return error instanceof ClosedException;
  }

  /** Strips the wrappers that futures add, down to the failure itself. */
  static Throwable unwrap(Throwable error) {
    Throwable current = error;
    while ((current instanceof CompletionException || current instanceof ExecutionException)
        && current.getCause() != null) {
      current = requireNonNull(current.getCause());
    }
    return current;
  }

  /** Returns {@code error} as a {@link CompletionException}, to rethrow inside a stage. */
  static CompletionException asCompletion(Throwable error) {
    return error instanceof CompletionException completion
        ? completion
        : new CompletionException(error);
  }

  /** A call on a coordinator that no longer serves: its herd was closed or its key removed. */
  private static final class ClosedException extends IllegalStateException {
    private static final long serialVersionUID = 1L;

    ClosedException(TokenKey key) {
      super(
          "credential '"
              + key
              + "' is no longer served by this coordinator: its herd was closed or the credential"
              + " removed (TokenHerd.remove); ask the herd for a new one");
    }
  }
}

package dev.tokenherd.spring.security;

import dev.tokenherd.coordinator.TokenRefreshException;
import java.util.concurrent.CompletionException;
import reactor.core.publisher.Mono;

/**
 * {@link AuthorizationErrors} for a {@link Mono}: its own class, so that servlet applications,
 * which may have no Reactor, never load it.
 */
final class ReactiveErrors {
  private ReactiveErrors() {}

  /** Turns a typed Tokenherd failure of {@code mono} into Spring's exception. */
  static <T> Mono<T> typed(Mono<T> mono, String registrationId, boolean loginCredential) {
    return mono.onErrorMap(
        e -> unwrap(e) instanceof TokenRefreshException,
        e ->
            AuthorizationErrors.of(
                registrationId, loginCredential, (TokenRefreshException) unwrap(e)));
  }

  /** The failure a future completed with, without the {@link CompletionException} around it. */
  static Throwable unwrap(Throwable e) {
    return e instanceof CompletionException && e.getCause() != null ? e.getCause() : e;
  }
}

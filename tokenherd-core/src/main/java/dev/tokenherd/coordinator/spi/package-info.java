/**
 * Extension points: the roles a fleet shares (token store, refresh lock, change feed) and the token
 * endpoint. Core ships in-memory implementations ({@code dev.tokenherd.coordinator.memory}); {@code
 * tokenherd-redis} ships fleet-wide ones.
 *
 * <p>Methods return {@link java.util.concurrent.CompletionStage}s so that adapters can hand back
 * their client's futures. Implementations must be thread-safe and must not block the calling
 * thread.
 */
@NullMarked
package dev.tokenherd.coordinator.spi;

import org.jspecify.annotations.NullMarked;

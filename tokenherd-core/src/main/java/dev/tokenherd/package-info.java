/**
 * Where to start: {@link dev.tokenherd.TokenHerd#builder()} assembles a herd from the backends of
 * {@link dev.tokenherd.coordinator.spi} (in-memory by default, Redis for a fleet) and hands out one
 * {@link dev.tokenherd.coordinator.TokenCoordinator} per credential.
 *
 * <p>This package sits on top of the others: it is the only one that names the engine ({@code
 * dev.tokenherd.coordinator.internal}) and the in-memory backends, so the API ({@code
 * dev.tokenherd.coordinator}) depends on nothing and the SPI only on the API.
 */
@NullMarked
@CheckReturnValue
package dev.tokenherd;

import com.google.errorprone.annotations.CheckReturnValue;
import org.jspecify.annotations.NullMarked;

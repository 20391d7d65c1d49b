/**
 * The Tokenherd API: one OAuth 2.0 credential shared by a fleet of workers, refreshed once per
 * expiry for the whole fleet.
 *
 * <p>Start with {@link dev.tokenherd.TokenHerd#builder()}; ask the herd for a {@link
 * dev.tokenherd.coordinator.TokenCoordinator} per credential; call {@link
 * dev.tokenherd.coordinator.TokenCoordinator#accessToken()} as often as you like.
 */
@NullMarked
@CheckReturnValue
package dev.tokenherd.coordinator;

import com.google.errorprone.annotations.CheckReturnValue;
import org.jspecify.annotations.NullMarked;

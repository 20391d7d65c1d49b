/**
 * The four ways a fleet can share one credential that the fleet demo compares: {@link
 * TokenHerdSource} and three peers written the way real code is written ({@link NaiveSource},
 * {@link LocalSingleFlightSource}, {@link LockPollSource}). The peers do not heal themselves: once
 * the authorization server has revoked the token family, they fail as production code would.
 */
@NullMarked
package dev.tokenherd.examples.strategies;

import org.jspecify.annotations.NullMarked;

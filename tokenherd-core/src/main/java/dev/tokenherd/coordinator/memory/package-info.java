/**
 * In-memory implementations of the fleet roles, for a single JVM with no Redis: the embedded
 * default and the unit-test double. They keep every invariant the Redis implementations keep.
 */
@NullMarked
package dev.tokenherd.coordinator.memory;

import org.jspecify.annotations.NullMarked;

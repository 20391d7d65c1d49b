/**
 * The Redis store's machinery: the record codec, the secret cipher and the write script. Not an
 * API: it may change without notice.
 */
@NullMarked
package dev.tokenherd.coordinator.redis.internal;

import org.jspecify.annotations.NullMarked;

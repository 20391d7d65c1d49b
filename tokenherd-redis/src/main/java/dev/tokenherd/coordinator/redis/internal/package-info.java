/**
 * The machinery of the Redis roles: the record codec, the secret cipher, the write script and its
 * arguments, the change channel's message format, error reading. It never names the roles' package.
 * Not an API: it may change without notice.
 */
@NullMarked
package dev.tokenherd.coordinator.redis.internal;

import org.jspecify.annotations.NullMarked;

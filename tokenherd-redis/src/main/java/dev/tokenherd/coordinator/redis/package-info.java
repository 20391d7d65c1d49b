/**
 * The fleet roles on Redis: {@code RedisTokenStore} and {@code RedisChangeFeed} on Lettuce, {@code
 * RedissonRefreshLock} on Redisson's fenced lock.
 */
@NullMarked
package dev.tokenherd.coordinator.redis;

import org.jspecify.annotations.NullMarked;

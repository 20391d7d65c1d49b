package dev.tokenherd.coordinator.redis;

import dev.tokenherd.coordinator.StoreMisconfiguredException;
import dev.tokenherd.coordinator.TokenKey;
import dev.tokenherd.coordinator.redis.internal.RedisErrors;
import java.util.concurrent.CompletionException;
import org.jspecify.annotations.Nullable;

/**
 * How {@link RedisTokenStore}'s commands fail: a misconfiguration ({@code WRONGTYPE}, an ACL
 * refusal) as a {@link StoreMisconfiguredException} naming the record key, anything else as it was.
 */
final class StoreErrors {
  private StoreErrors() {}

  /** Returns the exception a failed command completes with: typed if misconfigured, else as is. */
  static CompletionException failure(RedisKeys keys, TokenKey key, Throwable error) {
    StoreMisconfiguredException misconfigured = misconfiguration(keys, key, error);
    if (misconfigured != null) {
      return new CompletionException(misconfigured);
    }
    return error instanceof CompletionException completion
        ? completion
        : new CompletionException(error);
  }

  /** Returns the misconfiguration {@code error} reports, or {@code null} if it reports none. */
  static @Nullable StoreMisconfiguredException misconfiguration(
      RedisKeys keys, TokenKey key, Throwable error) {
    return RedisErrors.misconfiguration(
        key, error, RedisErrors.Role.STORE, keys.namespace(), "key '" + keys.record(key) + "'");
  }
}

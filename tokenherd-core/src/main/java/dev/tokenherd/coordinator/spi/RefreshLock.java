package dev.tokenherd.coordinator.spi;

import dev.tokenherd.coordinator.TokenKey;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletionStage;

/**
 * The lock that lets one worker at a time refresh a credential.
 *
 * <p>The lock alone does not make writes safe (a holder can pause past its lease); the fencing
 * token it hands out, checked by {@link TokenStore#compareAndSet}, does.
 */
public interface RefreshLock {

  /**
   * Tries to take the lock without waiting.
   *
   * @param key the credential
   * @param leaseTime how long the lease lasts unless released first
   * @return the lease, or empty if another holder has the lock; fails if the lock service cannot be
   *     reached
   */
  CompletionStage<Optional<LockLease>> tryAcquire(TokenKey key, Duration leaseTime);
}

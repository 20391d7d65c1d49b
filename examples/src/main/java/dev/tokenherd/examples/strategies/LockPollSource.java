package dev.tokenherd.examples.strategies;

import static java.util.Objects.requireNonNull;

import dev.tokenherd.coordinator.spi.TokenEndpoint;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import org.redisson.Redisson;
import org.redisson.api.RLock;
import org.redisson.api.RedissonClient;
import org.redisson.config.Config;

/**
 * Lock-and-poll: a distributed lock, but no fencing and no notification. A pod caches the token in
 * memory; a caller that finds it expired re-reads the shared store, and if it is still expired
 * tries a plain Redisson {@link RLock}. The holder re-reads under the lock, refreshes and writes
 * unconditionally; every other caller sleeps {@link #POLL_INTERVAL} and reads the store again.
 * Correct while no holder stalls past its lease; waiters pay up to one poll interval, and the store
 * takes a read per waiting caller per interval.
 */
public final class LockPollSource implements TokenSource {
  /** How long a waiting caller sleeps between store reads. */
  public static final Duration POLL_INTERVAL = Duration.ofMillis(100);

  /** The lock's lease unless given: it frees itself if a holder dies. */
  public static final Duration LEASE = Duration.ofSeconds(10);

  /** How long a caller waits for a token before it fails. */
  public static final Duration WAIT_TIMEOUT = Duration.ofSeconds(10);

  private final PeerClient client;
  private final RedissonClient redisson;
  private final RLock lock;
  private final Duration lease;
  private volatile @Nullable SharedToken cached;

  /**
   * Creates the peer.
   *
   * @param redisUri the shared Redis
   * @param hashKey the hash holding the {@link SharedToken}; the lock is {@code hashKey + ":lock"}
   * @param endpoint the token endpoint client
   * @param clock the time source
   */
  public LockPollSource(String redisUri, String hashKey, TokenEndpoint endpoint, Clock clock) {
    this(redisUri, hashKey, endpoint, clock, LEASE);
  }

  /**
   * Creates the peer with its own lease.
   *
   * @param redisUri the shared Redis
   * @param hashKey the hash holding the {@link SharedToken}; the lock is {@code hashKey + ":lock"}
   * @param endpoint the token endpoint client
   * @param clock the time source
   * @param lease how long the lock holds without its holder
   */
  public LockPollSource(
      String redisUri, String hashKey, TokenEndpoint endpoint, Clock clock, Duration lease) {
    this.lease = requireNonNull(lease, "lease");
    this.client = new PeerClient(redisUri, hashKey, endpoint, clock);
    Config config = new Config();
    config.useSingleServer().setAddress(requireNonNull(redisUri, "redisUri"));
    this.redisson = Redisson.create(config);
    this.lock = redisson.getLock(hashKey + ":lock");
  }

  @Override
  public String accessToken() {
    Clock clock = client.clock();
    SharedToken token = cached;
    if (token != null && token.isFreshAt(clock.instant())) {
      return token.accessToken();
    }
    Instant deadline = clock.instant().plus(WAIT_TIMEOUT);
    while (true) {
      SharedToken stored = client.readSeeded();
      if (stored.isFreshAt(clock.instant())) {
        cached = stored;
        return stored.accessToken();
      }
      if (tryLock()) {
        try {
          SharedToken again = client.readSeeded();
          SharedToken fresh =
              again.isFreshAt(clock.instant()) ? again : writeBack(client.refresh(again));
          cached = fresh;
          return fresh.accessToken();
        } finally {
          lock.unlock();
        }
      }
      if (!clock.instant().isBefore(deadline)) {
        throw new IllegalStateException("no token within " + WAIT_TIMEOUT);
      }
      sleep(POLL_INTERVAL);
    }
  }

  private SharedToken writeBack(SharedToken refreshed) {
    client.write(refreshed);
    return refreshed;
  }

  private boolean tryLock() {
    try {
      return lock.tryLock(0, lease.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
  }

  private static void sleep(Duration duration) {
    try {
      Thread.sleep(duration.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
  }

  @Override
  public void close() {
    redisson.shutdown();
    client.close();
  }
}

package dev.tokenherd.coordinator.redis;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tokenherd.TokenHerd;
import dev.tokenherd.coordinator.AccessToken;
import dev.tokenherd.coordinator.RefreshPolicy;
import dev.tokenherd.coordinator.TokenCoordinator;
import dev.tokenherd.coordinator.TokenKey;
import dev.tokenherd.coordinator.TokenSet;
import dev.tokenherd.coordinator.spi.ChangeFeed;
import dev.tokenherd.coordinator.spi.TokenResponse;
import dev.tokenherd.coordinator.testing.ScriptedTokenEndpoint;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.redisson.api.RedissonClient;

/**
 * The whole Redis path under the engine: four workers, each with its own {@link RedisTokenStore},
 * {@link RedisChangeFeed} and {@link RedissonRefreshLock} (two Redisson clients between them), find
 * the shared token expired at once. Exactly one token request is sent; the others wait on the lock
 * and learn of the new version from the store script's PUBLISH.
 */
final class RedisLockAndFeedFleetIT {
  private static final RedisKeys KEYS = RedisKeys.of("fleet-it");
  private static final TokenKey KEY = TokenKey.of("billing-api");
  private static final int WORKERS = 4;

  /** Lets the worker's feed also report what it delivers to {@code into}. */
  private static ChangeFeed recording(ChangeFeed feed, List<RecordingFeedListener> into) {
    RecordingFeedListener recorder = new RecordingFeedListener();
    into.add(recorder);
    return new ChangeFeed() {
      @Override
      public CompletionStage<Void> publish(TokenKey key, long version) {
        return feed.publish(key, version);
      }

      @Override
      public Subscription subscribe(TokenKey key, Listener listener) {
        return feed.subscribe(
            key,
            new Listener() {
              @Override
              public void onChange(TokenKey changed, long version) {
                recorder.onChange(changed, version);
                listener.onChange(changed, version);
              }

              @Override
              public void onGap(TokenKey changed) {
                recorder.onGap(changed);
                listener.onGap(changed);
              }
            });
      }
    };
  }

  @Test
  void fourWorkersExpiredTogether_sendOneTokenRequest_andAllGetItsToken() throws Exception {
    Clock clock = Clock.systemUTC();
    ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor();
    List<TokenHerd> herds = new ArrayList<>();
    List<RedisChangeFeed> feeds = new ArrayList<>();
    List<RedisTokenStore> stores = new ArrayList<>();
    try (RedisTestServer server = RedisTestServer.start();
        RedisTestClients clients = new RedisTestClients(server.uri())) {
      var lettuce = clients.lettuce();
      List<RedissonClient> redissons = List.of(clients.redisson(), clients.redisson());
      ScriptedTokenEndpoint endpoint = new ScriptedTokenEndpoint(clock);
      CompletableFuture<TokenResponse> held = endpoint.hold();
      RefreshPolicy policy = RefreshPolicy.ofDefaults();

      List<TokenCoordinator> coordinators = new ArrayList<>();
      List<RecordingFeedListener> announced = new ArrayList<>();
      for (int i = 0; i < WORKERS; i++) {
        RedisChangeFeed feed = RedisChangeFeed.create(lettuce, KEYS);
        feeds.add(feed);
        RedisTokenStore store = RedisTokenStore.builder(lettuce).keys(KEYS).build();
        stores.add(store);
        TokenHerd herd =
            TokenHerd.builder()
                .tokenStore(store)
                .refreshLock(new RedissonRefreshLock(redissons.get(i % 2), KEYS))
                .changeFeed(recording(feed, announced))
                .clock(clock)
                .scheduler(scheduler)
                .refreshPolicy(policy)
                .workerId("worker-" + i)
                .build();
        herds.add(herd);
        coordinators.add(herd.coordinator(KEY, endpoint));
      }
      for (RedisChangeFeed feed : feeds) {
        Awaitility.await().atMost(Duration.ofSeconds(5)).until(feed::isFullySubscribed);
      }
      // Inside the expiry skew from the start: every caller needs a refresh.
      TokenSet expiring =
          TokenSet.builder()
              .accessToken("access-0")
              .refreshToken("refresh-0")
              .scopes(Set.of("read"))
              .issuedAt(clock.instant().minus(Duration.ofHours(1)))
              .expiresAt(clock.instant().plus(policy.expirySkew().dividedBy(2)))
              .build();
      coordinators.get(0).seed(expiring).get(5, TimeUnit.SECONDS);

      List<CompletableFuture<AccessToken>> calls = new ArrayList<>();
      for (TokenCoordinator coordinator : coordinators) {
        calls.add(coordinator.tokenAsync());
      }
      Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> endpoint.requests().size() == 1);
      long answeredAt = System.nanoTime();
      held.complete(endpoint.response("access-1", "refresh-1", Duration.ofHours(1)));

      for (CompletableFuture<AccessToken> call : calls) {
        assertThat(call.get(5, TimeUnit.SECONDS).value()).isEqualTo("access-1");
      }
      long allServedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - answeredAt);
      System.out.printf(
          "fleet: %d workers served %d ms after the one response%n", WORKERS, allServedMs);
      assertThat(endpoint.requests()).hasSize(1);
      long refreshed = calls.get(0).join().version();
      for (RecordingFeedListener worker : announced) {
        Awaitility.await()
            .atMost(Duration.ofSeconds(5))
            .until(() -> worker.saw(KEY.name() + "@" + refreshed));
      }
      // Workers stop before their clients do.
      herds.forEach(TokenHerd::close);
      feeds.forEach(RedisChangeFeed::close);
      stores.forEach(RedisTokenStore::close);
    } finally {
      scheduler.shutdownNow();
    }
  }
}

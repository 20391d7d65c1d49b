package dev.tokenherd.examples.strategies;

import dev.tokenherd.coordinator.spi.TokenEndpoint;
import java.time.Clock;

/**
 * The naive peer, as in the stampede articles: every call reads the shared token from Redis; every
 * caller that finds it expired calls the token endpoint itself and writes the answer back. With
 * refresh-token rotation, the second caller of an expiry presents a rotated-away refresh token.
 */
public final class NaiveSource implements TokenSource {
  private final PeerClient client;

  /**
   * Creates the peer.
   *
   * @param redisUri the shared Redis
   * @param hashKey the hash holding the {@link SharedToken}
   * @param endpoint the token endpoint client
   * @param clock the time source
   */
  public NaiveSource(String redisUri, String hashKey, TokenEndpoint endpoint, Clock clock) {
    this.client = new PeerClient(redisUri, hashKey, endpoint, clock);
  }

  @Override
  public String accessToken() {
    SharedToken token = client.readSeeded();
    if (token.isFreshAt(client.clock().instant())) {
      return token.accessToken();
    }
    SharedToken refreshed = client.refresh(token);
    client.write(refreshed);
    return refreshed.accessToken();
  }

  @Override
  public void close() {
    client.close();
  }
}

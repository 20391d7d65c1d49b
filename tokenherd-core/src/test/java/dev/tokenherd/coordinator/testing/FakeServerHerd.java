package dev.tokenherd.coordinator.testing;

import dev.tokenherd.TokenHerd;
import dev.tokenherd.coordinator.TokenCoordinator;
import dev.tokenherd.coordinator.TokenKey;
import dev.tokenherd.coordinator.TokenSet;
import dev.tokenherd.coordinator.spi.TokenEndpoint;
import dev.tokenherd.testkit.FakeAuthorizationServer;
import dev.tokenherd.testkit.TokenGrant;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;

/**
 * What a test of an HTTP client adapter (OkHttp, java.net.http) needs: a {@link
 * FakeAuthorizationServer} on loopback, whose {@code /resource} is the protected resource and whose
 * counters judge how many refreshes the adapter caused, and an in-memory {@link TokenHerd} with one
 * coordinator renewing through the server's token endpoint. Close it after the test.
 */
public final class FakeServerHerd implements AutoCloseable {
  /** The credential's key. */
  public static final TokenKey KEY = TokenKey.of("resource-api");

  /** The access token {@link #seedRejected()} seeds: the server never issued it. */
  public static final String UNKNOWN_ACCESS_TOKEN = "never-issued-access-token";

  private static final Clock CLOCK = Clock.systemUTC();

  private final FakeAuthorizationServer server;
  private final TokenHerd herd;
  private final TokenCoordinator coordinator;

  private FakeServerHerd(FakeAuthorizationServer server, TokenEndpoint endpoint) {
    this.server = server;
    this.herd = TokenHerd.builder().clock(CLOCK).build();
    this.coordinator = herd.coordinator(KEY, endpoint);
  }

  /** Starts a server and a herd whose coordinator renews through the server's token endpoint. */
  public static FakeServerHerd start() {
    FakeAuthorizationServer server = FakeAuthorizationServer.builder().start();
    return new FakeServerHerd(server, FakeServers.endpointBuilder(server).build());
  }

  /** Starts a server and a herd whose coordinator renews through {@code endpoint} instead. */
  public static FakeServerHerd start(TokenEndpoint endpoint) {
    return new FakeServerHerd(FakeAuthorizationServer.builder().start(), endpoint);
  }

  /**
   * Returns a token endpoint that answers the next two refreshes with {@link #UNKNOWN_ACCESS_TOKEN}
   * again, as a server that hands out the same access token until it expires: {@link
   * TokenCoordinator#rejected} then returns the rejected token itself.
   */
  public static ScriptedTokenEndpoint sameTokenEndpoint() {
    ScriptedTokenEndpoint endpoint = new ScriptedTokenEndpoint(CLOCK);
    for (int i = 2; i <= 3; i++) {
      String refreshToken = "refresh-" + i;
      endpoint.answer(
          request -> endpoint.response(UNKNOWN_ACCESS_TOKEN, refreshToken, Duration.ofHours(1)));
    }
    return endpoint;
  }

  public FakeAuthorizationServer server() {
    return server;
  }

  public TokenCoordinator coordinator() {
    return coordinator;
  }

  /** Seeds a login's tokens, valid for an hour: calls are authorized without a refresh. */
  public TokenGrant seedValid() {
    TokenGrant grant = server.issueTokens("read");
    coordinator.seed(FakeServers.tokenSet(grant, CLOCK.instant())).join();
    return grant;
  }

  /**
   * Seeds a login's refresh token with an access token that the resource rejects though the
   * coordinator holds it valid for an hour (as after a revocation of that token alone): the first
   * call gets a 401, and {@link TokenCoordinator#rejected} refreshes once.
   */
  public TokenGrant seedRejected() {
    TokenGrant grant = server.issueTokens("read");
    Instant now = CLOCK.instant();
    TokenSet login = FakeServers.tokenSet(grant, now, now.plus(Duration.ofHours(1)));
    coordinator.seed(login.toBuilder().accessToken(UNKNOWN_ACCESS_TOKEN).build()).join();
    return grant;
  }

  @Override
  public void close() {
    herd.close();
    server.close();
  }
}

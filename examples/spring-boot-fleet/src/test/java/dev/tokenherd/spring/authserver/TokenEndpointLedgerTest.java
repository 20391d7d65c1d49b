package dev.tokenherd.spring.authserver;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import org.junit.jupiter.api.Test;
import org.springframework.security.oauth2.core.AuthorizationGrantType;
import org.springframework.security.oauth2.core.ClientAuthenticationMethod;
import org.springframework.security.oauth2.core.OAuth2RefreshToken;
import org.springframework.security.oauth2.server.authorization.InMemoryOAuth2AuthorizationService;
import org.springframework.security.oauth2.server.authorization.OAuth2Authorization;
import org.springframework.security.oauth2.server.authorization.client.RegisteredClient;

/**
 * The ledger's reuse judgement, driven through the authorization store as Spring Authorization
 * Server drives it, one request at a time on this thread.
 */
final class TokenEndpointLedgerTest {
  private static final Instant NOW = Instant.parse("2030-01-01T00:00:00Z");
  private static final RegisteredClient CLIENT =
      RegisteredClient.withId("fleet-id")
          .clientId("fleet")
          .clientSecret("{noop}secret")
          .clientAuthenticationMethod(ClientAuthenticationMethod.CLIENT_SECRET_BASIC)
          .authorizationGrantType(AuthorizationGrantType.AUTHORIZATION_CODE)
          .authorizationGrantType(AuthorizationGrantType.REFRESH_TOKEN)
          .redirectUri("http://127.0.0.1/authorized")
          .build();

  private final TokenEndpointLedger ledger =
      new TokenEndpointLedger(Clock.fixed(NOW, ZoneOffset.UTC));
  private final RecordingAuthorizationService store =
      new RecordingAuthorizationService(new InMemoryOAuth2AuthorizationService(), ledger);

  @Test
  void requests_rotationThenReplay_onlyReplayIsReuse() {
    OAuth2Authorization first = authorization("rt-1");
    store.save(first); // the code exchange
    refresh("rt-1", /* stored= */ first, "rt-2", 200);
    refresh("rt-1", /* stored= */ null, null, 400);

    assertThat(ledger.requests())
        .extracting(TokenEndpointRequest::refreshTokenReused)
        .containsExactly(false, true);
  }

  @Test
  void requests_failedAttemptThenRetryOfSameToken_isNoReuse() {
    OAuth2Authorization first = authorization("rt-1");
    store.save(first);
    // A 503 before the server rotated anything, then the retry that rotates.
    TokenEndpointLedger.Entry failed = ledger.begin("refresh_token", "fleet", "rt-1");
    ledger.complete(failed, 503, null, null);
    refresh("rt-1", first, "rt-2", 200);

    assertThat(ledger.requests()).noneMatch(TokenEndpointRequest::refreshTokenReused);
  }

  @Test
  void requests_answerLostAfterRotation_retryIsReuse() {
    // The server rotated, but the client never saw the answer and presents the old token again:
    // exactly what a fleet must not do, even though it looks like an innocent retry.
    OAuth2Authorization first = authorization("rt-1");
    store.save(first);
    refresh("rt-1", first, "rt-2", 500);
    refresh("rt-1", null, null, 400);

    assertThat(ledger.requests())
        .extracting(TokenEndpointRequest::refreshTokenReused)
        .containsExactly(false, true);
  }

  @Test
  void requests_concurrentPresentationsBothSucceed_secondSaverIsReuse() {
    OAuth2Authorization first = authorization("rt-1");
    store.save(first);
    // Both requests read the authorization holding rt-1 before either saved (no lock in SAS).
    TokenEndpointLedger.Entry a = ledger.begin("refresh_token", "fleet", "rt-1");
    TokenEndpointLedger.Entry b = ledger.begin("refresh_token", "fleet", "rt-1");
    TokenEndpointLedger.bind(a);
    store.save(rotate(first, "rt-2a"));
    TokenEndpointLedger.unbind();
    TokenEndpointLedger.bind(b);
    store.save(rotate(first, "rt-2b")); // overwrites rt-2a, which was never rotated
    TokenEndpointLedger.unbind();
    ledger.complete(a, 200, null, "rt-2a");
    ledger.complete(b, 200, null, "rt-2b");
    // a's client later presents rt-2a: the server has lost it (invalid_grant), but it is no reuse.
    refresh("rt-2a", null, null, 400);

    assertThat(ledger.requests())
        .extracting(TokenEndpointRequest::sequence, TokenEndpointRequest::refreshTokenReused)
        .containsExactly(
            org.assertj.core.groups.Tuple.tuple(a.sequence, false),
            org.assertj.core.groups.Tuple.tuple(b.sequence, true),
            org.assertj.core.groups.Tuple.tuple(b.sequence + 1, false));
  }

  @Test
  void requests_reuseRefreshTokensTrue_samePresentationsAreNoReuse() {
    OAuth2Authorization first = authorization("rt-1");
    store.save(first);
    refresh("rt-1", first, "rt-1", 200);
    refresh("rt-1", first, "rt-1", 200);

    assertThat(ledger.requests()).noneMatch(TokenEndpointRequest::refreshTokenReused);
  }

  @Test
  void reset_forgetsRequests_butRotatedTokensStayRotated() {
    OAuth2Authorization first = authorization("rt-1");
    store.save(first);
    refresh("rt-1", first, "rt-2", 200);

    ledger.reset();
    refresh("rt-1", null, null, 400);

    assertThat(ledger.requests())
        .singleElement()
        .satisfies(request -> assertThat(request.refreshTokenReused()).isTrue());
  }

  @Test
  void requests_inFlight_areNotListed_andHoldNoSecret() {
    ledger.begin("refresh_token", "fleet", "rt-secret-value");
    TokenEndpointLedger.Entry done = ledger.begin("refresh_token", "fleet", "rt-secret-value");
    ledger.complete(done, 400, "invalid_grant", null);

    assertThat(ledger.requests())
        .singleElement()
        .satisfies(
            request -> {
              assertThat(request.presentedRefreshToken())
                  .isEqualTo(Fingerprints.of("rt-secret-value"))
                  .doesNotContain("secret");
              assertThat(request.toString()).doesNotContain("rt-secret-value");
              assertThat(request.invalidGrant()).isTrue();
              assertThat(request.receivedAt()).isEqualTo(NOW);
            });
  }

  /**
   * One refresh_token request: the server rotates {@code stored} to {@code issued} (when both are
   * given) while the request is bound, then answers {@code status}.
   */
  private void refresh(String presented, OAuth2Authorization stored, String issued, int status) {
    TokenEndpointLedger.Entry entry = ledger.begin("refresh_token", "fleet", presented);
    TokenEndpointLedger.bind(entry);
    try {
      if (stored != null && issued != null) {
        store.save(rotate(store.findById(stored.getId()), issued));
      }
    } finally {
      TokenEndpointLedger.unbind();
    }
    ledger.complete(entry, status, status == 400 ? "invalid_grant" : null, issued);
  }

  private static OAuth2Authorization authorization(String refreshToken) {
    return OAuth2Authorization.withRegisteredClient(CLIENT)
        .id("authorization-1")
        .principalName("fleet-user")
        .authorizationGrantType(AuthorizationGrantType.AUTHORIZATION_CODE)
        .refreshToken(new OAuth2RefreshToken(refreshToken, NOW))
        .build();
  }

  private static OAuth2Authorization rotate(OAuth2Authorization from, String refreshToken) {
    return OAuth2Authorization.from(from)
        .refreshToken(new OAuth2RefreshToken(refreshToken, NOW))
        .build();
  }
}

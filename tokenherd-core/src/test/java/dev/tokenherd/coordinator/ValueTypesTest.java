package dev.tokenherd.coordinator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tokenherd.TokenHerd;
import dev.tokenherd.coordinator.spi.RefreshMark;
import dev.tokenherd.coordinator.spi.TokenEndpointException;
import dev.tokenherd.coordinator.spi.TokenRecord;
import dev.tokenherd.coordinator.spi.TokenRequest;
import dev.tokenherd.coordinator.spi.TokenResponse;
import dev.tokenherd.coordinator.spi.TokenStatus;
import dev.tokenherd.coordinator.spi.WriteOutcome;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

final class ValueTypesTest {
  private static final String ACCESS = "eyJhbGciOiJSUzI1NiJ9.secret-access-token";
  private static final String REFRESH = "rt-7f3a9c-secret-refresh-token";
  private static final Instant T0 = Instant.parse("2030-01-01T00:00:00Z");
  private static final TokenKey KEY = TokenKey.of("billing-api");

  private static TokenSet tokens() {
    return TokenSet.builder()
        .accessToken(ACCESS)
        .refreshToken(REFRESH)
        .scopes(Set.of("read"))
        .issuedAt(T0)
        .expiresAt(T0.plusSeconds(3600))
        .build();
  }

  @Test
  void toString_ofEveryValueHoldingASecret_revealsNoSecret() {
    TokenSet tokens = tokens();
    List<Object> values =
        List.of(
            tokens,
            new AccessToken(ACCESS, "Bearer", T0, Set.of(), 3),
            TokenRequest.refresh(REFRESH, Set.of("read"), Duration.ofSeconds(5)),
            new TokenResponse(ACCESS, "Bearer", REFRESH, null, T0, T0.plusSeconds(60)),
            TokenRecord.seeded(tokens, 1, 1, "w", T0),
            new WriteOutcome(
                WriteOutcome.Result.APPLIED, TokenRecord.seeded(tokens, 1, 1, "w", T0)),
            new RefreshMark(1, "w", T0, Redaction.fingerprint(REFRESH)));

    for (Object value : values) {
      assertThat(value.toString()).doesNotContain(ACCESS).doesNotContain(REFRESH);
    }
    assertThat(tokens.toString()).contains(Redaction.fingerprint(ACCESS));
  }

  @Test
  void fingerprint_isShortStableAndDistinct() {
    assertThat(Redaction.fingerprint(ACCESS)).isEqualTo(Redaction.fingerprint(ACCESS));
    assertThat(Redaction.fingerprint(ACCESS)).isNotEqualTo(Redaction.fingerprint(REFRESH));
    assertThat(Redaction.fingerprint(ACCESS)).matches("sha256:[0-9a-f]{12}");
    assertThat(Redaction.fingerprint(null)).isEqualTo("none");
  }

  @Test
  void exceptionMessages_nameKeyAndErrorCodeButNeverTheDescription() {
    OAuth2Error error = new OAuth2Error("invalid_grant", "token " + REFRESH + " revoked", null);
    List<TokenRefreshException> failures =
        List.of(
            new ReauthenticationRequiredException(KEY, ReauthenticationReason.REVOKED, error),
            new LostRotationException(KEY, error),
            new CredentialNotFoundException(KEY),
            new UnreadableRecordException(
                KEY, UnreadableRecordException.Problem.CORRUPT, "field 'version' is missing", null),
            new TransientRefreshException(KEY, "HTTP 503", Duration.ofSeconds(3), null),
            new AmbiguousRefreshException(KEY, "timeout after sending", null),
            new RefreshTimeoutException(KEY, Duration.ofSeconds(10), null),
            new StoreUnavailableException(KEY, "connection refused", null),
            new StoreMisconfiguredException(
                KEY,
                StoreMisconfiguredException.Problem.NO_PERMISSION,
                "command 'evalsha' of the token store",
                "NOPERM this user has no permissions to run the 'evalsha' command",
                "allow it for the Redis user: +evalsha +eval",
                null),
            new AmbiguousStoreWriteException(KEY, "no answer; re-read failed", null));

    for (TokenRefreshException failure : failures) {
      assertThat(failure.getMessage()).contains("billing-api").doesNotContain(REFRESH);
      assertThat(failure.key()).isEqualTo(KEY);
    }
    assertThat(failures.get(0).getMessage()).contains("invalid_grant");
    assertThat(failures.get(0).isRetryable()).isFalse();
    assertThat(failures.get(4).isRetryable()).isTrue();
    assertThat(((TransientRefreshException) failures.get(4)).retryAfter())
        .isEqualTo(Duration.ofSeconds(3));
    assertThat(((PermanentRefreshException) failures.get(0)).error()).isEqualTo(error);
    assertThat(((UnreadableRecordException) failures.get(3)).problem())
        .isEqualTo(UnreadableRecordException.Problem.CORRUPT);
    StoreMisconfiguredException misconfigured = (StoreMisconfiguredException) failures.get(8);
    assertThat(misconfigured.isRetryable()).isFalse();
    assertThat(misconfigured.problem())
        .isEqualTo(StoreMisconfiguredException.Problem.NO_PERMISSION);
    assertThat(misconfigured.target()).isEqualTo("command 'evalsha' of the token store");
    assertThat(misconfigured.remedy()).contains("+evalsha +eval");
    assertThat(misconfigured.getMessage())
        .contains("no_permission", "'evalsha'", "NOPERM", "+evalsha +eval");
    assertThat(failures.get(9))
        .isInstanceOf(StoreUnavailableException.class)
        .satisfies(e -> assertThat(e.isRetryable()).isTrue());
  }

  @Test
  void tokenEndpointException_messageNamesStatusAndCodeOnly() {
    var failure =
        TokenEndpointException.builder()
            .kind(TokenEndpointException.Kind.PERMANENT)
            .message("rejected")
            .httpStatus(400)
            .error(new OAuth2Error("invalid_grant", REFRESH, "https://err"))
            .retryAfter(Duration.ofSeconds(1))
            .build();

    assertThat(failure.getMessage())
        .isEqualTo("permanent: rejected (HTTP 400) [invalid_grant]")
        .doesNotContain(REFRESH);
    assertThat(failure.httpStatus()).isEqualTo(400);
    assertThat(failure.retryAfter()).isEqualTo(Duration.ofSeconds(1));
    assertThat(failure.error().toString()).doesNotContain(REFRESH);
    assertThat(
            TokenEndpointException.builder()
                .kind(TokenEndpointException.Kind.AMBIGUOUS)
                .message("no answer")
                .build()
                .getMessage())
        .isEqualTo("ambiguous: no answer");
    assertThatThrownBy(() -> TokenEndpointException.builder().message("no kind").build())
        .isInstanceOf(IllegalStateException.class);
  }

  @Test
  void tokenKey_validatesItsName() {
    assertThat(TokenKey.of("tenant-42/billing:api@eu.1_x").name())
        .isEqualTo("tenant-42/billing:api@eu.1_x");
    assertThatThrownBy(() -> TokenKey.of("")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> TokenKey.of("{slot}")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> TokenKey.of("a b")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> TokenKey.of("x".repeat(201)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("201 characters");
  }

  @Test
  void tokenSet_rejectsContradictions() {
    assertThatThrownBy(() -> tokens().toBuilder().expiresAt(T0.minusMillis(1)).build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("is before issuedAt");
    // Equal is a token issued already expired (expires_in 0): kept, with its refresh token.
    assertThat(tokens().toBuilder().expiresAt(T0).build().lifetime()).isZero();
    assertThatThrownBy(() -> tokens().toBuilder().accessToken(" ").build())
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> tokens().toBuilder().refreshToken("").build())
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> tokens().toBuilder().tokenType("").build())
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> TokenSet.builder().accessToken("a").build())
        .isInstanceOf(IllegalStateException.class);
    assertThat(tokens().lifetime()).isEqualTo(Duration.ofHours(1));
    assertThat(tokens().hasRefreshToken()).isTrue();
    assertThat(tokens().toBuilder().refreshToken(null).build().hasRefreshToken()).isFalse();
  }

  @Test
  void accessToken_authorizationHeader_normalizesBearer() {
    assertThat(new AccessToken("abc", "bearer", T0, Set.of(), 1).authorizationHeader())
        .isEqualTo("Bearer abc");
    assertThat(new AccessToken("abc", "DPoP", T0, Set.of(), 1).authorizationHeader())
        .isEqualTo("DPoP abc");
  }

  @Test
  void tokenRecord_rejectsContradictions() {
    assertThatThrownBy(
            () ->
                TokenRecord.builder()
                    .version(1)
                    .status(TokenStatus.REAUTH_REQUIRED)
                    .writer("w")
                    .writtenAt(T0)
                    .build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("reauthReason");
    assertThatThrownBy(() -> TokenRecord.seeded(tokens(), 0, 0, "w", T0))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> TokenRecord.seeded(tokens(), 1, -1, "w", T0))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(
            () ->
                TokenRecord.builder().schemaVersion(0).version(1).writer("w").writtenAt(T0).build())
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new WriteOutcome(WriteOutcome.Result.APPLIED, null))
        .isInstanceOf(IllegalArgumentException.class);
    // Only an applied write was to be announced.
    assertThatThrownBy(
            () ->
                new WriteOutcome(
                    WriteOutcome.Result.VERSION_MOVED,
                    null,
                    WriteOutcome.Durability.NOT_REQUESTED,
                    "PUBLISH refused"))
        .isInstanceOf(IllegalArgumentException.class);
    TokenRecord stored = TokenRecord.seeded(tokens(), 1, 1, "w", T0);
    assertThat(new WriteOutcome(WriteOutcome.Result.APPLIED, stored).announcementFailure())
        .isNull();
    assertThat(
            new WriteOutcome(
                    WriteOutcome.Result.APPLIED,
                    stored,
                    WriteOutcome.Durability.NOT_REQUESTED,
                    "PUBLISH refused")
                .announcementFailure())
        .isEqualTo("PUBLISH refused");
  }

  @Test
  void tokenRecord_builder_defaultsToAnActiveRecordOfTheCurrentSchema() {
    TokenRecord built =
        TokenRecord.builder().version(3).tokens(tokens()).writer("w").writtenAt(T0).build();

    assertThat(built.schemaVersion()).isEqualTo(TokenRecord.CURRENT_SCHEMA);
    assertThat(built.fence()).isZero();
    assertThat(built.status()).isEqualTo(TokenStatus.ACTIVE);
    assertThat(built.refreshing()).isNull();
    assertThat(built.reauthReason()).isNull();
    assertThat(built.errorCode()).isNull();
    assertThat(built.generation()).isEmpty();
    assertThat(built.toBuilder().build()).isEqualTo(built);
    assertThat(built.withFence(9)).isEqualTo(built.toBuilder().fence(9).build());
    assertThat(TokenRecord.seeded(tokens(), 3, 0, "w", T0)).isEqualTo(built);
    assertThatThrownBy(() -> TokenRecord.builder().version(1).writtenAt(T0).build())
        .isInstanceOf(IllegalStateException.class);
    assertThatThrownBy(() -> TokenRecord.builder().writer("w").writtenAt(T0).build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("version");
  }

  @Test
  void tokenRequest_refreshTokenMustFitTheGrant() {
    assertThatThrownBy(
            () -> new TokenRequest(GrantType.REFRESH_TOKEN, null, Set.of(), Duration.ofSeconds(1)))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(
            () ->
                new TokenRequest(
                    GrantType.CLIENT_CREDENTIALS, "rt", Set.of(), Duration.ofSeconds(1)))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> TokenRequest.clientCredentials(Set.of(), Duration.ZERO))
        .isInstanceOf(IllegalArgumentException.class);
    assertThat(GrantType.CLIENT_CREDENTIALS.wireName()).isEqualTo("client_credentials");
  }

  @Test
  void tokenRequest_sendBy_isAbsentByDefault_carriedByWithSendBy_andNeverRevealsTheToken() {
    TokenRequest plain = TokenRequest.refresh("rt-secret-value", Set.of(), Duration.ofSeconds(1));
    assertThat(plain.hasSendBy()).isFalse();
    assertThat(plain.sendByNanos()).isEqualTo(TokenRequest.NO_SEND_BY);
    assertThat(plain.sendByOverdue(Long.MAX_VALUE)).isZero();
    assertThat(plain)
        .isEqualTo(
            new TokenRequest(
                GrantType.REFRESH_TOKEN, "rt-secret-value", Set.of(), Duration.ofSeconds(1)));

    long now = System.nanoTime();
    TokenRequest due = plain.withSendBy(now);
    assertThat(due.hasSendBy()).isTrue();
    assertThat(due.withSendBy(now)).isEqualTo(due);
    assertThat(due.sendByOverdue(now)).isZero();
    assertThat(due.sendByOverdue(now - 5)).isZero();
    assertThat(due.sendByOverdue(now + 7)).isEqualTo(Duration.ofNanos(7));
    // nanoTime may overflow: the deadline is compared by subtraction
    assertThat(plain.withSendBy(Long.MAX_VALUE).sendByOverdue(Long.MIN_VALUE + 2))
        .isEqualTo(Duration.ofNanos(3));
    // a real deadline is never taken for "none"
    assertThat(plain.withSendBy(TokenRequest.NO_SEND_BY).hasSendBy()).isTrue();
    assertThat(due.toString()).contains("sendByNanos=" + now).doesNotContain("rt-secret-value");
    assertThat(plain.toString()).doesNotContain("sendByNanos").doesNotContain("rt-secret-value");
  }

  @Test
  void refreshPolicy_builderValidatesEachValueAndRoundTrips() {
    RefreshPolicy custom =
        RefreshPolicy.builder()
            .refreshAheadFraction(0.5)
            .expirySkew(Duration.ofSeconds(1))
            .waitTimeout(Duration.ofSeconds(2))
            .leaseTime(Duration.ofSeconds(20))
            .endpointTimeout(Duration.ofSeconds(5))
            .retryBackoff(Backoff.DEFAULT_POLL)
            .pollBackoff(Backoff.DEFAULT_RETRY)
            .maxAttempts(3)
            .build();

    assertThat(custom.toBuilder().build()).isEqualTo(custom);
    assertThatThrownBy(() -> RefreshPolicy.builder().refreshAheadFraction(1.0))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> RefreshPolicy.builder().expirySkew(Duration.ofSeconds(-1)))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> RefreshPolicy.builder().waitTimeout(Duration.ZERO))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> RefreshPolicy.builder().leaseTime(Duration.ZERO))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> RefreshPolicy.builder().endpointTimeout(Duration.ofMillis(-1)))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> RefreshPolicy.builder().maxAttempts(0))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new Backoff(Duration.ofSeconds(2), Duration.ofSeconds(1), 2.0, 0.1))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new Backoff(Duration.ofSeconds(1), Duration.ofSeconds(1), 0.5, 0.1))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new Backoff(Duration.ofSeconds(1), Duration.ofSeconds(1), 2, 1.5))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void herdBuilder_someButNotAllBackends_isRejected() {
    var store = new dev.tokenherd.coordinator.memory.InMemoryTokenStore();

    assertThatThrownBy(() -> TokenHerd.builder().tokenStore(store).build())
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("tokenStore, refreshLock and changeFeed");
    assertThatThrownBy(() -> TokenHerd.builder().workerId(" "))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void renewal_factories() {
    assertThat(Renewal.refreshToken().grantType()).isEqualTo(GrantType.REFRESH_TOKEN);
    assertThat(Renewal.clientCredentials("a", "b").scopes()).containsExactlyInAnyOrder("a", "b");
  }
}

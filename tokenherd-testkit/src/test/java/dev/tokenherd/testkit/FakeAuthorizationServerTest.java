package dev.tokenherd.testkit;

import static dev.tokenherd.testkit.OAuthClient.json;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tokenherd.testkit.RecordedTokenRequest.Outcome;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

final class FakeAuthorizationServerTest {
  private final MutableClock clock = MutableClock.at(Instant.parse("2030-01-01T00:00:00Z"));
  private FakeAuthorizationServer server = start(RotationMode.ROTATE_REVOKE_FAMILY_ON_REUSE);
  private OAuthClient client = new OAuthClient(server);

  private FakeAuthorizationServer start(RotationMode mode) {
    return FakeAuthorizationServer.builder()
        .rotationMode(mode)
        .clock(clock)
        .accessTokenTtl(Duration.ofSeconds(60))
        .reuseGracePeriod(Duration.ofSeconds(30))
        .start();
  }

  private void restart(RotationMode mode) {
    server.close();
    server = start(mode);
    client = new OAuthClient(server);
  }

  @AfterEach
  void stop() {
    server.close();
  }

  // --- the token endpoint ------------------------------------------------------------------------

  @Test
  void refresh_basicAuth_answersRfc6749TokenResponseAndRotates() throws IOException {
    TokenGrant seeded = server.issueTokens("read write");

    HttpResponse<String> response = client.refresh(seeded.refreshToken());

    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.headers().firstValue("Cache-Control")).hasValue("no-store");
    assertThat(response.headers().firstValue("Content-Type"))
        .hasValueSatisfying(type -> assertThat(type).startsWith("application/json"));
    JsonNode body = json(response);
    assertThat(body.get("token_type").asText()).isEqualTo("Bearer");
    assertThat(body.get("expires_in").asLong()).isEqualTo(60);
    assertThat(body.get("scope").asText()).isEqualTo("read write");
    String accessToken = body.get("access_token").asText();
    String refreshToken = body.get("refresh_token").asText();
    assertThat(accessToken).isNotEqualTo(seeded.accessToken()).hasSizeGreaterThanOrEqualTo(43);
    assertThat(refreshToken).isNotEqualTo(seeded.refreshToken()).matches("[A-Za-z0-9_-]{43,}");
    assertThat(server.isAccessTokenValid(accessToken)).isTrue();
    assertThat(server.stats().refreshEvents()).isEqualTo(1);
    assertThat(server.stats().tokenRequests()).isEqualTo(1);
  }

  @Test
  void issueTokens_grantSplitsItsScopeIntoTokens() {
    assertThat(server.issueTokens("read write").scopes())
        .containsExactlyInAnyOrder("read", "write");
    assertThat(server.issueTokens("").scopes()).isEmpty();
  }

  @Test
  void refresh_clientSecretPost_isAccepted() throws IOException {
    TokenGrant seeded = server.issueTokens("read");

    HttpResponse<String> response =
        client.post(
            Map.of(
                "grant_type",
                "refresh_token",
                "refresh_token",
                seeded.refreshToken(),
                "client_id",
                FakeAuthorizationServer.DEFAULT_CLIENT_ID,
                "client_secret",
                FakeAuthorizationServer.DEFAULT_CLIENT_SECRET),
            null);

    assertThat(response.statusCode()).isEqualTo(200);
  }

  @Test
  void basicAuth_idAndSecretAreFormUrlEncodedBeforeBase64() throws IOException {
    server.close();
    server =
        FakeAuthorizationServer.builder().clientId("client:1").clientSecret("s3cr&t +/%").start();
    client = new OAuthClient(server, "client:1", "s3cr&t +/%");
    TokenGrant seeded = server.issueTokens("");

    HttpResponse<String> response = client.refresh(seeded.refreshToken());

    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(json(response).has("scope")).isFalse();
    assertThat(server.clientId()).isEqualTo("client:1");
  }

  @Test
  void basicAuth_wrongSecret_isInvalidClientWithWwwAuthenticate() throws IOException {
    TokenGrant seeded = server.issueTokens("read");
    OAuthClient wrong = new OAuthClient(server, FakeAuthorizationServer.DEFAULT_CLIENT_ID, "nope");

    HttpResponse<String> response = wrong.refresh(seeded.refreshToken());

    assertThat(response.statusCode()).isEqualTo(401);
    assertThat(response.headers().firstValue("WWW-Authenticate"))
        .hasValueSatisfying(value -> assertThat(value).startsWith("Basic"));
    assertThat(json(response).get("error").asText()).isEqualTo("invalid_client");
    assertThat(server.stats().invalidClients()).isEqualTo(1);
    assertThat(server.stats().refreshEvents()).isZero();
  }

  @Test
  void postAuth_wrongSecret_isInvalidClient() throws IOException {
    OAuthClient wrong = new OAuthClient(server, "someone-else", "nope");

    HttpResponse<String> response = wrong.clientCredentials("read");

    assertThat(response.statusCode()).isEqualTo(401);
    assertThat(json(response).get("error").asText()).isEqualTo("invalid_client");
    assertThat(response.headers().firstValue("WWW-Authenticate")).isEmpty();
  }

  @Test
  void missingOrMalformedClientAuthentication_isInvalidClient() throws IOException {
    TokenGrant seeded = server.issueTokens("read");
    Map<String, String> form =
        Map.of("grant_type", "refresh_token", "refresh_token", seeded.refreshToken());

    assertThat(client.post(form, null).statusCode()).isEqualTo(401);
    assertThat(client.post(form, "Basic !!!not-base64").statusCode()).isEqualTo(401);
    assertThat(
            client
                .post(
                    form,
                    "Basic "
                        + java.util.Base64.getEncoder()
                            .encodeToString(
                                "no-colon".getBytes(java.nio.charset.StandardCharsets.UTF_8)))
                .statusCode())
        .isEqualTo(401);
    assertThat(server.stats().invalidClients()).isEqualTo(3);
  }

  @Test
  void bothAuthenticationMethods_isInvalidRequest() throws IOException {
    HttpResponse<String> response =
        client.postBasic(
            Map.of(
                "grant_type",
                "client_credentials",
                "client_id",
                FakeAuthorizationServer.DEFAULT_CLIENT_ID,
                "client_secret",
                FakeAuthorizationServer.DEFAULT_CLIENT_SECRET));

    assertThat(response.statusCode()).isEqualTo(400);
    assertThat(json(response).get("error").asText()).isEqualTo("invalid_request");
  }

  @Test
  void malformedRequests_areRfc6749Errors() throws IOException {
    String auth =
        OAuthClient.basic(
            FakeAuthorizationServer.DEFAULT_CLIENT_ID,
            FakeAuthorizationServer.DEFAULT_CLIENT_SECRET);

    assertError(client.postBasic(Map.of("scope", "read")), "invalid_request");
    assertError(client.postBasic(Map.of("grant_type", "password")), "unsupported_grant_type");
    assertError(client.postBasic(Map.of("grant_type", "refresh_token")), "invalid_request");
    assertError(
        client.postBasic(Map.of("grant_type", "refresh_token", "refresh_token", "nope")),
        "invalid_grant");
    assertError(
        client.postRaw("grant_type=client_credentials", "application/json", auth),
        "invalid_request");
    assertError(
        client.postRaw("grant_type=a&grant_type=b", "application/x-www-form-urlencoded", auth),
        "invalid_request");
    assertError(
        client.postRaw("grant_type=%zz", "application/x-www-form-urlencoded", auth),
        "invalid_request");
    assertError(client.postRaw("", "application/x-www-form-urlencoded", auth), "invalid_request");
    assertThat(server.stats().invalidGrants()).isEqualTo(1);
    assertThat(server.requests())
        .extracting(RecordedTokenRequest::outcome)
        .contains(Outcome.INVALID_REQUEST, Outcome.UNSUPPORTED_GRANT_TYPE, Outcome.INVALID_GRANT);
  }

  private static void assertError(HttpResponse<String> response, String error) {
    assertThat(response.statusCode()).isEqualTo(400);
    assertThat(response.headers().firstValue("Cache-Control")).hasValue("no-store");
    JsonNode body = json(response);
    assertThat(body.get("error").asText()).isEqualTo(error);
    assertThat(body.get("error_description").asText()).isNotBlank();
  }

  @Test
  void clientCredentials_issuesAccessTokenWithoutRefreshToken() throws IOException {
    HttpResponse<String> response = client.clientCredentials("jobs:write");

    assertThat(response.statusCode()).isEqualTo(200);
    JsonNode body = json(response);
    assertThat(body.has("refresh_token")).isFalse();
    assertThat(body.get("scope").asText()).isEqualTo("jobs:write");
    assertThat(server.isAccessTokenValid(body.get("access_token").asText())).isTrue();
    assertThat(server.stats().clientCredentialsGrants()).isEqualTo(1);
    assertThat(server.stats().refreshEvents()).isZero();
  }

  @Test
  void clientCredentials_switchedOff_isUnauthorizedClient() throws IOException {
    server.close();
    server = FakeAuthorizationServer.builder().issueClientCredentials(false).start();
    client = new OAuthClient(server);

    assertError(client.clientCredentials("read"), "unauthorized_client");
    assertThat(
            json(client.send("GET", "/.well-known/oauth-authorization-server"))
                .get("grant_types_supported")
                .toString())
        .doesNotContain("client_credentials");
  }

  // --- rotation modes ----------------------------------------------------------------------------

  @Test
  void revokeFamilyMode_reuse_revokesTheWholeFamily() throws IOException {
    TokenGrant seeded = server.issueTokens("read");
    JsonNode first = json(client.refresh(seeded.refreshToken()));
    String successor = first.get("refresh_token").asText();

    HttpResponse<String> reuse = client.refresh(seeded.refreshToken());

    assertError(reuse, "invalid_grant");
    assertError(client.refresh(successor), "invalid_grant");
    assertThat(server.isAccessTokenValid(first.get("access_token").asText())).isFalse();
    assertThat(server.isAccessTokenValid(seeded.accessToken())).isFalse();
    assertThat(server.stats())
        .extracting(
            ServerStats::reuseDetections,
            ServerStats::familiesRevoked,
            ServerStats::invalidGrants,
            ServerStats::refreshEvents)
        .containsExactly(1L, 1L, 2L, 1L);
    assertThat(server.requests())
        .extracting(RecordedTokenRequest::outcome)
        .containsExactly(Outcome.REFRESHED, Outcome.REUSE_DETECTED, Outcome.INVALID_GRANT);
  }

  @Test
  void otherFamilies_surviveARevocation() throws IOException {
    TokenGrant victim = server.issueTokens("read");
    TokenGrant bystander = server.issueTokens("read");
    client.refresh(victim.refreshToken());
    client.refresh(victim.refreshToken());

    assertThat(client.refresh(bystander.refreshToken()).statusCode()).isEqualTo(200);
  }

  @Test
  void graceMode_reuseWithinGrace_returnsTheSuccessorRefreshTokenAndAFreshAccessToken()
      throws IOException {
    restart(RotationMode.ROTATE_WITH_GRACE_PERIOD);
    TokenGrant seeded = server.issueTokens("read");
    JsonNode first = json(client.refresh(seeded.refreshToken()));
    clock.advance(Duration.ofSeconds(29));

    HttpResponse<String> replay = client.refresh(seeded.refreshToken());

    assertThat(replay.statusCode()).isEqualTo(200);
    JsonNode again = json(replay);
    assertThat(again.get("refresh_token").asText()).isEqualTo(first.get("refresh_token").asText());
    assertThat(again.get("access_token").asText()).isNotEqualTo(first.get("access_token").asText());
    assertThat(again.get("expires_in").asLong()).isEqualTo(60);
    assertThat(server.stats().graceReuses()).isEqualTo(1);
    assertThat(server.stats().refreshEvents()).isEqualTo(1);
    assertThat(server.stats().reuseDetections()).isZero();
    assertThat(client.refresh(first.get("refresh_token").asText()).statusCode()).isEqualTo(200);
  }

  @Test
  void graceMode_reuseAfterGrace_revokesTheFamily() throws IOException {
    restart(RotationMode.ROTATE_WITH_GRACE_PERIOD);
    TokenGrant seeded = server.issueTokens("read");
    JsonNode first = json(client.refresh(seeded.refreshToken()));
    clock.advance(Duration.ofSeconds(30));

    assertError(client.refresh(seeded.refreshToken()), "invalid_grant");
    assertError(client.refresh(first.get("refresh_token").asText()), "invalid_grant");
    assertThat(server.stats().reuseDetections()).isEqualTo(1);
    assertThat(server.stats().familiesRevoked()).isEqualTo(1);
    assertThat(server.stats().graceReuses()).isZero();
  }

  @Test
  void noFamilyRevocationMode_reuseIsRejectedButTheFamilyLives() throws IOException {
    restart(RotationMode.ROTATE_NO_FAMILY_REVOCATION);
    TokenGrant seeded = server.issueTokens("read");
    JsonNode first = json(client.refresh(seeded.refreshToken()));

    assertError(client.refresh(seeded.refreshToken()), "invalid_grant");

    assertThat(server.isAccessTokenValid(first.get("access_token").asText())).isTrue();
    assertThat(client.refresh(first.get("refresh_token").asText()).statusCode()).isEqualTo(200);
    assertThat(server.stats().reuseDetections()).isEqualTo(1);
    assertThat(server.stats().familiesRevoked()).isZero();
    assertThat(server.stats().refreshEvents()).isEqualTo(2);
  }

  @Test
  void noRotationMode_echoesTheSameRefreshTokenWhichStaysValid() throws IOException {
    restart(RotationMode.NO_ROTATION);
    TokenGrant seeded = server.issueTokens("read");

    JsonNode first = json(client.refresh(seeded.refreshToken()));
    JsonNode second = json(client.refresh(seeded.refreshToken()));

    assertThat(first.get("refresh_token").asText()).isEqualTo(seeded.refreshToken());
    assertThat(second.get("refresh_token").asText()).isEqualTo(seeded.refreshToken());
    assertThat(second.get("access_token").asText())
        .isNotEqualTo(first.get("access_token").asText());
    assertThat(server.stats().refreshEvents()).isEqualTo(2);
    assertThat(server.rotationMode()).isEqualTo(RotationMode.NO_ROTATION);
  }

  @Test
  void omitMode_answersWithoutRefreshTokenOrScope_andTheOriginalStaysValid() throws IOException {
    restart(RotationMode.OMIT_REFRESH_TOKEN);
    TokenGrant seeded = server.issueTokens("read");

    JsonNode first = json(client.refresh(seeded.refreshToken()));
    HttpResponse<String> second = client.refresh(seeded.refreshToken());

    assertThat(first.has("refresh_token")).isFalse();
    assertThat(first.has("scope")).isFalse();
    assertThat(first.get("access_token").asText()).isNotBlank();
    assertThat(second.statusCode()).isEqualTo(200);
    assertThat(server.stats().refreshEvents()).isEqualTo(2);
  }

  // --- seeding, expiry and revocation ------------------------------------------------------------

  @Test
  void accessToken_expiresByTheInjectedClock() {
    TokenGrant seeded = server.issueTokens("read");
    Instant issued = clock.instant();

    assertThat(seeded.expiresAt()).isEqualTo(issued.plusSeconds(60));
    assertThat(server.isAccessTokenValid(seeded.accessToken())).isTrue();
    clock.advance(Duration.ofSeconds(59));
    assertThat(server.isAccessTokenValid(seeded.accessToken())).isTrue();
    clock.advance(Duration.ofSeconds(1));
    assertThat(server.isAccessTokenValid(seeded.accessToken())).isFalse();
    assertThat(server.isAccessTokenValid(seeded.accessToken(), issued)).isTrue();
    assertThat(server.isAccessTokenValid("unknown")).isFalse();
  }

  @Test
  void revokeFamilyOf_byAccessOrRefreshToken_andRevokeAll() throws IOException {
    TokenGrant a = server.issueTokens("read");
    TokenGrant b = server.issueTokens("read");
    TokenGrant c = server.issueTokens("read");

    assertThat(server.revokeFamilyOf(a.accessToken())).isTrue();
    assertThat(server.revokeFamilyOf(b.refreshToken())).isTrue();
    assertThat(server.revokeFamilyOf("unknown")).isFalse();

    assertThat(server.isAccessTokenValid(a.accessToken())).isFalse();
    assertThat(server.isAccessTokenValid(b.accessToken())).isFalse();
    assertThat(server.isAccessTokenValid(c.accessToken())).isTrue();
    assertError(client.refresh(a.refreshToken()), "invalid_grant");
    server.revokeAll();
    assertThat(server.isAccessTokenValid(c.accessToken())).isFalse();
    assertThat(server.stats().familiesRevoked()).isEqualTo(3);
  }

  // --- discovery and the resource ----------------------------------------------------------------

  @Test
  void discovery_bothLocations_nameIssuerAndTokenEndpoint() throws IOException {
    for (String path :
        new String[] {
          "/.well-known/oauth-authorization-server", "/.well-known/openid-configuration"
        }) {
      HttpResponse<String> response = client.send("GET", path);
      assertThat(response.statusCode()).isEqualTo(200);
      JsonNode body = json(response);
      assertThat(body.get("issuer").asText()).isEqualTo(server.uri().toString());
      assertThat(body.get("token_endpoint").asText()).isEqualTo(server.tokenEndpoint().toString());
      assertThat(body.get("token_endpoint_auth_methods_supported").toString())
          .contains("client_secret_basic", "client_secret_post");
    }
    assertThat(server.uri().toString()).matches("http://127\\.0\\.0\\.1:\\d+");
  }

  @Test
  void resource_checksTheBearerToken() throws IOException {
    TokenGrant seeded = server.issueTokens("read");

    assertThat(client.resource("Bearer " + seeded.accessToken()).statusCode()).isEqualTo(200);
    assertThat(client.resource("bearer " + seeded.accessToken()).statusCode()).isEqualTo(200);
    HttpResponse<String> unknown = client.resource("Bearer unknown");
    HttpResponse<String> missing = client.resource(null);
    clock.advance(Duration.ofSeconds(60));
    HttpResponse<String> expired = client.resource("Bearer " + seeded.accessToken());

    assertThat(unknown.statusCode()).isEqualTo(401);
    assertThat(unknown.headers().firstValue("WWW-Authenticate"))
        .hasValue("Bearer error=\"invalid_token\"");
    assertThat(missing.statusCode()).isEqualTo(401);
    assertThat(missing.headers().firstValue("WWW-Authenticate")).hasValue("Bearer");
    assertThat(expired.statusCode()).isEqualTo(401);
    assertThat(server.stats().resourceRequests()).isEqualTo(5);
    assertThat(server.stats().resourceRejections()).isEqualTo(3);
    assertThat(server.stats().tokenRequests()).isZero();
  }

  @Test
  void unknownPathsAndMethods_are404And405() throws IOException {
    assertThat(client.send("GET", "/nothing").statusCode()).isEqualTo(404);
    assertThat(client.send("GET", "/tokens").statusCode()).isEqualTo(404);
    HttpResponse<String> get = client.send("GET", "/token");
    assertThat(get.statusCode()).isEqualTo(405);
    assertThat(get.headers().firstValue("Allow")).hasValue("POST");
    assertThat(client.send("POST", "/resource").statusCode()).isEqualTo(405);
    assertThat(client.send("DELETE", "/.well-known/openid-configuration").statusCode())
        .isEqualTo(405);
    assertThat(server.stats().tokenRequests()).isZero();
  }

  // --- counters, log, latency --------------------------------------------------------------------

  @Test
  void requestLog_recordsFingerprintsNotSecrets_andResetClearsIt() throws IOException {
    TokenGrant seeded = server.issueTokens("read");
    client.refresh(seeded.refreshToken());

    RecordedTokenRequest logged = server.requests().get(0);

    assertThat(logged.receivedAt()).isEqualTo(clock.instant());
    assertThat(logged.grantType()).isEqualTo("refresh_token");
    assertThat(logged.refreshTokenFingerprint()).matches("sha256:[0-9a-f]{12}");
    assertThat(logged.outcome()).isEqualTo(Outcome.REFRESHED);
    assertThat(logged.status()).isEqualTo(200);
    assertThat(logged.fault()).isNull();
    assertThat(logged.processed()).isTrue();
    assertThat(logged.toString()).doesNotContain(seeded.refreshToken());

    server.reset();

    assertThat(server.requests()).isEmpty();
    assertThat(server.stats()).isEqualTo(new ServerStats(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0));
    assertThat(server.isAccessTokenValid(seeded.accessToken())).isTrue();
  }

  @Test
  void requestLog_keepsOnlyTheNewestEntries() throws IOException {
    server.close();
    server = FakeAuthorizationServer.builder().requestLogLimit(2).start();
    client = new OAuthClient(server);

    client.clientCredentials("a");
    client.clientCredentials("b");
    client.postBasic(Map.of("grant_type", "password"));

    assertThat(server.requests())
        .extracting(RecordedTokenRequest::outcome)
        .containsExactly(Outcome.CLIENT_CREDENTIALS_ISSUED, Outcome.UNSUPPORTED_GRANT_TYPE);
    assertThat(server.stats().tokenRequests()).isEqualTo(3);
  }

  @Test
  void latency_delaysEveryTokenAnswer() throws IOException {
    server.close();
    server = FakeAuthorizationServer.builder().latency(Duration.ofMillis(200)).start();
    client = new OAuthClient(server);

    long started = System.nanoTime();
    HttpResponse<String> response = client.clientCredentials("read");

    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(Duration.ofNanos(System.nanoTime() - started))
        .isGreaterThanOrEqualTo(Duration.ofMillis(200));
  }

  @Test
  void awaitAnswered_waitsForARequestStillOnTheWire() throws Exception {
    server.close();
    server = FakeAuthorizationServer.builder().latency(Duration.ofMillis(300)).start();
    client = new OAuthClient(server);
    TokenGrant seeded = server.issueTokens("read");
    OAuthClient caller = client;
    CompletableFuture<HttpResponse<String>> onTheWire =
        CompletableFuture.supplyAsync(
            () -> {
              try {
                return caller.refresh(seeded.refreshToken());
              } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
              }
            });
    await().atMost(Duration.ofSeconds(5)).until(() -> server.stats().tokenRequests() == 1);
    assertThat(server.stats().answeredRequests()).isZero();

    ServerStats settled = server.awaitAnswered(Duration.ofSeconds(5));

    assertThat(settled.answeredRequests()).isEqualTo(1);
    assertThat(settled.refreshEvents()).isEqualTo(1);
    assertThat(onTheWire.get(5, java.util.concurrent.TimeUnit.SECONDS).statusCode()).isEqualTo(200);
  }

  @Test
  void toStrings_neverShowASecret() {
    TokenGrant seeded = server.issueTokens("read");

    assertThat(seeded.toString())
        .doesNotContain(seeded.accessToken())
        .doesNotContain(seeded.refreshToken())
        .contains("sha256:", "read");
    assertThat(new TokenGrant("at", null, clock.instant(), "").toString())
        .contains("refreshToken=none");
    assertThat(server.toString())
        .doesNotContain(FakeAuthorizationServer.DEFAULT_CLIENT_SECRET)
        .contains(server.uri().toString());
  }

  @Test
  void builder_rejectsBadValues() {
    FakeAuthorizationServer.Builder builder = FakeAuthorizationServer.builder();

    assertThatThrownBy(() -> builder.accessTokenTtl(Duration.ofMillis(1500)))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> builder.accessTokenTtl(Duration.ZERO))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> builder.latency(Duration.ofMillis(-1)))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> builder.reuseGracePeriod(Duration.ofMillis(-1)))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> builder.clientId("")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> builder.clientSecret("")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> builder.port(70_000)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> builder.requestLogLimit(-1))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void builder_port_bindsThatPort_andABusyPortFailsToStart() {
    int port = server.uri().getPort();

    assertThatThrownBy(() -> FakeAuthorizationServer.builder().port(port).start())
        .isInstanceOf(java.io.UncheckedIOException.class);
  }

  @Test
  void stats_overHttp_areTheCountersAsSnakeCaseJson() throws IOException {
    TokenGrant grant = server.issueTokens("read");
    client.refresh(grant.refreshToken());
    client.refresh(grant.refreshToken()); // reuse: the family is revoked

    JsonNode stats = json(client.send("GET", "/stats"));

    assertThat(stats.get("token_requests").asLong()).isEqualTo(2);
    assertThat(stats.get("refresh_events").asLong()).isEqualTo(1);
    assertThat(stats.get("reuse_detections").asLong()).isEqualTo(1);
    assertThat(stats.get("families_revoked").asLong()).isEqualTo(1);
    assertThat(stats.get("invalid_grants").asLong()).isEqualTo(1);
    assertThat(stats.size()).isEqualTo(11);
    assertThat(client.send("POST", "/stats").statusCode()).isEqualTo(405);
  }

  @Test
  void builder_bindAddress_listensThere_andUriStillNamesLoopback() throws IOException {
    try (FakeAuthorizationServer wildcard =
        FakeAuthorizationServer.builder()
            .bindAddress(java.net.InetAddress.getByAddress(new byte[] {0, 0, 0, 0}))
            .start()) {
      assertThat(wildcard.uri().getHost()).isEqualTo("127.0.0.1");
      assertThat(new OAuthClient(wildcard).send("GET", "/stats").statusCode()).isEqualTo(200);
    }
    assertThatThrownBy(() -> FakeAuthorizationServer.builder().bindAddress(null))
        .isInstanceOf(NullPointerException.class);
  }

  @Test
  void requestLogLimitZero_logsNothing_andStillAnswers() throws IOException {
    try (FakeAuthorizationServer quiet =
        FakeAuthorizationServer.builder().requestLogLimit(0).start()) {
      TokenGrant grant = quiet.issueTokens("read");

      HttpResponse<String> response = new OAuthClient(quiet).refresh(grant.refreshToken());

      assertThat(response.statusCode()).isEqualTo(200);
      assertThat(quiet.requests()).isEmpty();
      assertThat(quiet.stats().refreshEvents()).isEqualTo(1);
    }
  }

  // --- whole-second issue times and JWT-shaped tokens ------------------------------------------

  @Test
  void wholeSecondIssueTimes_jwtAccessTokens_countFromTheSecondBegun_andSayItInTheClaims()
      throws IOException {
    server.close();
    clock.set(Instant.parse("2030-01-01T00:00:00.900Z"));
    server =
        FakeAuthorizationServer.builder()
            .clock(clock)
            .accessTokenTtl(Duration.ofSeconds(4))
            .wholeSecondIssueTimes(true)
            .jwtAccessTokens(true)
            .start();

    TokenGrant grant = server.issueTokens("read");

    // Issued at .900, counted from .000: it lives 3.1 s, not the 4 s expires_in will say.
    assertThat(grant.expiresAt()).isEqualTo(Instant.parse("2030-01-01T00:00:04Z"));
    assertThat(server.isAccessTokenValid(grant.accessToken(), clock.instant().plusMillis(3099)))
        .isTrue();
    assertThat(server.isAccessTokenValid(grant.accessToken(), clock.instant().plusMillis(3100)))
        .isFalse();
    String[] parts = grant.accessToken().split("\\.");
    assertThat(parts).hasSize(3);
    JsonNode claims = new ObjectMapper().readTree(Base64.getUrlDecoder().decode(parts[1]));
    assertThat(claims.get("iat").asLong()).isEqualTo(1_893_456_000L);
    assertThat(claims.get("exp").asLong()).isEqualTo(1_893_456_004L);
    assertThat(server.issueTokens("read").accessToken()).isNotEqualTo(grant.accessToken());
  }
}

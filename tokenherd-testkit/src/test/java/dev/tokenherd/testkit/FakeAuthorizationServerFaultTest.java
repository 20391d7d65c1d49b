package dev.tokenherd.testkit;

import static dev.tokenherd.testkit.OAuthClient.json;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tokenherd.testkit.Fault.Kind;
import dev.tokenherd.testkit.RecordedTokenRequest.Outcome;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Every fault over real HTTP. "Not processed" faults leave the refresh token usable; "after
 * processing" faults rotate it, so presenting it again is reuse.
 */
final class FakeAuthorizationServerFaultTest {
  private final FakeAuthorizationServer server = FakeAuthorizationServer.builder().start();
  private final OAuthClient client = new OAuthClient(server);
  private final TokenGrant seeded = server.issueTokens("read");

  @AfterEach
  void stop() {
    server.close();
  }

  private void assertNotProcessed(Kind kind, int status) throws IOException {
    RecordedTokenRequest logged = server.requests().get(0);
    assertThat(logged.outcome()).isEqualTo(Outcome.NOT_PROCESSED);
    assertThat(logged.processed()).isFalse();
    assertThat(logged.fault()).isEqualTo(kind);
    assertThat(logged.status()).isEqualTo(status);
    assertThat(server.stats().faultsInjected()).isEqualTo(1);
    assertThat(server.stats().refreshEvents()).isZero();
    // the refresh token was not rotated: it still works, once
    assertThat(client.refresh(seeded.refreshToken()).statusCode()).isEqualTo(200);
    assertThat(server.stats().reuseDetections()).isZero();
  }

  private void assertProcessedThenSpoiled(Kind kind, int status) throws IOException {
    RecordedTokenRequest logged = server.requests().get(0);
    assertThat(logged.outcome()).isEqualTo(Outcome.REFRESHED);
    assertThat(logged.fault()).isEqualTo(kind);
    assertThat(logged.status()).isEqualTo(status);
    assertThat(server.stats().refreshEvents()).isEqualTo(1);
    // the rotation happened: presenting the old refresh token again is reuse
    assertThat(client.refresh(seeded.refreshToken()).statusCode()).isEqualTo(400);
    assertThat(server.stats().reuseDetections()).isEqualTo(1);
    assertThat(server.stats().familiesRevoked()).isEqualTo(1);
  }

  private void assertRefreshTimesOut() {
    assertThatThrownBy(() -> client.timeout(Duration.ofMillis(300)).refresh(seeded.refreshToken()))
        .isInstanceOf(HttpTimeoutException.class);
    client.timeout(Duration.ofSeconds(10));
  }

  @Test
  void status_answersThatStatusWithABody_withoutProcessing() throws IOException {
    server.enqueue(Fault.status(503));

    HttpResponse<String> response = client.refresh(seeded.refreshToken());

    assertThat(response.statusCode()).isEqualTo(503);
    assertThat(response.body()).isNotBlank();
    assertNotProcessed(Kind.STATUS, 503);
  }

  @Test
  void tooManyRequests_sendsRetryAfterInSeconds() throws IOException {
    server.enqueue(Fault.tooManyRequests(Duration.ofSeconds(2)));

    HttpResponse<String> response = client.refresh(seeded.refreshToken());

    assertThat(response.statusCode()).isEqualTo(429);
    assertThat(response.headers().firstValue("Retry-After")).hasValue("2");
    assertNotProcessed(Kind.TOO_MANY_REQUESTS, 429);
  }

  @Test
  void oauthError_answersAnRfc6749Error() throws IOException {
    server.enqueue(Fault.oauthError("temporarily_unavailable", 503));

    HttpResponse<String> response = client.refresh(seeded.refreshToken());

    assertThat(response.statusCode()).isEqualTo(503);
    assertThat(json(response).get("error").asText()).isEqualTo("temporarily_unavailable");
    assertThat(response.headers().firstValue("Cache-Control")).hasValue("no-store");
    assertNotProcessed(Kind.OAUTH_ERROR, 503);
  }

  @Test
  void delay_pastTheClientsTimeout_isNotProcessed() throws IOException {
    server.enqueue(Fault.delay(Duration.ofMillis(1500)));

    assertRefreshTimesOut();
    assertNotProcessed(Kind.DELAY, 504);
  }

  @Test
  void delay_withinTheClientsTimeout_answers504() throws IOException {
    server.enqueue(Fault.delay(Duration.ofMillis(100)));

    assertThat(client.refresh(seeded.refreshToken()).statusCode()).isEqualTo(504);
  }

  @Test
  void delayAfterProcessing_pastTheClientsTimeout_rotatesButTheAnswerIsLost() throws IOException {
    server.enqueue(Fault.delayAfterProcessing(Duration.ofMillis(1500)));

    assertRefreshTimesOut();
    assertProcessedThenSpoiled(Kind.DELAY_AFTER_PROCESSING, 200);
  }

  @Test
  void delayAfterProcessing_withinTheClientsTimeout_deliversTheRealAnswerLate() throws IOException {
    server.enqueue(Fault.delayAfterProcessing(Duration.ofMillis(200)));

    long started = System.nanoTime();
    HttpResponse<String> response = client.refresh(seeded.refreshToken());

    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(json(response).get("refresh_token").asText()).isNotEqualTo(seeded.refreshToken());
    assertThat(Duration.ofNanos(System.nanoTime() - started))
        .isGreaterThanOrEqualTo(Duration.ofMillis(200));
  }

  @Test
  void closeBeforeProcessing_clientSeesAnIoException() throws IOException {
    server.enqueue(Fault.closeBeforeProcessing());

    assertThatThrownBy(() -> client.refresh(seeded.refreshToken()))
        .isInstanceOf(IOException.class)
        .isNotInstanceOf(HttpTimeoutException.class);
    assertNotProcessed(Kind.CLOSE_BEFORE_PROCESSING, 0);
  }

  @Test
  void closeAfterProcessing_rotatesThenClientSeesAnIoException() throws IOException {
    server.enqueue(Fault.closeAfterProcessing());

    assertThatThrownBy(() -> client.refresh(seeded.refreshToken()))
        .isInstanceOf(IOException.class)
        .isNotInstanceOf(HttpTimeoutException.class);
    assertProcessedThenSpoiled(Kind.CLOSE_AFTER_PROCESSING, 0);
  }

  @Test
  void malformedJson_answers200WithBrokenJson_withoutProcessing() throws IOException {
    server.enqueue(Fault.malformedJson());

    HttpResponse<String> response = client.refresh(seeded.refreshToken());

    assertThat(response.statusCode()).isEqualTo(200);
    assertThatThrownBy(() -> json(response)).isInstanceOf(java.io.UncheckedIOException.class);
    assertNotProcessed(Kind.MALFORMED_JSON, 200);
  }

  @Test
  void malformedJsonAfterProcessing_rotatesThenAnswersBrokenJson() throws IOException {
    server.enqueue(Fault.malformedJsonAfterProcessing());

    HttpResponse<String> response = client.refresh(seeded.refreshToken());

    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.body()).doesNotContain(seeded.refreshToken());
    assertThatThrownBy(() -> json(response)).isInstanceOf(java.io.UncheckedIOException.class);
    assertProcessedThenSpoiled(Kind.MALFORMED_JSON_AFTER_PROCESSING, 200);
  }

  @Test
  void enqueue_appliesFaultsInOrderToTheNextRequests_thenFailAllUntilCleared() throws IOException {
    server.failAll(Fault.status(500));
    server.enqueue(Fault.status(503), Fault.tooManyRequests(Duration.ZERO));

    assertThat(client.refresh(seeded.refreshToken()).statusCode()).isEqualTo(503);
    assertThat(client.refresh(seeded.refreshToken()).statusCode()).isEqualTo(429);
    assertThat(client.refresh(seeded.refreshToken()).statusCode()).isEqualTo(500);
    assertThat(client.refresh(seeded.refreshToken()).statusCode()).isEqualTo(500);
    server.clearFaults();
    assertThat(client.refresh(seeded.refreshToken()).statusCode()).isEqualTo(200);
    assertThat(server.stats().faultsInjected()).isEqualTo(4);
    assertThat(server.stats().tokenRequests()).isEqualTo(5);
  }

  @Test
  void clearFaults_dropsQueuedFaults() throws IOException {
    server.enqueue(Fault.status(503));
    server.clearFaults();

    assertThat(client.refresh(seeded.refreshToken()).statusCode()).isEqualTo(200);
  }

  @Test
  void factories_validateAndDescribe() {
    assertThatThrownBy(() -> Fault.status(99)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> Fault.status(600)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> Fault.tooManyRequests(Duration.ofMillis(1500)))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> Fault.tooManyRequests(Duration.ofSeconds(-1)))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> Fault.oauthError(" ", 400))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> Fault.delay(Duration.ofMillis(-1)))
        .isInstanceOf(IllegalArgumentException.class);

    Fault error = Fault.oauthError("invalid_grant", 400);
    assertThat(error.kind()).isEqualTo(Kind.OAUTH_ERROR);
    assertThat(error.error()).isEqualTo("invalid_grant");
    assertThat(error.status()).isEqualTo(400);
    assertThat(error.processesRequest()).isFalse();
    assertThat(error.toString()).contains("OAUTH_ERROR", "invalid_grant", "400");
    Fault late = Fault.delayAfterProcessing(Duration.ofSeconds(2));
    assertThat(late.processesRequest()).isTrue();
    assertThat(late.duration()).isEqualTo(Duration.ofSeconds(2));
    assertThat(late.toString()).contains("PT2S");
    assertThat(Fault.closeAfterProcessing().processesRequest()).isTrue();
    assertThat(Fault.closeBeforeProcessing().processesRequest()).isFalse();
  }
}

package dev.tokenherd.examples;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tokenherd.coordinator.OAuth2Error;
import dev.tokenherd.coordinator.spi.TokenEndpoint;
import dev.tokenherd.coordinator.spi.TokenEndpointException;
import dev.tokenherd.coordinator.spi.TokenRequest;
import dev.tokenherd.coordinator.spi.TokenResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;

/**
 * The client-side count of token requests against the user's own server: each request sent once,
 * each outcome counted by kind and error code, the newest rotated refresh token kept, and nothing
 * sent once the run is saving its token. The wrapped endpoint is a scripted fake, not HTTP.
 */
final class CountingTokenEndpointTest {
  private static final Instant NOW = Instant.parse("2030-01-01T00:00:00Z");
  private static final Duration TIMEOUT = Duration.ofSeconds(5);

  private final TokenRequestTally tally = new TokenRequestTally("rt-0");
  private final List<CompletableFuture<TokenResponse>> answers = new ArrayList<>();
  private final List<TokenRequest> received = new ArrayList<>();
  private final TokenEndpoint scripted =
      request -> {
        received.add(request);
        CompletableFuture<TokenResponse> answer = new CompletableFuture<>();
        answers.add(answer);
        return answer;
      };
  private final CountingTokenEndpoint endpoint = new CountingTokenEndpoint(scripted, tally);

  @Test
  void answers_rotateTheRefreshToken_andAreCountedBeforeTheCallerSeesThem() {
    CompletionStage<TokenResponse> first = endpoint.requestToken(refresh("rt-0"));
    assertThat(tally.snapshot().sent()).isEqualTo(1);

    String[] seenByCaller = new String[1];
    var unused = first.thenAccept(response -> seenByCaller[0] = tally.currentRefreshToken());
    answers.get(0).complete(response("rt-1", Duration.ofMinutes(5)));

    assertThat(seenByCaller[0]).isEqualTo("rt-1");
    assertThat(tally.rotated()).isTrue();
    TokenRequestTally.Snapshot counts = tally.snapshot();
    assertThat(counts.answered()).isEqualTo(1);
    assertThat(counts.rotations()).isEqualTo(1);
    assertThat(counts.lifetime()).isEqualTo(Duration.ofMinutes(5));
    assertThat(counts.failed()).isZero();
  }

  @Test
  void anAnswerWithoutARefreshToken_keepsTheOne_presented() {
    var unused = endpoint.requestToken(refresh("rt-0"));
    answers.get(0).complete(response(null, Duration.ofSeconds(60)));

    assertThat(tally.rotated()).isFalse();
    assertThat(tally.currentRefreshToken()).isEqualTo("rt-0");
    assertThat(tally.snapshot().rotations()).isZero();
  }

  @Test
  void failures_areCountedByKindAndErrorCode_withTheFirstMessage() {
    var first = endpoint.requestToken(refresh("rt-0"));
    var second = endpoint.requestToken(refresh("rt-0"));
    var third = endpoint.requestToken(refresh("rt-0"));
    answers.get(0).completeExceptionally(permanent("invalid_grant"));
    // wrapped as the JDK's client may hand it over
    answers.get(1).completeExceptionally(new CompletionException(permanent("invalid_client")));
    answers.get(2).completeExceptionally(new IllegalStateException("bug " + "rt-0"));

    TokenRequestTally.Snapshot counts = tally.snapshot();
    assertThat(counts.sent()).isEqualTo(3);
    assertThat(counts.permanentFailures()).isEqualTo(2);
    assertThat(counts.otherFailures()).isEqualTo(1);
    assertThat(counts.failed()).isEqualTo(3);
    assertThat(counts.received("invalid_grant")).isTrue();
    assertThat(counts.received("invalid_client")).isTrue();
    assertThat(counts.firstFailures().get("PERMANENT")).contains("[invalid_grant]");
    // a foreign exception's message could hold anything: only its class is kept
    assertThat(counts.firstFailures().get(TokenRequestTally.OTHER))
        .isEqualTo(IllegalStateException.class.getName());
    assertThat(first.toCompletableFuture()).isCompletedExceptionally();
    assertThat(second.toCompletableFuture()).isCompletedExceptionally();
    assertThat(third.toCompletableFuture()).isCompletedExceptionally();
  }

  @Test
  void closed_sendsNothing_andAwaitsTheRequestInFlight() throws Exception {
    var inFlight = endpoint.requestToken(refresh("rt-0"));
    tally.close();

    var refused = endpoint.requestToken(refresh("rt-0")).toCompletableFuture();

    assertThat(received).hasSize(1);
    assertThat(refused).isCompletedExceptionally();
    assertThat(tally.snapshot().refused()).isEqualTo(1);
    assertThat(tally.awaitIdle(Duration.ofMillis(1))).isFalse();
    answers.get(0).complete(response("rt-1", Duration.ofMinutes(1)));
    assertThat(tally.awaitIdle(Duration.ZERO)).isTrue();
    assertThat(inFlight.toCompletableFuture()).isCompleted();
  }

  @Test
  void aThrowingEndpoint_isAFailedRequest() {
    CountingTokenEndpoint throwing =
        new CountingTokenEndpoint(
            request -> {
              throw new IllegalArgumentException("bad");
            },
            tally);

    assertThat(throwing.requestToken(refresh("rt-0")).toCompletableFuture())
        .isCompletedExceptionally();
    assertThat(tally.snapshot().otherFailures()).isEqualTo(1);
    assertThat(throwing.toString()).startsWith("CountingTokenEndpoint[");
  }

  private static TokenRequest refresh(String token) {
    return TokenRequest.refresh(token, Set.of(), TIMEOUT);
  }

  private static TokenResponse response(@Nullable String refreshToken, Duration lifetime) {
    return new TokenResponse("at", "Bearer", refreshToken, null, NOW, NOW.plus(lifetime));
  }

  private static TokenEndpointException permanent(String code) {
    return TokenEndpointException.builder()
        .kind(TokenEndpointException.Kind.PERMANENT)
        .message("refused")
        .httpStatus(400)
        .error(new OAuth2Error(code, null, null))
        .build();
  }
}

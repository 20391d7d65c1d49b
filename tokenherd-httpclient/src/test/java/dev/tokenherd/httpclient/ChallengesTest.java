package dev.tokenherd.httpclient;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Which {@code WWW-Authenticate} values blame a bearer token (RFC 9110 sec. 11.6.1, 6750 sec. 3).
 */
final class ChallengesTest {

  @ParameterizedTest
  @ValueSource(
      strings = {
        "",
        "Bearer",
        "bearer",
        "Bearer realm=\"api\"",
        "Bearer error=\"invalid_token\"",
        "Bearer realm=\"a, b\", error=\"invalid_token\", error_description=\"expired\"",
        "Bearer error = invalid_token",
        "Basic realm=\"api\", Bearer error=\"invalid_token\"",
        "Bearer realm=\"say \\\"hi\\\", error=insufficient_scope\"",
        "Negotiate abc==, Bearer",
        ",, Bearer ,"
      })
  void blamesTheToken(String header) {
    assertThat(Challenges.blameToken(header.isEmpty() ? List.of() : List.of(header), "Bearer"))
        .isTrue();
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "Basic realm=\"api\"",
        "Negotiate",
        "Negotiate abc==",
        "Bearer error=\"insufficient_scope\", scope=\"admin\"",
        "Bearer realm=\"a, b\", ERROR=invalid_request",
        "Basic realm=\"Bearer\""
      })
  void doesNotBlameTheToken(String header) {
    assertThat(Challenges.blameToken(List.of(header), "Bearer")).isFalse();
  }

  @Test
  void readsEveryHeaderValue_andTheTokensOwnType() {
    assertThat(Challenges.blameToken(List.of("Basic realm=\"x\"", "Bearer"), "Bearer")).isTrue();
    assertThat(Challenges.blameToken(List.of("DPoP algs=\"ES256\""), "DPoP")).isTrue();
    assertThat(Challenges.blameToken(List.of("Bearer"), "DPoP")).isFalse();
  }
}

package dev.tokenherd.coordinator.oauth2;

import static dev.tokenherd.coordinator.oauth2.Futures.endpointFailure;
import static dev.tokenherd.coordinator.oauth2.TokenServer.ACCESS_TOKEN;
import static dev.tokenherd.coordinator.oauth2.TokenServer.CLIENT_SECRET;
import static dev.tokenherd.coordinator.oauth2.TokenServer.REFRESH_TOKEN;
import static dev.tokenherd.coordinator.oauth2.TokenServer.json;
import static org.assertj.core.api.Assertions.assertThat;

import dev.tokenherd.coordinator.OAuth2Error;
import dev.tokenherd.coordinator.Redaction;
import dev.tokenherd.coordinator.spi.TokenEndpointException;
import dev.tokenherd.coordinator.spi.TokenEndpointException.Kind;
import dev.tokenherd.coordinator.spi.TokenRequest;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import mockwebserver3.MockResponse;
import mockwebserver3.SocketEffect;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** No client secret, refresh token or access token in toString, messages or stack traces. */
final class SecretRedactionTest {
  private static final List<String> SECRETS = List.of(CLIENT_SECRET, REFRESH_TOKEN, ACCESS_TOKEN);

  private final TokenServer server;

  SecretRedactionTest() throws Exception {
    server = new TokenServer();
  }

  @AfterEach
  void stop() {
    server.close();
  }

  @Test
  void toString_showsEndpointAndClientButOnlyAFingerprintOfTheSecret() {
    OAuth2TokenEndpoint endpoint =
        server
            .endpoint()
            .tokenUri(server.uri("/oauth2/token?tenant=" + CLIENT_SECRET))
            .additionalParameters(Map.of("audience", CLIENT_SECRET))
            .build();

    String text = endpoint.toString();

    assertThat(text)
        .contains("/oauth2/token")
        .contains(TokenServer.CLIENT_ID)
        .contains("client_secret_basic")
        .contains(Redaction.fingerprint(CLIENT_SECRET))
        .contains("audience")
        .doesNotContain(CLIENT_SECRET);
  }

  @Test
  void errorPaths_neverRevealASecret() throws Exception {
    OAuth2TokenEndpoint endpoint = server.endpoint().build();
    OAuth2TokenEndpoint postEndpoint =
        server.endpoint().clientAuthentication(ClientAuthentication.CLIENT_SECRET_POST).build();
    // Servers that echo what they received, in every place a careless client might copy it from.
    String echo =
        "{\"error\":\"invalid_grant\",\"error_description\":\"refresh token "
            + REFRESH_TOKEN
            + " from client secret "
            + CLIENT_SECRET
            + " is revoked\",\"error_uri\":\"https://idp.example/?t="
            + ACCESS_TOKEN
            + "\"}";
    server.enqueue(json(400, echo));
    server.enqueue(json(401, echo.replace("invalid_grant", "invalid_client")));
    server.enqueue(json(503, echo.replace("invalid_grant", "temporarily_unavailable")));
    server.enqueue(json(400, "{\"error\":\"" + REFRESH_TOKEN + " is bad\"}"));
    server.enqueue(
        json(
            200,
            "{\"access_token\":\""
                + ACCESS_TOKEN
                + "\",\"refresh_token\":\""
                + REFRESH_TOKEN
                + "\"}"));
    server.enqueue(
        json(
            200,
            "{\"access_token\":\""
                + ACCESS_TOKEN
                + "\",\"token_type\":\"Bearer\",\"expires_in\":\""
                + REFRESH_TOKEN
                + "\"}"));
    server.enqueue(json(200, "not json " + ACCESS_TOKEN + " " + REFRESH_TOKEN));
    server.enqueue(
        json(
            200,
            "{\"access_token\":\"" + ACCESS_TOKEN + "\",\"pad\":\"" + "x".repeat(70_000) + "\"}"));
    server.enqueue(
        new MockResponse.Builder().onResponseStart(new SocketEffect.CloseSocket()).build());
    server.enqueue(json(302, echo));

    List<TokenEndpointException> failures = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      OAuth2TokenEndpoint target = i % 2 == 0 ? endpoint : postEndpoint;
      failures.add(
          endpointFailure(
              target.requestToken(
                  TokenRequest.refresh(REFRESH_TOKEN, Set.of(), Duration.ofSeconds(5)))));
    }

    assertThat(failures).hasSize(10);
    for (TokenEndpointException failure : failures) {
      StringWriter trace = new StringWriter();
      failure.printStackTrace(new PrintWriter(trace));
      for (String secret : SECRETS) {
        assertThat(trace.toString()).as("stack trace of %s", failure.kind()).doesNotContain(secret);
      }
      OAuth2Error error = failure.error();
      if (error != null) {
        // Callers may log the description; the request's own secrets are fingerprinted in it.
        assertThat(error.description()).doesNotContain(REFRESH_TOKEN).doesNotContain(CLIENT_SECRET);
        assertThat(error.description()).contains(Redaction.fingerprint(REFRESH_TOKEN));
      }
    }
    assertThat(failures)
        .extracting(TokenEndpointException::kind)
        .containsExactly(
            Kind.PERMANENT,
            Kind.PERMANENT,
            Kind.TRANSIENT,
            Kind.PERMANENT,
            Kind.INVALID_RESPONSE,
            Kind.INVALID_RESPONSE,
            Kind.INVALID_RESPONSE,
            Kind.INVALID_RESPONSE,
            Kind.AMBIGUOUS,
            Kind.PERMANENT);
  }

  @Test
  void scopeValidationFailure_doesNotRevealTheRequest() {
    OAuth2TokenEndpoint endpoint = server.endpoint().build();

    TokenEndpointException failure =
        endpointFailure(
            endpoint.requestToken(
                TokenRequest.refresh(REFRESH_TOKEN, Set.of("bad scope"), Duration.ofSeconds(5))));

    assertThat(failure.getMessage()).doesNotContain(REFRESH_TOKEN).doesNotContain("bad scope");
  }
}

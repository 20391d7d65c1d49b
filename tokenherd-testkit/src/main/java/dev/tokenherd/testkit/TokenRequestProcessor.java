package dev.tokenherd.testkit;

import com.sun.net.httpserver.HttpExchange;
import dev.tokenherd.testkit.RecordedTokenRequest.Outcome;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * Processes one token request as RFC 6749 says: checks the form, authenticates the client, applies
 * the refresh_token or client_credentials grant to the {@link TokenLedger}, and words the answer
 * (sec. 5.1 tokens or a sec. 5.2 error). Faults, latency and the request log are the {@link
 * TokenRequestHandler}'s; this class only decides what a request that reached it gets.
 */
final class TokenRequestProcessor {
  private static final String FORM_TYPE = "application/x-www-form-urlencoded";

  private final TokenLedger ledger;
  private final ClientAuthenticator client;
  private final RotationMode mode;
  private final Duration accessTokenTtl;
  private final boolean issueClientCredentials;

  TokenRequestProcessor(
      TokenLedger ledger,
      ClientAuthenticator client,
      RotationMode mode,
      Duration accessTokenTtl,
      boolean issueClientCredentials) {
    this.ledger = ledger;
    this.client = client;
    this.mode = mode;
    this.accessTokenTtl = accessTokenTtl;
    this.issueClientCredentials = issueClientCredentials;
  }

  /** Returns the answer to a token request, with the outcome it is counted and logged as. */
  Reply process(HttpExchange exchange, Form form) {
    String contentType = exchange.getRequestHeaders().getFirst("Content-Type");
    if (contentType == null
        || !contentType.toLowerCase(Locale.ROOT).startsWith(FORM_TYPE)
        || !form.valid()) {
      return Reply.error(
          400, "invalid_request", "expected a " + FORM_TYPE + " body", Outcome.INVALID_REQUEST);
    }
    String duplicate = form.duplicate();
    if (duplicate != null) {
      return Reply.error(
          400, "invalid_request", "parameter repeated: " + duplicate, Outcome.INVALID_REQUEST);
    }
    Reply rejected = client.authenticate(exchange, form);
    if (rejected != null) {
      return rejected;
    }
    String grantType = form.first("grant_type");
    if (grantType == null) {
      return Reply.error(400, "invalid_request", "grant_type is missing", Outcome.INVALID_REQUEST);
    }
    switch (grantType) {
      case "refresh_token" -> {
        return refreshTokenGrant(form);
      }
      case "client_credentials" -> {
        return clientCredentialsGrant(form);
      }
      default -> {
        return Reply.error(
            400,
            "unsupported_grant_type",
            "grant_type is not supported",
            Outcome.UNSUPPORTED_GRANT_TYPE);
      }
    }
  }

  private Reply refreshTokenGrant(Form form) {
    String refreshToken = form.first("refresh_token");
    if (refreshToken == null || refreshToken.isEmpty()) {
      return Reply.error(
          400, "invalid_request", "refresh_token is missing", Outcome.INVALID_REQUEST);
    }
    TokenLedger.Result result = ledger.refresh(refreshToken);
    TokenGrant issued = result.grant();
    if (issued == null) {
      return Reply.error(400, "invalid_grant", "the refresh token is invalid", result.outcome());
    }
    boolean omit = mode == RotationMode.OMIT_REFRESH_TOKEN;
    return Reply.json(
        200, tokenResponse(issued, omit ? null : issued.refreshToken(), !omit), result.outcome());
  }

  private Reply clientCredentialsGrant(Form form) {
    if (!issueClientCredentials) {
      return Reply.error(
          400,
          "unauthorized_client",
          "client_credentials is not enabled",
          Outcome.UNAUTHORIZED_CLIENT);
    }
    TokenGrant issued = ledger.issue(form.firstOr("scope", ""), /* withRefreshToken= */ false);
    return Reply.json(200, tokenResponse(issued, null, true), Outcome.CLIENT_CREDENTIALS_ISSUED);
  }

  /** The RFC 6749 sec. 5.1 body. */
  private Map<String, Object> tokenResponse(
      TokenGrant issued, @Nullable String refreshToken, boolean withScope) {
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("access_token", issued.accessToken());
    body.put("token_type", "Bearer");
    body.put("expires_in", accessTokenTtl.toSeconds());
    if (refreshToken != null) {
      body.put("refresh_token", refreshToken);
    }
    if (withScope && !issued.scope().isEmpty()) {
      body.put("scope", issued.scope());
    }
    return body;
  }
}

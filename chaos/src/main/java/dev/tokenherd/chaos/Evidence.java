package dev.tokenherd.chaos;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tokenherd.testkit.IssuedAccessToken;
import dev.tokenherd.testkit.RecordedTokenRequest;
import java.time.Instant;

/**
 * Words the lines a {@link Violation} shows as its evidence: a worker's event as it was logged, and
 * the server's records as JSON lines of the same shape ({@code t} in epoch microseconds), so that
 * evidence from both sides reads alike. Tokens appear only as fingerprints.
 */
final class Evidence {
  private static final ObjectMapper JSON = new ObjectMapper();

  private Evidence() {}

  /** A worker or harness event, as logged. */
  static String line(JsonNode event) {
    return event.toString();
  }

  /** A token request from the server's log. */
  static String request(RecordedTokenRequest request) {
    ObjectNode node = JSON.createObjectNode();
    node.put("server", "request");
    node.put("t", EventLog.micros(request.receivedAt()));
    node.put("rtFp", request.refreshTokenFingerprint());
    node.put("outcome", request.outcome().name());
    node.put("status", request.status());
    if (request.fault() != null) {
      node.put("fault", String.valueOf(request.fault()));
    }
    return node.toString();
  }

  /** An access token from the server's ledger. */
  static String issued(IssuedAccessToken token) {
    ObjectNode node = JSON.createObjectNode();
    node.put("server", "accessToken");
    node.put("atFp", token.fingerprint());
    node.put("issuedAt", EventLog.micros(token.issuedAt()));
    node.put("expiresAt", EventLog.micros(token.expiresAt()));
    Instant revokedAt = token.revokedAt();
    if (revokedAt != null) {
      node.put("revokedAt", EventLog.micros(revokedAt));
    }
    return node.toString();
  }
}

package dev.tokenherd.chaos;

import static dev.tokenherd.chaos.Evidence.line;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tokenherd.testkit.IssuedAccessToken;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Judges I4 for the {@link InvariantChecker}: no worker served an access token at or past its
 * expiry by the authorization server's own ledger, judged at the serve time the worker logged; a
 * token the server never issued is a violation too. Serves after a revocation are counted only.
 */
final class ServeCheck {
  private ServeCheck() {}

  /** Adds the I4 violations to {@code violations} and the serve figures to {@code figures}. */
  static void check(
      List<JsonNode> events,
      List<IssuedAccessToken> accessTokens,
      List<Violation> violations,
      Map<String, Object> figures) {
    Map<String, IssuedAccessToken> issued = new HashMap<>();
    accessTokens.forEach(token -> issued.put(token.fingerprint(), token));
    List<JsonNode> serves =
        events.stream()
            .filter(
                e ->
                    e.get("type").asText().equals("served")
                        || e.get("type").asText().equals("served_last"))
            .toList();
    List<String> unknown = new ArrayList<>();
    Map<String, List<String>> expired = new LinkedHashMap<>();
    long afterRevocation = 0;
    long closest = Long.MAX_VALUE;
    for (JsonNode serve : serves) {
      String fp = serve.get("atFp").asText();
      long at = serve.get("servedAt").asLong();
      IssuedAccessToken token = issued.get(fp);
      if (token == null) {
        unknown.add(line(serve));
        continue;
      }
      long expiresAt = EventLog.micros(token.expiresAt());
      closest = Math.min(closest, expiresAt - at);
      if (at >= expiresAt) {
        expired
            .computeIfAbsent(fp, k -> new ArrayList<>(List.of(Evidence.issued(token))))
            .add(line(serve));
      } else if (token.revokedAt() != null && at >= EventLog.micros(token.revokedAt())) {
        afterRevocation++;
      }
    }
    figures.put("servesLogged", serves.size());
    figures.put(
        "tokensServed", serves.stream().map(e -> e.get("atFp").asText()).distinct().count());
    figures.put("servedAfterRevocation", afterRevocation);
    if (closest != Long.MAX_VALUE) {
      figures.put("closestServeToExpiryMillis", closest / 1000.0);
    }
    if (!unknown.isEmpty()) {
      violations.add(new Violation("I4", "served access tokens the server never issued", unknown));
    }
    expired.forEach(
        (fp, evidence) ->
            violations.add(
                new Violation(
                    "I4",
                    "access token " + fp + " served at or past its expiry by the server's ledger",
                    evidence)));
  }
}

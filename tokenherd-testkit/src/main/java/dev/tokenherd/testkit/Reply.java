package dev.tokenherd.testkit;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import dev.tokenherd.testkit.RecordedTokenRequest.Outcome;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * An answer of the {@link FakeAuthorizationServer}, and what the server did to produce it (the
 * outcome a token request is logged and counted with).
 */
record Reply(int status, Map<String, String> headers, String body, Outcome outcome) {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String JSON_TYPE = "application/json;charset=UTF-8";
  private static final String MALFORMED_BODY = "{\"access_token\":\"";

  static Reply json(int status, Map<String, Object> body) {
    return json(status, body, Outcome.NOT_PROCESSED);
  }

  static Reply json(int status, Map<String, Object> body, Outcome outcome) {
    try {
      return new Reply(
          status, Map.of("Content-Type", JSON_TYPE), JSON.writeValueAsString(body), outcome);
    } catch (JsonProcessingException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** An RFC 6749 sec. 5.2 error answer. */
  static Reply error(int status, String error, String description, Outcome outcome) {
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("error", error);
    body.put("error_description", description);
    return json(status, body, outcome);
  }

  static Reply text(int status, String text) {
    return new Reply(
        status, Map.of("Content-Type", "text/plain;charset=UTF-8"), text, Outcome.NOT_PROCESSED);
  }

  /** A 200 JSON answer cut off in its first string, for the malformed-JSON faults. */
  static Reply malformed() {
    return new Reply(200, Map.of("Content-Type", JSON_TYPE), MALFORMED_BODY, Outcome.NOT_PROCESSED);
  }

  /** This JSON answer with its {@code expires_in} replaced by {@code json}, or left out. */
  Reply withExpiresIn(@Nullable String json) {
    try {
      ObjectNode node = (ObjectNode) JSON.readTree(body);
      if (json == null) {
        node.remove("expires_in");
      } else {
        node.set("expires_in", JSON.readTree(json));
      }
      return new Reply(status, headers, JSON.writeValueAsString(node), outcome);
    } catch (JsonProcessingException e) {
      throw new UncheckedIOException(e);
    }
  }

  Reply withHeader(String name, String value) {
    Map<String, String> more = new HashMap<>(headers);
    more.put(name, value);
    return new Reply(status, Map.copyOf(more), body, outcome);
  }

  /** Sends this answer on {@code exchange}, never to be cached (RFC 6749 sec. 5.1). */
  void sendTo(HttpExchange exchange) throws IOException {
    headers.forEach((name, value) -> exchange.getResponseHeaders().set(name, value));
    exchange.getResponseHeaders().set("Cache-Control", "no-store");
    exchange.getResponseHeaders().set("Pragma", "no-cache");
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    exchange.sendResponseHeaders(status, bytes.length == 0 ? -1 : bytes.length);
    if (bytes.length > 0) {
      exchange.getResponseBody().write(bytes);
    }
  }
}

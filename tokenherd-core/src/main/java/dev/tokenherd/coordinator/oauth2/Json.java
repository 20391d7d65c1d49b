package dev.tokenherd.coordinator.oauth2;

import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import org.jspecify.annotations.Nullable;

/** Strict JSON parsing of the small documents a token or metadata endpoint returns. */
final class Json {
  /**
   * Duplicate member names are rejected: with two {@code access_token} members, which one the
   * server meant is anyone's guess. Trailing content is rejected because a body that is "JSON and
   * then something" was not produced by a working server. Floats become {@code BigDecimal} so that
   * an absurd {@code expires_in} such as {@code 1e400} stays a number instead of infinity.
   */
  private static final ObjectReader READER =
      JsonMapper.builder()
          .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
          .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
          .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
          .build()
          .readerFor(JsonNode.class);

  private Json() {}

  /**
   * Parses a JSON object.
   *
   * @param body the UTF-8 (or UTF-16/32, auto-detected) document
   * @return the object, or {@code null} if the body is not exactly one JSON object
   */
  static @Nullable ObjectNode parseObject(byte[] body) {
    try {
      JsonNode node = READER.readValue(body);
      return node instanceof ObjectNode object ? object : null;
    } catch (IOException e) {
      // Malformed JSON (JacksonException); reading a byte array performs no real I/O.
      return null;
    }
  }

  /**
   * Returns a member that must be a string if present.
   *
   * @return the string, or {@code null} if the member is absent or JSON {@code null}
   * @throws WrongTypeException if the member is present with another type
   */
  static @Nullable String optionalString(ObjectNode object, String name) {
    JsonNode node = object.get(name);
    if (node == null || node.isNull()) {
      return null;
    }
    if (!node.isTextual()) {
      throw new WrongTypeException(name, "a string");
    }
    return node.textValue();
  }

  /** A member has the wrong JSON type. The message names the member, never its value. */
  static final class WrongTypeException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final String problem;

    WrongTypeException(String member, String expected) {
      super(member + " is not " + expected, null, /* enableSuppression= */ false, false);
      this.problem = member + " is not " + expected;
    }

    /** Returns the message, which never contains a value. */
    String problem() {
      return problem;
    }
  }
}

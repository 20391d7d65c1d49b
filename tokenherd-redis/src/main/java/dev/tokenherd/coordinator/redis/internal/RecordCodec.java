package dev.tokenherd.coordinator.redis.internal;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tokenherd.coordinator.ReauthenticationReason;
import dev.tokenherd.coordinator.TokenKey;
import dev.tokenherd.coordinator.TokenSet;
import dev.tokenherd.coordinator.UnreadableRecordException;
import dev.tokenherd.coordinator.UnreadableRecordException.Problem;
import dev.tokenherd.coordinator.spi.RefreshMark;
import dev.tokenherd.coordinator.spi.TokenRecord;
import dev.tokenherd.coordinator.spi.TokenStatus;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.jspecify.annotations.Nullable;

/**
 * Turns a {@link TokenRecord} into the fields of its Redis hash and back.
 *
 * <p>Every field but {@value #SECRET} is in clear, so that the write script can compare schema,
 * version and fence without a key: {@value #SCHEMA}, {@value #VERSION}, {@value #FENCE} (decimal),
 * {@value #STATUS} (the enum name), {@value #EXPIRES_AT} (epoch millis of the access token's
 * expiry, for operators; informational), {@value #WRITER}, {@value #WRITTEN_AT} (ISO-8601, so the
 * instant survives to the nanosecond), {@value #REAUTH_REASON}, {@value #ERROR_CODE} and {@value
 * #MARK} (compact JSON; its "presented" part is a fingerprint, never a token), {@value #GENERATION}
 * (absent for records written before generations). {@value #SECRET} holds the token set as JSON,
 * sealed by a {@link SecretCipher} when one is configured. Optional fields that are absent are
 * absent from the hash. Two more fields belong to the write script, not to this codec: {@code
 * mark_id} and {@code mark_until} (the server's epoch milliseconds until which the mark holds off
 * other marks), present exactly when {@value #MARK} is.
 *
 * <p>Decoding is strict: anything missing or malformed is {@link Problem#CORRUPT}, a schema newer
 * than {@link TokenRecord#CURRENT_SCHEMA} is {@link Problem#SCHEMA_TOO_NEW}, and a secret that
 * cannot be opened is {@link Problem#UNDECRYPTABLE}. No message carries a secret.
 */
public final class RecordCodec {
  public static final String SCHEMA = "schema";
  public static final String VERSION = "version";
  public static final String FENCE = "fence";
  public static final String STATUS = "status";
  public static final String EXPIRES_AT = "expires_at";
  public static final String WRITER = "writer";
  public static final String WRITTEN_AT = "written_at";
  public static final String REAUTH_REASON = "reauth_reason";
  public static final String ERROR_CODE = "error_code";
  public static final String MARK = "mark";
  public static final String GENERATION = "generation";
  public static final String SECRET = "secret";

  /** Every field this codec writes, in a stable order. */
  public static final List<String> FIELDS =
      List.of(
          SCHEMA,
          VERSION,
          FENCE,
          STATUS,
          EXPIRES_AT,
          WRITER,
          WRITTEN_AT,
          REAUTH_REASON,
          ERROR_CODE,
          MARK,
          GENERATION,
          SECRET);

  private static final ObjectMapper JSON = new ObjectMapper();

  private final @Nullable SecretCipher cipher;

  /**
   * Creates a codec.
   *
   * @param cipher seals the secret field; {@code null} stores it as plain JSON
   */
  public RecordCodec(@Nullable SecretCipher cipher) {
    this.cipher = cipher;
  }

  /** Returns whether secrets are sealed. */
  public boolean encrypts() {
    return cipher != null;
  }

  /**
   * Returns the hash fields of {@code record}; optional fields that are absent are left out.
   *
   * @param record the record
   * @param associatedData binds a sealed secret to its credential
   * @return the fields, in {@link #FIELDS} order
   */
  public Map<String, String> encode(TokenRecord record, String associatedData) {
    Map<String, String> fields = new LinkedHashMap<>();
    fields.put(SCHEMA, Integer.toString(record.schemaVersion()));
    fields.put(VERSION, Long.toString(record.version()));
    fields.put(FENCE, Long.toString(record.fence()));
    fields.put(STATUS, record.status().name());
    TokenSet tokens = record.tokens();
    if (tokens != null) {
      fields.put(EXPIRES_AT, Long.toString(tokens.expiresAt().toEpochMilli()));
    }
    fields.put(WRITER, record.writer());
    fields.put(WRITTEN_AT, record.writtenAt().toString());
    ReauthenticationReason reason = record.reauthReason();
    if (reason != null) {
      fields.put(REAUTH_REASON, reason.name());
    }
    String errorCode = record.errorCode();
    if (errorCode != null) {
      fields.put(ERROR_CODE, errorCode);
    }
    RefreshMark mark = record.refreshing();
    if (mark != null) {
      fields.put(MARK, encodeMark(mark));
    }
    if (!record.generation().isEmpty()) {
      fields.put(GENERATION, record.generation());
    }
    if (tokens != null) {
      String json = encodeTokens(tokens);
      fields.put(SECRET, cipher == null ? json : cipher.seal(json, associatedData));
    }
    return fields;
  }

  /**
   * Reads a record from its hash fields.
   *
   * @param key the credential, for error messages
   * @param fields the hash; not empty
   * @param associatedData what a sealed secret must be bound to
   * @return the record
   * @throws UnreadableRecordException if the record cannot be read; it names fields, never values
   */
  public TokenRecord decode(TokenKey key, Map<String, String> fields, String associatedData) {
    return decode(key, fields, associatedData, /* allowNewerSchema= */ false);
  }

  /**
   * Reads a record of any schema as far as this version understands it, for reporting what a write
   * lost to; returns {@code null} if that fails.
   */
  public @Nullable TokenRecord decodeLeniently(
      TokenKey key, Map<String, String> fields, String associatedData) {
    try {
      return decode(key, fields, associatedData, /* allowNewerSchema= */ true);
    } catch (UnreadableRecordException e) {
      return null;
    }
  }

  private TokenRecord decode(
      TokenKey key, Map<String, String> fields, String associatedData, boolean allowNewerSchema) {
    Reader r = new Reader(key, fields);
    int schema = r.schema();
    if (schema > TokenRecord.CURRENT_SCHEMA && !allowNewerSchema) {
      throw new UnreadableRecordException(
          key,
          Problem.SCHEMA_TOO_NEW,
          "schema " + schema + " is newer than " + TokenRecord.CURRENT_SCHEMA,
          null);
    }
    long version = r.number(VERSION);
    long fence = r.number(FENCE);
    TokenStatus status = r.enumValue(STATUS, TokenStatus.class, r.required(STATUS));
    String reasonName = fields.get(REAUTH_REASON);
    ReauthenticationReason reason =
        reasonName == null
            ? null
            : r.enumValue(REAUTH_REASON, ReauthenticationReason.class, reasonName);
    String writer = r.required(WRITER);
    Instant writtenAt = r.instant(WRITTEN_AT, r.required(WRITTEN_AT));
    String errorCode = fields.get(ERROR_CODE);
    String markJson = fields.get(MARK);
    RefreshMark mark = markJson == null ? null : decodeMark(r, markJson);
    String secret = fields.get(SECRET);
    TokenSet tokens = secret == null ? null : decodeTokens(r, open(key, secret, associatedData));
    try {
      return TokenRecord.builder()
          .schemaVersion(schema)
          .version(version)
          .fence(fence)
          .status(status)
          .tokens(tokens)
          .refreshing(mark)
          .reauthReason(reason)
          .errorCode(errorCode)
          .writer(writer)
          .writtenAt(writtenAt)
          .generation(fields.getOrDefault(GENERATION, ""))
          .build();
    } catch (IllegalArgumentException e) {
      throw r.corrupt("the fields contradict each other: " + e.getMessage());
    }
  }

  private String open(TokenKey key, String secret, String associatedData) {
    if (secret.startsWith("{")) {
      // Plain JSON: written without a key ring. Readable with one too, and the next write
      // seals it: the migration path from plaintext to encrypted records.
      return secret;
    }
    if (!SecretCipher.looksSealed(secret)) {
      throw new UnreadableRecordException(
          key, Problem.CORRUPT, "field '" + SECRET + "' is neither JSON nor sealed", null);
    }
    if (cipher == null) {
      throw new UnreadableRecordException(
          key,
          Problem.UNDECRYPTABLE,
          "the secret is encrypted but no key ring is configured",
          null);
    }
    try {
      return cipher.open(secret, associatedData);
    } catch (SecretCipher.UnopenableException e) {
      throw new UnreadableRecordException(
          key, Problem.UNDECRYPTABLE, String.valueOf(e.getMessage()), e);
    }
  }

  private static String encodeTokens(TokenSet tokens) {
    ObjectNode node = JSON.createObjectNode();
    node.put("access_token", tokens.accessToken());
    node.put("token_type", tokens.tokenType());
    if (tokens.refreshToken() != null) {
      node.put("refresh_token", tokens.refreshToken());
    }
    ArrayNode scopes = node.putArray("scope");
    new TreeSet<>(tokens.scopes()).forEach(scopes::add);
    node.put("issued_at", tokens.issuedAt().toString());
    node.put("expires_at", tokens.expiresAt().toString());
    return node.toString();
  }

  private static TokenSet decodeTokens(Reader r, String json) {
    JsonNode node = r.json(SECRET, json);
    Set<String> scopes = new LinkedHashSet<>();
    JsonNode scopeNode = node.path("scope");
    if (!scopeNode.isArray()) {
      throw r.corrupt("field '" + SECRET + "' has no scope list");
    }
    for (JsonNode scope : scopeNode) {
      if (!scope.isTextual()) {
        throw r.corrupt("field '" + SECRET + "' has a scope that is not text");
      }
      scopes.add(scope.asText());
    }
    try {
      return new TokenSet(
          r.text(SECRET, node, "access_token"),
          r.text(SECRET, node, "token_type"),
          r.optionalText(SECRET, node, "refresh_token"),
          scopes,
          r.instant(SECRET, r.text(SECRET, node, "issued_at")),
          r.instant(SECRET, r.text(SECRET, node, "expires_at")));
    } catch (IllegalArgumentException e) {
      // TokenSet's messages name which component is wrong, never a token's value.
      throw r.corrupt("field '" + SECRET + "' holds an invalid token set: " + e.getMessage());
    }
  }

  private static String encodeMark(RefreshMark mark) {
    ObjectNode node = JSON.createObjectNode();
    node.put("fence", mark.fence());
    node.put("holder", mark.holder());
    node.put("started_at", mark.startedAt().toString());
    node.put("presented", mark.presented());
    node.put("id", mark.id());
    node.put("window_ms", mark.window().toMillis());
    return node.toString();
  }

  private static RefreshMark decodeMark(Reader r, String json) {
    JsonNode node = r.json(MARK, json);
    JsonNode fence = node.path("fence");
    if (!fence.canConvertToExactIntegral() || !fence.canConvertToLong()) {
      throw r.corrupt("field '" + MARK + "' has no integral fence");
    }
    String holder = r.text(MARK, node, "holder");
    Instant startedAt = r.instant(MARK, r.text(MARK, node, "started_at"));
    String presented = r.text(MARK, node, "presented");
    if (!node.has("id")) {
      // Written before marks had ids: a settled mark, as its writer never timed it
      return new RefreshMark(fence.asLong(), holder, startedAt, presented);
    }
    JsonNode window = node.path("window_ms");
    if (!window.canConvertToExactIntegral() || !window.canConvertToLong() || window.asLong() < 0) {
      throw r.corrupt("field '" + MARK + "' has no whole, non-negative window_ms");
    }
    String id = r.text(MARK, node, "id");
    if (id.isEmpty()) {
      throw r.corrupt("field '" + MARK + "' has an empty id");
    }
    return new RefreshMark(
        fence.asLong(), holder, startedAt, presented, id, Duration.ofMillis(window.asLong()));
  }

  /** Reads fields of one hash, failing with CORRUPT errors that name the field. */
  private static final class Reader {
    private final TokenKey key;
    private final Map<String, String> fields;

    Reader(TokenKey key, Map<String, String> fields) {
      this.key = key;
      this.fields = fields;
    }

    UnreadableRecordException corrupt(String detail) {
      return new UnreadableRecordException(key, Problem.CORRUPT, detail, null);
    }

    String required(String field) {
      String value = fields.get(field);
      if (value == null) {
        throw corrupt("field '" + field + "' is missing");
      }
      return value;
    }

    int schema() {
      long schema = number(SCHEMA);
      if (schema < 1 || schema > Integer.MAX_VALUE) {
        throw corrupt("field '" + SCHEMA + "' is out of range");
      }
      return (int) schema;
    }

    long number(String field) {
      String value = required(field);
      try {
        return Long.parseLong(value);
      } catch (NumberFormatException e) {
        throw corrupt("field '" + field + "' is not a number");
      }
    }

    <E extends Enum<E>> E enumValue(String field, Class<E> type, String value) {
      try {
        return Enum.valueOf(type, value);
      } catch (IllegalArgumentException e) {
        throw corrupt("field '" + field + "' is not a known " + type.getSimpleName());
      }
    }

    Instant instant(String field, String value) {
      try {
        return Instant.parse(value);
      } catch (DateTimeParseException e) {
        throw corrupt("field '" + field + "' holds a malformed instant");
      }
    }

    JsonNode json(String field, String json) {
      try {
        JsonNode node = JSON.readTree(json);
        if (node == null || !node.isObject()) {
          throw corrupt("field '" + field + "' is not a JSON object");
        }
        return node;
      } catch (JsonProcessingException e) {
        // Jackson's message quotes the input, which may be a token: do not chain it.
        throw corrupt("field '" + field + "' is not valid JSON");
      }
    }

    String text(String field, JsonNode node, String name) {
      String value = optionalText(field, node, name);
      if (value == null) {
        throw corrupt("field '" + field + "' lacks '" + name + "'");
      }
      return value;
    }

    @Nullable String optionalText(String field, JsonNode node, String name) {
      JsonNode value = node.get(name);
      if (value == null || value.isNull()) {
        return null;
      }
      if (!value.isTextual()) {
        throw corrupt("field '" + field + "' has a '" + name + "' that is not text");
      }
      return value.asText();
    }
  }
}

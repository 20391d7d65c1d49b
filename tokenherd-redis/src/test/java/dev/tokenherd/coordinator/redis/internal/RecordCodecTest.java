package dev.tokenherd.coordinator.redis.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tokenherd.coordinator.ReauthenticationReason;
import dev.tokenherd.coordinator.TokenKey;
import dev.tokenherd.coordinator.TokenSet;
import dev.tokenherd.coordinator.UnreadableRecordException;
import dev.tokenherd.coordinator.UnreadableRecordException.Problem;
import dev.tokenherd.coordinator.spi.RefreshMark;
import dev.tokenherd.coordinator.spi.TokenRecord;
import dev.tokenherd.coordinator.spi.TokenStatus;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import org.assertj.core.api.AbstractThrowableAssert;
import org.junit.jupiter.api.Test;

final class RecordCodecTest {
  private static final TokenKey KEY = TokenKey.of("billing");
  private static final String AAD = "tokenherd:billing";
  private static final Instant T0 = Instant.parse("2030-01-01T00:00:00.123456789Z");
  private static final String ACCESS = "AT-very-secret-access";
  private static final String REFRESH = "RT-very-secret-refresh";

  private final RecordCodec plain = new RecordCodec(null);
  private final RecordCodec sealed =
      new RecordCodec(
          new SecretCipher("k1", Map.of("k1", SecretCipherTest.key(1)), new SecureRandom()));

  private static TokenSet tokens() {
    return new TokenSet(ACCESS, "Bearer", REFRESH, Set.of("b", "a"), T0, T0.plusSeconds(3600));
  }

  private static TokenRecord full() {
    return TokenRecord.builder()
        .version(3)
        .fence(7)
        .tokens(tokens())
        .refreshing(
            new RefreshMark(
                7, "host/1", T0.plusNanos(5), "sha256:abc", "mark-1", Duration.ofMillis(29_500)))
        .writer("host/1")
        .writtenAt(T0.plusNanos(9))
        .build();
  }

  private static TokenRecord reauth() {
    return TokenRecord.builder()
        .version(4)
        .fence(8)
        .status(TokenStatus.REAUTH_REQUIRED)
        .reauthReason(ReauthenticationReason.REVOKED)
        .errorCode("invalid_grant")
        .writer("host/2")
        .writtenAt(T0)
        .build();
  }

  private Map<String, String> fieldsOf(TokenRecord record) {
    return new LinkedHashMap<>(plain.encode(record, AAD));
  }

  private AbstractThrowableAssert<?, ? extends Throwable> decoding(
      RecordCodec codec, Map<String, String> fields, Problem problem) {
    return assertThatThrownBy(() -> codec.decode(KEY, fields, AAD))
        .isInstanceOfSatisfying(
            UnreadableRecordException.class, e -> assertThat(e.problem()).isEqualTo(problem))
        .hasMessageNotContaining(ACCESS)
        .hasMessageNotContaining(REFRESH);
  }

  @Test
  void encode_fullRecord_writesClearMetadataAndOneSecretField() {
    Map<String, String> fields = fieldsOf(full());

    assertThat(fields)
        .containsEntry("schema", "1")
        .containsEntry("version", "3")
        .containsEntry("fence", "7")
        .containsEntry("status", "ACTIVE")
        .containsEntry("expires_at", Long.toString(T0.plusSeconds(3600).toEpochMilli()))
        .containsEntry("writer", "host/1")
        .doesNotContainKeys("reauth_reason", "error_code");
    assertThat(fields.get("mark")).contains("sha256:abc").doesNotContain(REFRESH);
    assertThat(fields.get("secret")).contains(ACCESS, REFRESH);
  }

  @Test
  void decode_roundTrip_keepsEveryFieldToTheNanosecond() {
    assertThat(plain.decode(KEY, fieldsOf(full()), AAD)).isEqualTo(full());
    assertThat(plain.decode(KEY, fieldsOf(reauth()), AAD)).isEqualTo(reauth());
    assertThat(fieldsOf(reauth())).doesNotContainKeys("secret", "expires_at", "mark");
  }

  @Test
  void decode_markWrittenBeforeMarksHadIds_isASettledMarkNamedByFenceAndHolder() {
    Map<String, String> fields = fieldsOf(full());
    fields.put(
        "mark",
        "{\"fence\":7,\"holder\":\"host/1\",\"started_at\":\""
            + T0
            + "\",\"presented\":\"sha256:abc\"}");

    RefreshMark mark = plain.decode(KEY, fields, AAD).refreshing();

    assertThat(mark).isEqualTo(new RefreshMark(7, "host/1", T0, "sha256:abc"));
    assertThat(mark.id()).isEqualTo("7@host/1");
    assertThat(mark.window()).isZero();
  }

  @Test
  void decode_markWithANegativeOrFractionalWindow_isCorrupt() {
    Map<String, String> fields = fieldsOf(full());
    String mark = fields.get("mark");
    fields.put("mark", mark.replace("29500", "-1"));
    decoding(plain, fields, Problem.CORRUPT).hasMessageContaining("window_ms");
    fields.put("mark", mark.replace("29500", "0.5"));
    decoding(plain, fields, Problem.CORRUPT).hasMessageContaining("window_ms");
  }

  @Test
  void encode_withCipher_sealsTheSecretAndDecodesBack() {
    Map<String, String> fields = sealed.encode(full(), AAD);

    assertThat(sealed.encrypts()).isTrue();
    assertThat(plain.encrypts()).isFalse();
    assertThat(fields.get("secret")).startsWith("v1:k1:").doesNotContain(ACCESS, REFRESH);
    assertThat(sealed.decode(KEY, fields, AAD)).isEqualTo(full());
  }

  @Test
  void decode_plaintextWithCipher_isReadable() {
    assertThat(sealed.decode(KEY, fieldsOf(full()), AAD)).isEqualTo(full());
  }

  @Test
  void decode_sealedWithoutCipher_isUndecryptable() {
    decoding(plain, sealed.encode(full(), AAD), Problem.UNDECRYPTABLE)
        .hasMessageContaining("no key ring");
  }

  @Test
  void decode_sealedForAnotherCredential_isUndecryptable() {
    Map<String, String> fields = sealed.encode(full(), "tokenherd:other");

    decoding(sealed, fields, Problem.UNDECRYPTABLE);
  }

  @Test
  void decode_newerSchema_isTooNewButLenientlyReadable() {
    Map<String, String> fields = fieldsOf(full());
    fields.put("schema", "99");

    decoding(plain, fields, Problem.SCHEMA_TOO_NEW).hasMessageContaining("99");
    assertThat(plain.decodeLeniently(KEY, fields, AAD))
        .extracting(TokenRecord::schemaVersion)
        .isEqualTo(99);
  }

  @Test
  void decodeLeniently_corrupt_isNull() {
    Map<String, String> fields = fieldsOf(full());
    fields.put("version", "x");

    assertThat(plain.decodeLeniently(KEY, fields, AAD)).isNull();
  }

  @Test
  void decode_malformedMetadata_isCorruptAndNamesTheField() {
    String[][] cases = {
      {"schema", "one"},
      {"schema", "0"},
      {"version", "NaN"},
      {"version", "0"},
      {"fence", "1.5"},
      {"status", "SLEEPING"},
      {"reauth_reason", "BORED"},
      {"written_at", "yesterday"},
      {"mark", "not json"},
      {"mark", "[1]"},
      {"mark", "{\"fence\":\"x\",\"holder\":\"h\",\"started_at\":\"2030-01-01T00:00:00Z\"}"},
      {"mark", "{\"fence\":1,\"holder\":2,\"started_at\":\"2030-01-01T00:00:00Z\"}"},
    };
    for (String[] c : cases) {
      Map<String, String> fields = fieldsOf(full());
      fields.put(c[0], c[1]);
      decoding(plain, fields, Problem.CORRUPT).hasMessageContaining(c[0]);
    }
  }

  @Test
  void decode_missingRequiredField_isCorrupt() {
    for (String field : new String[] {"schema", "version", "fence", "status", "writer"}) {
      Map<String, String> fields = fieldsOf(full());
      fields.remove(field);
      decoding(plain, fields, Problem.CORRUPT).hasMessageContaining("'" + field + "' is missing");
    }
  }

  @Test
  void decode_contradictingFields_isCorrupt() {
    Map<String, String> fields = fieldsOf(full());
    fields.put("status", "REAUTH_REQUIRED"); // but no reason

    decoding(plain, fields, Problem.CORRUPT).hasMessageContaining("contradict");
  }

  @Test
  void decode_malformedSecret_isCorruptWithoutEchoingIt() {
    String[] secrets = {
      "{\"access_token\":\"" + ACCESS + "\"",
      "{\"access_token\":\"" + ACCESS + "\",\"token_type\":\"Bearer\",\"scope\":\"a\"}",
      "{\"access_token\":\"" + ACCESS + "\",\"token_type\":\"Bearer\",\"scope\":[1]}",
      "{\"access_token\":7,\"token_type\":\"Bearer\",\"scope\":[]}",
      "{\"token_type\":\"Bearer\",\"scope\":[],\"issued_at\":\"2030-01-01T00:00:00Z\"}",
      "{\"access_token\":\" \",\"token_type\":\"Bearer\",\"scope\":[],"
          + "\"issued_at\":\"2030-01-01T00:00:00Z\",\"expires_at\":\"2030-01-01T01:00:00Z\"}",
      "[\"" + ACCESS + "\"]",
      ACCESS,
    };
    for (String secret : secrets) {
      Map<String, String> fields = fieldsOf(full());
      fields.put("secret", secret);
      decoding(sealed, fields, Problem.CORRUPT).hasMessageContaining("secret");
    }
  }
}

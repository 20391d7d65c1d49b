package dev.tokenherd.spring.boot;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tokenherd.TokenHerd;
import dev.tokenherd.coordinator.RefreshPolicy;
import dev.tokenherd.coordinator.redis.RedisBackend;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.diagnostics.FailureAnalysis;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/** The herd's auto-configuration: defaults, back-off, property binding, and bad properties. */
final class TokenherdAutoConfigurationTest {
  private static final String KEY_A = Base64.getEncoder().encodeToString(new byte[32]);
  private static final String KEY_B =
      Base64.getEncoder()
          .encodeToString(
              "0123456789abcdef0123456789abcdef"
                  .getBytes(java.nio.charset.StandardCharsets.US_ASCII));

  private final ApplicationContextRunner runner =
      new ApplicationContextRunner()
          .withConfiguration(AutoConfigurations.of(TokenherdAutoConfiguration.class))
          .withPropertyValues("tokenherd.backend=in-memory");

  @Test
  void inMemoryBackend_givesAHerdAndNoRedis() {
    runner.run(
        context -> {
          assertThat(context).hasSingleBean(TokenHerd.class);
          assertThat(context).doesNotHaveBean(RedisBackend.class);
        });
  }

  @Test
  void disabled_givesNothing() {
    runner
        .withPropertyValues("tokenherd.enabled=false")
        .run(context -> assertThat(context).doesNotHaveBean(TokenHerd.class));
  }

  @Test
  void anApplicationsOwnHerd_isKept() {
    runner
        .withUserConfiguration(OwnHerd.class)
        .run(
            context -> {
              assertThat(context).hasSingleBean(TokenHerd.class);
              assertThat(context.getBean(TokenHerd.class)).isSameAs(OwnHerd.HERD);
            });
  }

  @Test
  void policyProperties_bindToTheRefreshPolicy() {
    TokenherdProperties.Policy policy = new TokenherdProperties.Policy();
    policy.setRefreshAheadFraction(0.6);
    policy.setRefreshJitter(0.0);
    policy.setMaxAttempts(5);

    RefreshPolicy built = TokenherdAutoConfiguration.policy(policy);

    assertThat(built.refreshAheadFraction()).isEqualTo(0.6);
    assertThat(built.refreshJitter()).isZero();
    assertThat(built.maxAttempts()).isEqualTo(5);
    assertThat(built.leaseTime()).isEqualTo(RefreshPolicy.ofDefaults().leaseTime());
    runner
        .withPropertyValues(
            "tokenherd.policy.refresh-ahead-fraction=0.6", "tokenherd.policy.wait-timeout=3s")
        .run(
            context -> {
              TokenherdProperties bound = context.getBean(TokenherdProperties.class);
              assertThat(bound.getPolicy().getRefreshAheadFraction()).isEqualTo(0.6);
              assertThat(bound.getPolicy().getWaitTimeout()).hasSeconds(3);
            });
  }

  @Test
  void aPolicyOutOfRange_failsWithAnAnalysisNamingTheProperty() {
    runner
        .withPropertyValues("tokenherd.policy.refresh-ahead-fraction=1.5")
        .run(
            context -> {
              assertThat(context).hasFailed();
              FailureAnalysis analysis = analyze(context.getStartupFailure());
              assertThat(analysis.getDescription())
                  .contains("tokenherd.policy.refresh-ahead-fraction")
                  .contains("1.5");
              assertThat(analysis.getAction()).isNotBlank();
            });
  }

  @Test
  void twoKeysWithoutAPrimary_failNamingThePrimary() {
    runner
        .withPropertyValues(
            "tokenherd.backend=redis",
            "tokenherd.redis.url=redis://127.0.0.1:1",
            "tokenherd.key-ring.keys.a=" + KEY_A,
            "tokenherd.key-ring.keys.b=" + KEY_B)
        .run(
            context -> {
              assertThat(context).hasFailed();
              assertThat(analyze(context.getStartupFailure()).getDescription())
                  .contains("tokenherd.key-ring.primary")
                  .doesNotContain(KEY_A)
                  .doesNotContain(KEY_B);
            });
  }

  @Test
  void aKeyRingFile_isRead_andItsKeysNeverAppearInAFailure(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("keys.properties");
    Files.writeString(file, "primary=b\na=" + KEY_A + "\nb=not-base64!\n");

    TokenherdProperties.KeyRing settings = new TokenherdProperties.KeyRing();
    settings.setFile(file);
    runner
        .withPropertyValues(
            "tokenherd.backend=redis",
            "tokenherd.redis.url=redis://127.0.0.1:1",
            "tokenherd.key-ring.file=" + file)
        .run(
            context -> {
              assertThat(context).hasFailed();
              assertThat(analyze(context.getStartupFailure()).getDescription())
                  .contains("tokenherd.key-ring")
                  .doesNotContain("not-base64!");
            });

    Files.writeString(file, "primary=b\na=" + KEY_A + "\nb=" + KEY_B + "\n");
    assertThat(TokenherdAutoConfiguration.keyRing(settings).primaryId()).isEqualTo("b");

    // A bare key on its own line (openssl rand -base64 32 > file): never echoed as an "id".
    Files.writeString(file, KEY_B + "\n");
    assertThatThrownBy(() -> TokenherdAutoConfiguration.keyRing(settings))
        .isInstanceOf(TokenherdConfigurationException.class)
        .hasMessageContaining("tokenherd.key-ring.file")
        .hasMessageNotContaining(KEY_B.substring(0, 20));
  }

  @Test
  void badRedisSettings_failNamingTheProperty() {
    runner
        .withPropertyValues("tokenherd.backend=redis", "tokenherd.redis.url=http://wrong:1")
        .run(
            context ->
                assertThat(analyze(context.getStartupFailure()).getDescription())
                    .contains("tokenherd.redis.url"));
    runner
        .withPropertyValues(
            "tokenherd.backend=redis",
            "tokenherd.redis.url=redis://127.0.0.1:1",
            "tokenherd.redis.wait-for-replicas=1",
            "tokenherd.redis.wait-for-replicas-timeout=0s")
        .run(
            context ->
                assertThat(analyze(context.getStartupFailure()).getDescription())
                    .contains("tokenherd.redis.wait-for-replicas"));
  }

  @Test
  void configurationMetadata_describesEveryProperty() throws Exception {
    JsonNode metadata;
    try (InputStream in =
        TokenherdProperties.class.getResourceAsStream(
            "/META-INF/spring-configuration-metadata.json")) {
      assertThat(in).as("metadata generated by Boot's configuration processor").isNotNull();
      metadata = new ObjectMapper().readTree(in);
    }
    List<String> names = new ArrayList<>();
    for (JsonNode property : metadata.get("properties")) {
      names.add(property.get("name").asText());
      assertThat(property.path("description").asText())
          .as("description of %s", property.get("name"))
          .isNotBlank();
    }
    assertThat(names)
        .contains(
            "tokenherd.enabled",
            "tokenherd.backend",
            "tokenherd.redis.url",
            "tokenherd.key-ring.file",
            "tokenherd.policy.refresh-ahead-fraction");
  }

  static FailureAnalysis analyze(Throwable failure) {
    Throwable cause = failure;
    while (cause != null && !(cause instanceof TokenherdConfigurationException)) {
      cause = cause.getCause();
    }
    assertThat(cause).as("a TokenherdConfigurationException in %s", failure).isNotNull();
    FailureAnalysis analysis = new TokenherdFailureAnalyzer().analyze(failure);
    assertThat(analysis).isNotNull();
    return analysis;
  }

  @Configuration(proxyBeanMethods = false)
  static class OwnHerd {
    static final TokenHerd HERD = TokenHerd.builder().build();

    @Bean
    TokenHerd ownHerd() {
      return HERD;
    }
  }
}

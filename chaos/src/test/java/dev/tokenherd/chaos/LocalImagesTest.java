package dev.tokenherd.chaos;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.testcontainers.utility.DockerImageName;

final class LocalImagesTest {
  @Test
  void withAPrefix_theSuitesImagesMapToTheLocalOnes_asCompatibleSubstitutes() {
    DockerImageName redis = LocalImages.substitute(DockerImageName.parse("redis:7.0"), "local");
    assertThat(redis.asCanonicalNameString()).isEqualTo("local/redis:7.0");
    // RedisContainer checks this before it starts
    assertThat(redis.isCompatibleWith(DockerImageName.parse("redis"))).isTrue();
    assertThat(
            LocalImages.substitute(DockerImageName.parse("eclipse-temurin:17-jre"), " local ")
                .asCanonicalNameString())
        .isEqualTo("local/jre:17");
  }

  @Test
  void withoutAPrefix_orForAnImageItDoesNotKnow_orFromAnotherRegistry_theNameStays() {
    DockerImageName redis = DockerImageName.parse("redis:7.0");
    assertThat(LocalImages.substitute(redis, null)).isSameAs(redis);
    assertThat(LocalImages.substitute(redis, " ")).isSameAs(redis);
    DockerImageName alpine = DockerImageName.parse("alpine:3.17");
    assertThat(LocalImages.substitute(alpine, "local")).isSameAs(alpine);
    DockerImageName mirrored = DockerImageName.parse("mirror.example.com/redis:7.0");
    assertThat(LocalImages.substitute(mirrored, "local")).isSameAs(mirrored);
  }
}

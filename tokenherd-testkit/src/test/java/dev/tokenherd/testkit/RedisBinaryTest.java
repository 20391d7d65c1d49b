package dev.tokenherd.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

final class RedisBinaryTest {

  @Test
  void forPlatform_namesTheArtifactsBinaryOrNone() {
    assertThat(RedisBinary.Bundled.forPlatform("Linux", "amd64").resource())
        .isEqualTo("redis-server-7.4.1-linux-amd64");
    assertThat(RedisBinary.Bundled.forPlatform("Linux", "aarch64").resource())
        .isEqualTo("redis-server-7.4.1-linux-arm64");
    assertThat(RedisBinary.Bundled.forPlatform("Mac OS X", "x86_64").resource())
        .isEqualTo("redis-server-7.4.1-darwin-amd64");
    assertThat(RedisBinary.Bundled.forPlatform("Mac OS X", "aarch64").resource())
        .isEqualTo("redis-server-7.4.1-darwin-arm64");
    assertThat(RedisBinary.Bundled.forPlatform("Windows 11", "amd64")).isNull();
    assertThat(RedisBinary.Bundled.forPlatform("Linux", "s390x")).isNull();
    assertThat(RedisBinary.Bundled.forPlatform("Mac OS X", "ppc")).isNull();
  }

  @Test
  void forPlatform_recordsADistinctDigestPerBinary() {
    assertThat(RedisBinary.Bundled.forPlatform("Linux", "amd64").sha256())
        .hasSize(64)
        .isNotEqualTo(RedisBinary.Bundled.forPlatform("Linux", "aarch64").sha256());
  }
}

package dev.tokenherd.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The fallback Redis: unpacked from the Maven artifact, verified, and actually run. */
final class RedisBinaryIT {

  @Test
  void resolve_findsARedisOf7OrNewer() {
    RedisBinary binary = RedisBinary.resolve();

    assertThat(binary.atLeast(7, 0)).as("%s", binary).isTrue();
    assertThat(Files.isExecutable(binary.executable())).isTrue();
    assertThat(binary.toString()).startsWith("Redis " + binary.version() + " (");
  }

  @Test
  void bundled_unpacksTheVerifiedBinaryAndItServes() throws IOException {
    RedisBinary bundled = RedisBinary.bundled();

    assertThat(bundled.version()).isEqualTo(RedisBinary.BUNDLED_VERSION);
    assertThat(bundled.origin()).startsWith(RedisBinary.BUNDLED_ARTIFACT);
    assertThat(RedisBinary.bundled().executable()).isEqualTo(bundled.executable()); // reused
    try (RedisServerProcess redis =
        RedisServerProcess.builder().executable(bundled.executable().toString()).start()) {
      assertThat(redis.command("INFO", "server")).startsWith("$");
      assertThat(redis.ping()).isTrue();
    }
  }

  @Test
  void unpack_aTamperedCopy_isReplacedBeforeItRuns(@TempDir Path directory) throws IOException {
    RedisBinary.Bundled bundled = thisPlatform();
    Path executable = bundled.unpack(directory);
    long size = Files.size(executable);
    Files.write(executable, "#!/bin/sh\necho v=9.9.9\n".getBytes(StandardCharsets.US_ASCII));

    Path again = bundled.unpack(directory);

    assertThat(again).isEqualTo(executable);
    assertThat(Files.size(again)).isEqualTo(size);
    try (var files = Files.list(directory)) {
      assertThat(files).containsExactly(executable); // no partial copy left behind
    }
  }

  @Test
  void unpack_aBinaryWithAnotherDigest_isRefusedAndNeverPlaced(@TempDir Path directory) {
    RedisBinary.Bundled wrong = new RedisBinary.Bundled(thisPlatform().resource(), "0".repeat(64));

    assertThatThrownBy(() -> wrong.unpack(directory))
        .hasMessageContaining("refusing to run it")
        .hasMessageContaining(wrong.resource());
    assertThat(directory.resolve("redis-server")).doesNotExist();
  }

  private static RedisBinary.Bundled thisPlatform() {
    RedisBinary.Bundled bundled =
        RedisBinary.Bundled.forPlatform(
            System.getProperty("os.name"), System.getProperty("os.arch"));
    assertThat(bundled).as("a bundled binary for this platform").isNotNull();
    return bundled;
  }

  @Test
  void atLeast_comparesMajorThenMinor() {
    RedisBinary binary = RedisBinary.bundled(); // 7.4.1

    assertThat(binary.atLeast(7, 4)).isTrue();
    assertThat(binary.atLeast(6, 9)).isTrue();
    assertThat(binary.atLeast(7, 5)).isFalse();
    assertThat(binary.atLeast(8, 0)).isFalse();
  }

  @Test
  void explicitExecutable_thatIsNotOne_isRefusedByName() {
    assertThatThrownBy(() -> RedisServerProcess.builder().executable("/nonexistent/redis").start())
        .hasMessageContaining("/nonexistent/redis");
  }
}

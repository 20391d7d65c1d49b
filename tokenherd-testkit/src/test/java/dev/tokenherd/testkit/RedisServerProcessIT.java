package dev.tokenherd.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.SocketTimeoutException;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

final class RedisServerProcessIT {

  @BeforeAll
  static void aRedisServerCanBeRun() {
    // redis-server from the PATH (.ci/run installs it) or the bundled fallback; neither is a
    // set-up error, not a skip.
    assertThat(RedisServerProcess.isAvailable()).as("a redis-server to run").isTrue();
  }

  @Test
  void start_answersOnALoopbackPortAndStopsCleanly() throws IOException {
    RedisServerProcess redis = RedisServerProcess.builder().start();
    try {
      assertThat(redis.ping()).isTrue();
      assertThat(redis.uri().toString()).isEqualTo("redis://127.0.0.1:" + redis.port());
      assertThat(redis.command("SET", "k", "v")).isEqualTo("+OK");
      assertThat(redis.isRunning()).isTrue();
    } finally {
      redis.close();
    }
    assertThat(redis.isRunning()).isFalse();
    assertThat(redis.dataDirectory()).doesNotExist();
  }

  @Test
  void start_aServerThatExits_failsWithWhatItWrote() {
    assertThatThrownBy(
            () -> RedisServerProcess.builder().arguments("--no-such-directive", "x").start())
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("exited during start-up with status 1")
        .hasMessageContaining("no-such-directive"); // redis-server's own complaint, from its output
  }

  @Test
  void restart_withAppendOnlyFile_keepsTheData() throws IOException {
    try (RedisServerProcess redis = RedisServerProcess.builder().appendOnly(true).start()) {
      int port = redis.port();
      redis.command("SET", "durable", "yes");

      redis.restart();

      assertThat(redis.port()).isEqualTo(port);
      assertThat(redis.command("EXISTS", "durable")).isEqualTo(":1");
    }
  }

  @Test
  void kill_thenStartAgain_keepsFsyncedData() throws IOException {
    try (RedisServerProcess redis = RedisServerProcess.builder().start()) {
      redis.command("SET", "k", "v");

      redis.kill();
      assertThat(redis.isRunning()).isFalse();
      assertThatThrownBy(redis::ping).isInstanceOf(IOException.class);
      redis.startAgain();

      assertThat(redis.command("EXISTS", "k")).isEqualTo(":1");
    }
  }

  @Test
  void pause_stopsAnswersUntilResumed() throws IOException {
    try (RedisServerProcess redis = RedisServerProcess.builder().start()) {
      redis.pause();
      assertThatThrownBy(redis::ping).isInstanceOf(SocketTimeoutException.class);

      redis.resume();

      assertThat(redis.ping()).isTrue();
    }
  }

  @Test
  void password_isRequiredAndUsed() throws IOException {
    try (RedisServerProcess redis = RedisServerProcess.builder().password("s3cret").start()) {
      assertThat(redis.uri().toString()).startsWith("redis://:s3cret@127.0.0.1:");
      assertThat(redis.ping()).isTrue();
      assertThat(redis.toString()).doesNotContain("s3cret");
    }
  }
}

package dev.tokenherd.testkit;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

final class RespClientIT {
  private static RedisServerProcess redis;
  private static InetSocketAddress address;

  @BeforeAll
  static void start() {
    redis = RedisServerProcess.builder().appendOnly(false).password("resp-secret").start();
    address = new InetSocketAddress(InetAddress.getLoopbackAddress(), redis.port());
  }

  @AfterAll
  static void stop() {
    redis.close();
  }

  private static Object call(String... arguments) throws IOException {
    return RespClient.call(address, "resp-secret", Arrays.asList(arguments));
  }

  @Test
  void call_parsesEveryKindOfReply() throws IOException {
    assertThat(call("SET", "k", "välue ✓")).isEqualTo("OK");
    assertThat(call("GET", "k")).isEqualTo("välue ✓"); // a bulk string, UTF-8
    assertThat(call("GET", "missing")).isNull();
    assertThat(call("INCR", "n")).isEqualTo(1L);
    assertThat(call("RPUSH", "list", "a", "", "c")).isEqualTo(3L);
    assertThat(call("LRANGE", "list", "0", "-1")).isEqualTo(List.of("a", "", "c"));
    assertThat(call("KEYS", "nothing-*")).isEqualTo(List.of());
    assertThat(call("BLPOP", "empty", "0.01")).isNull(); // a null array
    assertThat(call("EVAL", "return {1, {2, 'x'}, false}", "0"))
        .isEqualTo(Arrays.asList(1L, Arrays.asList(2L, "x"), null));
    assertThat(call("INFO", "server").toString()).contains("redis_version:").contains("\r\n");
  }

  @Test
  void call_returnsErrorsAsValues() throws IOException {
    Object error = call("NO-SUCH-COMMAND");
    assertThat(error).isInstanceOf(RespClient.ErrorReply.class);
    assertThat(((RespClient.ErrorReply) error).code()).isEqualTo("ERR");
    assertThat(RespClient.call(address, "wrong", List.of("PING")))
        .isInstanceOfSatisfying(
            RespClient.ErrorReply.class, e -> assertThat(e.code()).isEqualTo("WRONGPASS"));
    assertThat(RespClient.call(address, null, List.of("PING")))
        .isEqualTo(new RespClient.ErrorReply("NOAUTH Authentication required."));
    assertThat(new RespClient.ErrorReply("MOVED").code()).isEqualTo("MOVED");
  }

  @Test
  void read_rejectsWhatIsNotRespOrEndsEarly() {
    assertThatThrownBy(() -> read("")).isInstanceOf(EOFException.class);
    assertThatThrownBy(() -> read("$5\r\nab")).isInstanceOf(EOFException.class);
    assertThatThrownBy(() -> read("$2\r\nabcd")).isInstanceOf(EOFException.class);
    assertThatThrownBy(() -> read("?what\r\n")).isInstanceOf(IOException.class);
    assertThatThrownBy(() -> read(":twelve\r\n"))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("not a RESP2 reply");
  }

  private static Object read(String reply) throws IOException {
    return RespClient.read(new ByteArrayInputStream(reply.getBytes(UTF_8)));
  }
}

package dev.tokenherd.coordinator.redis.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tokenherd.coordinator.StoreMisconfiguredException;
import dev.tokenherd.coordinator.StoreMisconfiguredException.Problem;
import dev.tokenherd.coordinator.TokenKey;
import dev.tokenherd.coordinator.redis.internal.RedisErrors.Role;
import io.lettuce.core.RedisCommandExecutionException;
import io.lettuce.core.RedisCommandTimeoutException;
import io.lettuce.core.RedisConnectionException;
import java.util.concurrent.CompletionException;
import org.junit.jupiter.api.Test;

/** The error replies of Redis 7.0 and 7.4, as the ITs met them, read for what must be fixed. */
final class RedisErrorsTest {
  private static final TokenKey KEY = TokenKey.of("billing-api");
  private static final String RECORD = "key 'tokenherd:{billing-api}:record'";

  private static StoreMisconfiguredException store(String reply) {
    StoreMisconfiguredException typed =
        RedisErrors.misconfiguration(
            KEY,
            new CompletionException(new RedisCommandExecutionException(reply)),
            Role.STORE,
            "tokenherd",
            RECORD);
    assertThat(typed).as(reply).isNotNull();
    return typed;
  }

  @Test
  void wrongType_namesTheKeyAndHowToRecover() {
    StoreMisconfiguredException typed =
        store(
            "WRONGTYPE Operation against a key holding the wrong kind of value script:"
                + " f23c863e824ae8976839e1ff261a106fd93f2b6b, on @user_script:35.");

    assertThat(typed.problem()).isEqualTo(Problem.WRONG_TYPE);
    assertThat(typed.target()).isEqualTo(RECORD + " of the token store");
    assertThat(typed.remedy()).contains("DEL", "seed");
    assertThat(typed.getMessage())
        .contains("WRONGTYPE Operation against a key holding the wrong kind of value")
        .doesNotContain("@user_script");
  }

  @Test
  void refusedCommand_namesItAndItsRule_onRedis70And74() {
    for (String reply :
        new String[] {
          "NOPERM this user has no permissions to run the 'evalsha' command",
          "NOPERM User tokenherd has no permissions to run the 'evalsha' command"
        }) {
      StoreMisconfiguredException typed = store(reply);
      assertThat(typed.problem()).isEqualTo(Problem.NO_PERMISSION);
      assertThat(typed.target()).isEqualTo("command 'evalsha' of the token store");
      assertThat(typed.remedy()).contains("+evalsha +eval");
    }
    assertThat(store("NOPERM this user has no permissions to run the 'hgetall' command").remedy())
        .contains("+hgetall");
  }

  @Test
  void refusedInsideAScript_onRedis70_namesEveryCommandTheScriptRuns() {
    StoreMisconfiguredException typed =
        store(
            "ERR The user executing the script can't run this command or subcommand script:"
                + " 2de5c0d354828a25ab29b914c60f9725a33b6e3e, on @user_script:66.");

    assertThat(typed.problem()).isEqualTo(Problem.NO_PERMISSION);
    assertThat(typed.target()).isEqualTo("a command inside a script of the token store");
    assertThat(typed.remedy()).contains("+hset", "+hdel", "+hmget", "+exists", "+publish");
  }

  @Test
  void refusedInsideAScript_onRedis74_namesTheCommand() {
    StoreMisconfiguredException typed =
        store("ERR ACL failure in script: User u has no permissions to run the 'hdel' command");

    assertThat(typed.target()).isEqualTo("command 'hdel' inside a script of the token store");
    assertThat(typed.remedy()).contains("+hdel");
  }

  @Test
  void refusedKeyOrChannel_namesThePattern() {
    assertThat(
            store("NOPERM this user has no permissions to access one of the keys used as arguments")
                .remedy())
        .contains("~tokenherd:*");
    assertThat(store("NOPERM No permissions to access a key").target())
        .isEqualTo(RECORD + " of the token store");
    assertThat(
            store(
                    "ERR The user executing the script can't publish to the channel mentioned in"
                        + " the command")
                .remedy())
        .contains("&tokenherd:*");
    assertThat(store("NOPERM No permissions to access a channel").remedy())
        .contains("&tokenherd:*");
  }

  @Test
  void redissonReply_cutsOffTheCommandAndItsArguments() {
    StoreMisconfiguredException typed =
        RedisErrors.misconfiguration(
            KEY,
            new org.redisson.client.RedisException(
                "NOPERM this user has no permissions to run the 'eval' command. channel: [id:"
                    + " 0x5f, L:/127.0.0.1:1 - R:/127.0.0.1:2] data: CommandData [command=(EVAL),"
                    + " params=[local secret-argument]]"),
            Role.LOCK,
            "tokenherd",
            "key 'tokenherd:{billing-api}:lock'");

    assertThat(typed).isNotNull();
    assertThat(typed.target()).isEqualTo("command 'eval' of the refresh lock");
    assertThat(typed.remedy()).contains("+evalsha +eval");
    assertThat(typed.getMessage()).doesNotContain("secret-argument").doesNotContain("channel:");
  }

  @Test
  void otherFailures_areNoMisconfiguration() {
    for (Throwable error :
        new Throwable[] {
          new RedisCommandTimeoutException("Command timed out after 1 second(s)"),
          new RedisConnectionException("Connection refused"),
          new RedisCommandExecutionException("ERR Error running script (call to f_1): bug"),
          new RedisCommandExecutionException(
              "OOM command not allowed when used memory > 'maxmemory'"),
          new RedisCommandExecutionException("LOADING Redis is loading the dataset in memory")
        }) {
      assertThat(RedisErrors.misconfiguration(KEY, error, Role.STORE, "tokenherd", RECORD))
          .as(error.toString())
          .isNull();
    }
    assertThat(
            RedisErrors.isTimeout(new CompletionException(new RedisCommandTimeoutException("t"))))
        .isTrue();
    assertThat(RedisErrors.isTimeout(new RedisConnectionException("c"))).isFalse();
  }

  @Test
  void announcementFailure_namesTheChannelAndTheRule() {
    String channel = "tokenherd:{billing-api}:changed";

    assertThat(
            RedisErrors.announcementFailure(
                "ERR The user executing the script can't run this command or subcommand",
                channel,
                "tokenherd"))
        .contains("'" + channel + "'", "refused", "+publish", "&tokenherd:*");
    assertThat(
            RedisErrors.announcementFailure(
                new RedisCommandExecutionException(
                    "NOPERM this user has no permissions to run the 'publish' command"),
                channel,
                "tokenherd"))
        .contains("+publish");
    assertThat(
            RedisErrors.announcementFailure(
                new RedisConnectionException("Connection closed"), channel, "tokenherd"))
        .contains("failed", "RedisConnectionException")
        .doesNotContain("+publish");
  }

  @Test
  void feedRefusal_onACluster_namesTheShardCommands() {
    String channel = "channel 'tokenherd:{billing-api}:changed'";
    StoreMisconfiguredException named =
        RedisErrors.misconfiguration(
            KEY,
            new RedisCommandExecutionException(
                "NOPERM this user has no permissions to run the 'ssubscribe' command"),
            Role.FEED,
            "tokenherd",
            channel);
    StoreMisconfiguredException unnamed =
        RedisErrors.misconfiguration(
            KEY,
            new RedisCommandExecutionException(
                "ERR The user executing the script can't run this command or subcommand"),
            Role.FEED,
            "tokenherd",
            channel);

    assertThat(named).isNotNull();
    assertThat(named.target()).isEqualTo("command 'ssubscribe' of the change feed");
    assertThat(named.remedy()).contains("+ssubscribe");
    assertThat(unnamed).isNotNull();
    assertThat(unnamed.remedy()).contains("+subscribe", "+ssubscribe", "+sunsubscribe");
    assertThat(RedisErrors.announcementFailure("NOPERM x", "tokenherd:{a}:changed", "tokenherd"))
        .contains("+spublish");
  }
}

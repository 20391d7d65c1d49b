package dev.tokenherd.chaos;

import java.io.IOException;

/**
 * Sends a command to one Redis server and returns the first line of the reply: a {@link RedisNode},
 * or a testkit {@code RedisServerProcess} of a cluster or Sentinel group ({@code node::command}).
 */
@FunctionalInterface
interface RedisCommands {
  /**
   * Sends one command and returns the first line of the reply, for example {@code +OK}, {@code :1}
   * or {@code -ERR ...} (as {@link dev.tokenherd.testkit.RedisServerProcess#command}).
   *
   * @throws IOException if the server cannot be reached or does not answer in time
   */
  String command(String... arguments) throws IOException;
}

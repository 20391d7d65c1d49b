package dev.tokenherd.chaos;

import java.net.InetSocketAddress;
import java.net.URI;

/** One Redis server of a scenario ({@link ChaosEnvironment}), as the harness drives it. */
interface RedisNode extends RedisCommands {
  /**
   * Returns the URI the harness itself connects to (the seeder); the same across {@link
   * #restart()}.
   */
  URI uri();

  /**
   * Returns where worker links forward to and replicas replicate from, unresolved: {@code
   * 127.0.0.1} and the port for a process, the network alias and 6379 for a container.
   */
  InetSocketAddress linkAddress();

  /** Restarts the server and awaits its {@code PING}; the data stays (AOF). */
  void restart();

  /** Freezes the server (SIGSTOP, {@code docker pause}): connections stay open, nothing answers. */
  void pause();

  /** Resumes a paused server. */
  void resume();
}

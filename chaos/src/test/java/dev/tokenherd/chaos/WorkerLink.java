package dev.tokenherd.chaos;

import java.net.URI;
import java.time.Duration;

/**
 * One worker's network path to Redis ({@link ChaosEnvironment}), with the faults the scenarios
 * inject; each fault lasts until {@link #heal()}. See {@link TcpProxy} for what each fault does to
 * the connections.
 */
interface WorkerLink extends AutoCloseable {
  /** Returns the {@code redis://} URI the worker connects to. */
  URI uri();

  /** Closes every connection (FIN) and refuses new ones. */
  void cut();

  /** Passes traffic again, without any fault. */
  void heal();

  /** Resets every connection (RST), and new ones. */
  void reset();

  /** Keeps connections open but drops every byte both ways. */
  void blackhole();

  /** Delays traffic both ways by {@code delay}. */
  void latency(Duration delay);

  /** Forwards to {@code node} from now on and resets the open connections (a failover). */
  void retarget(RedisNode node);

  /** Closes the link and its connections; closing it again does nothing. */
  @Override
  void close();
}

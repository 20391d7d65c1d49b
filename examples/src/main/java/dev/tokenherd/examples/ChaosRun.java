package dev.tokenherd.examples;

import static java.util.Objects.requireNonNull;

import java.io.PrintStream;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import org.jspecify.annotations.Nullable;

/**
 * One fault of {@code --chaos}, injected into a fleet of worker processes: {@link #arm()} arms
 * every pod's {@link ChaosHook}; the first pod about to send a token request is the victim, every
 * other pod is disarmed (and one that was already holding is let go); the victim is then killed, or
 * paused past its lease and resumed, by real signals.
 */
final class ChaosRun implements AutoCloseable {
  /**
   * What happened to the victim.
   *
   * @param pod the victim's name
   * @param at when the fault struck
   * @param resumedAt when a paused victim was resumed; null if killed (or still paused)
   */
  record Strike(String pod, Instant at, @Nullable Instant resumedAt) {}

  private final ChaosFault fault;
  private final String holding;
  private final Strategy strategy;
  private final List<WorkerProcess> pods;
  private final PrintStream progress;
  private final Instant from;
  private final AtomicReference<@Nullable WorkerProcess> victim = new AtomicReference<>();
  private volatile @Nullable Strike strike;
  private volatile boolean paused;

  ChaosRun(
      ChaosFault fault,
      Strategy strategy,
      List<WorkerProcess> pods,
      PrintStream progress,
      Instant from) {
    this.fault = requireNonNull(fault, "fault");
    this.strategy = requireNonNull(strategy, "strategy");
    this.holding = strategy.hasLock() ? "holding its lock, about to send" : "about to send";
    this.pods = List.copyOf(pods);
    this.progress = requireNonNull(progress, "progress");
    this.from = requireNonNull(from, "from");
    this.pods.forEach(pod -> pod.onChaos(this::holding));
  }

  /** Arms every pod: the next one about to send a token request is the victim. */
  void arm() {
    progress.printf(
        "   chaos: armed at %s: the next pod about to send a token request will be %s%n",
        since(Instant.now()), fault.description(strategy));
    pods.forEach(pod -> pod.send("arm"));
  }

  /** The fault as it struck; null if no pod sent a token request after {@link #arm()}. */
  @Nullable Strike strike() {
    return strike;
  }

  ChaosFault fault() {
    return fault;
  }

  private void holding(WorkerProcess pod) {
    if (!victim.compareAndSet(null, pod)) {
      pod.send("go"); // another pod was faster: this one sends as usual
      return;
    }
    pods.stream().filter(other -> other != pod).forEach(other -> other.send("disarm"));
    Thread striker = new Thread(() -> strike(pod), "chaos-" + fault.id());
    striker.setDaemon(true);
    striker.start();
  }

  private void strike(WorkerProcess pod) {
    Instant at = Instant.now();
    switch (fault) {
      case KILL -> {
        pod.kill();
        strike = new Strike(pod.name(), at, null);
        progress.printf(
            "   chaos: %s killed (SIGKILL) at %s, %s%n", pod.name(), since(at), holding);
      }
      case PAUSE -> {
        pod.signal("STOP");
        paused = true;
        strike = new Strike(pod.name(), at, null);
        progress.printf(
            "   chaos: %s paused (SIGSTOP) at %s, %s%s%n",
            pod.name(),
            since(at),
            holding,
            holding.startsWith("holding")
                ? "; its lease is " + Durations.format(ChaosFault.LEASE)
                : "");
        // the pause itself: the fault's length, not a wait for something to happen
        LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(ChaosFault.pause().toMillis()));
        resume(pod);
        Instant resumed = Instant.now();
        strike = new Strike(pod.name(), at, resumed);
        progress.printf(
            "   chaos: %s resumed (SIGCONT) at %s, after %s, and sends its token request%n",
            pod.name(), since(resumed), Durations.format(Duration.between(at, resumed)));
      }
    }
  }

  private synchronized void resume(WorkerProcess pod) {
    if (paused) {
      paused = false;
      pod.signal("CONT");
      pod.send("go");
    }
  }

  private String since(Instant at) {
    return Durations.tenths(Duration.between(from, at));
  }

  /** Resumes a victim still paused, so that it can stop like the others. */
  @Override
  public void close() {
    WorkerProcess pod = victim.get();
    if (pod != null && paused) {
      resume(pod);
    }
  }
}

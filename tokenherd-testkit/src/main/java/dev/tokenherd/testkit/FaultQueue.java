package dev.tokenherd.testkit;

import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.jspecify.annotations.Nullable;

/**
 * The faults a test scripted for the {@link FakeAuthorizationServer}'s token requests: queued ones,
 * one a request, first in first out, then a standing one for every request until cleared.
 * Thread-safe.
 */
final class FaultQueue {
  private final Queue<Fault> queued = new ConcurrentLinkedQueue<>();
  private volatile @Nullable Fault standing;

  void enqueue(Fault fault) {
    queued.add(fault);
  }

  /** Replaces the standing fault. */
  void failAll(Fault fault) {
    standing = fault;
  }

  void clear() {
    queued.clear();
    standing = null;
  }

  /** Takes the fault for the next token request: the oldest queued one, else the standing one. */
  @Nullable Fault next() {
    Fault fault = queued.poll();
    return fault != null ? fault : standing;
  }
}

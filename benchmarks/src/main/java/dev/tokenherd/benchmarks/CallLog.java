package dev.tokenherd.benchmarks;

import java.util.Arrays;

/**
 * One caller thread's calls: when each started (microseconds since the cell's time base) and how
 * long it took (nanoseconds). Two growing primitive arrays, so recording a call allocates nothing
 * but the occasional doubling. Written by one thread; read by others only after that thread ended
 * ({@link Thread#join()} orders the reads after the writes).
 */
final class CallLog {
  private long[] starts = new long[1024];
  private long[] waits = new long[1024];
  private int size;

  void add(long startMicros, long waitNanos) {
    if (size == starts.length) {
      starts = Arrays.copyOf(starts, size * 2);
      waits = Arrays.copyOf(waits, size * 2);
    }
    starts[size] = startMicros;
    waits[size] = waitNanos;
    size++;
  }

  int size() {
    return size;
  }

  long startMicros(int i) {
    return starts[i];
  }

  long waitNanos(int i) {
    return waits[i];
  }
}

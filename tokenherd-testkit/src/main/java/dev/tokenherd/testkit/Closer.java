package dev.tokenherd.testkit;

import static java.util.Objects.requireNonNull;

import com.google.errorprone.annotations.CanIgnoreReturnValue;
import java.util.ArrayDeque;
import java.util.Deque;
import org.jspecify.annotations.Nullable;

/**
 * What a test opened and must close, closed in the reverse order of opening: workers before the
 * clients they use, clients before the servers they reach. Every resource is closed even if one
 * fails; the first failure is thrown with the others suppressed. Closing again does nothing.
 */
// "try": close() throws what the resources throw, InterruptedException included, as their own
// close() methods do; callers are tests, which declare throws Exception.
@SuppressWarnings("try")
public final class Closer implements AutoCloseable {
  private final Deque<AutoCloseable> opened = new ArrayDeque<>();

  /** Creates a closer with nothing to close yet. */
  public Closer() {}

  /**
   * Registers {@code resource} to be closed by {@link #close()}, before everything registered
   * earlier.
   *
   * @param resource what to close
   * @param <T> its type
   * @return {@code resource}
   */
  @CanIgnoreReturnValue
  public synchronized <T extends AutoCloseable> T add(T resource) {
    opened.push(requireNonNull(resource, "resource"));
    return resource;
  }

  @Override
  public void close() throws Exception {
    @Nullable Exception first = null;
    for (AutoCloseable resource = poll(); resource != null; resource = poll()) {
      try {
        resource.close();
      } catch (Exception e) {
        if (first == null) {
          first = e;
        } else {
          first.addSuppressed(e);
        }
      }
    }
    if (first != null) {
      throw first;
    }
  }

  private synchronized @Nullable AutoCloseable poll() {
    return opened.poll();
  }
}

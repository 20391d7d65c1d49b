package dev.tokenherd.coordinator.spi;

import static java.util.Objects.requireNonNull;

import org.jspecify.annotations.Nullable;

/**
 * What a {@link TokenStore#compareAndSet compare-and-set} did. A lost race is a normal outcome, not
 * an exception.
 *
 * @param result whether the write was applied, and if not, why
 * @param current the record now stored (the new one when applied), or {@code null} if none
 * @param durability how many replicas acknowledged an applied write, when the store waits for them
 * @param announcementFailure why an applied change of content was not announced on the change feed
 *     (what the store refused and how to allow it, never a secret), or {@code null} if it was
 *     announced or needed no announcement. The write stands either way; workers that missed the
 *     announcement find the new version when they next read the store.
 */
public record WriteOutcome(
    Result result,
    @Nullable TokenRecord current,
    Durability durability,
    @Nullable String announcementFailure) {
  /** Whether a write was applied, and if not, why. */
  public enum Result {
    /** The write was applied. */
    APPLIED,
    /** The stored version is not the expected one: someone else wrote first. */
    VERSION_MOVED,
    /** A writer with a higher fencing token has written: this writer's lease is over. */
    FENCE_REJECTED,
    /** The stored record has a newer schema than the write: an older worker must not replace it. */
    SCHEMA_NEWER,
    /**
     * The write carries a refresh mark, and the stored record carries another holder's mark that is
     * still live ({@link RefreshMark#window()}): that holder may be sending a token request now, so
     * this writer must not.
     */
    MARK_HELD
  }

  /**
   * How many replicas confirmed a write ({@code WAIT} in Redis).
   *
   * @param requested how many the store waited for; 0 when it does not wait
   * @param acknowledged how many confirmed within the store's timeout
   */
  public record Durability(int requested, int acknowledged) {
    /** The store does not wait for replicas. */
    public static final Durability NOT_REQUESTED = new Durability(0, 0);

    /**
     * Returns whether fewer replicas confirmed than were asked for.
     *
     * @return {@code true} if {@code acknowledged < requested}
     */
    public boolean isShort() {
      return acknowledged < requested;
    }
  }

  /**
   * Creates the outcome of a store that does not wait for replicas ({@link
   * Durability#NOT_REQUESTED}) and announced the write, if it was a change of content.
   *
   * @param result whether the write was applied, and if not, why
   * @param current the record now stored, or {@code null} if none; required when applied
   */
  public WriteOutcome(Result result, @Nullable TokenRecord current) {
    this(result, current, Durability.NOT_REQUESTED, null);
  }

  /**
   * Creates the outcome of a write that was announced, if it was a change of content.
   *
   * @param result whether the write was applied, and if not, why
   * @param current the record now stored, or {@code null} if none; required when applied
   * @param durability how many replicas acknowledged the write
   */
  public WriteOutcome(Result result, @Nullable TokenRecord current, Durability durability) {
    this(result, current, durability, null);
  }

  /**
   * Validates the components.
   *
   * @param result whether the write was applied, and if not, why
   * @param current the record now stored, or {@code null} if none; required when applied
   * @param durability how many replicas acknowledged the write
   * @param announcementFailure why an applied write was not announced, or {@code null}
   * @throws IllegalArgumentException if the write was applied but {@code current} is {@code null},
   *     or an announcement failure is reported for a write that was not applied
   */
  public WriteOutcome {
    requireNonNull(result, "result");
    requireNonNull(durability, "durability");
    if (result == Result.APPLIED && current == null) {
      throw new IllegalArgumentException("an applied write must report the stored record");
    }
    if (result != Result.APPLIED && announcementFailure != null) {
      throw new IllegalArgumentException("only an applied write has an announcement to lose");
    }
  }

  /**
   * Returns whether the write was applied.
   *
   * @return {@code true} if the result is {@link Result#APPLIED}
   */
  public boolean applied() {
    return result == Result.APPLIED;
  }
}

package dev.tokenherd.coordinator;

import static java.util.Objects.requireNonNull;

import java.util.Locale;
import org.jspecify.annotations.Nullable;

/**
 * The store refused a command in a way that no retry can change: a key Tokenherd uses holds a value
 * of another type, or the store's user is not allowed a command, key or channel that Tokenherd
 * needs. An operator must fix the store (its ACL, or the foreign key); until then every call for
 * the credential fails with this exception.
 *
 * <p>Each worker finds this out for itself (the store is what is broken, so it cannot carry the
 * news to the fleet); a worker logs it once, reports it once to {@link
 * RefreshListener#onRefreshFailed}, and for a short while (the policy's longest poll pause) fails
 * further calls at once, without asking the store again. The token endpoint is never called because
 * of it. Nothing in the store is changed: in particular, a record key that holds a foreign value is
 * never overwritten, not even by a seed.
 */
public final class StoreMisconfiguredException extends PermanentRefreshException {
  private static final long serialVersionUID = 1L;

  /** What is wrong with the store. */
  public enum Problem {
    /**
     * A key that Tokenherd uses holds a value of another type (Redis {@code WRONGTYPE}): something
     * other than Tokenherd wrote it.
     */
    WRONG_TYPE,
    /**
     * The store's user may not run a command, or use a key or channel, that Tokenherd needs (Redis
     * {@code NOPERM} and ACL failures inside scripts).
     */
    NO_PERMISSION
  }

  /** What is wrong. */
  private final Problem problem;

  /** What the store refused: a key, a command or a channel. */
  private final String target;

  /** What an operator must do. */
  private final String remedy;

  /**
   * Creates the exception.
   *
   * @param key the credential
   * @param problem what is wrong
   * @param target what the store refused, such as {@code key 'tokenherd:{billing}:record'} or
   *     {@code command 'evalsha'}
   * @param detail the store's own words (an error reply), never a secret
   * @param remedy what an operator must do, such as the ACL rule to add
   * @param cause the store client's exception, if any
   */
  public StoreMisconfiguredException(
      TokenKey key,
      Problem problem,
      String target,
      String detail,
      String remedy,
      @Nullable Throwable cause) {
    super(
        key,
        "store misconfigured ("
            + requireNonNull(problem, "problem").name().toLowerCase(Locale.ROOT)
            + "): the store refused "
            + requireNonNull(target, "target")
            + " ("
            + requireNonNull(detail, "detail")
            + "); "
            + requireNonNull(remedy, "remedy"),
        null,
        cause);
    this.problem = problem;
    this.target = target;
    this.remedy = remedy;
  }

  /**
   * Returns what is wrong with the store.
   *
   * @return the problem
   */
  public Problem problem() {
    return problem;
  }

  /**
   * Returns what the store refused: a key, a command or a channel, by name.
   *
   * @return the refused key, command or channel, as text
   */
  public String target() {
    return target;
  }

  /**
   * Returns what an operator must do, such as the ACL rule that allows the refused command.
   *
   * @return the remedy, as text
   */
  public String remedy() {
    return remedy;
  }
}

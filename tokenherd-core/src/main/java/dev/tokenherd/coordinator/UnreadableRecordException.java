package dev.tokenherd.coordinator;

import static java.util.Objects.requireNonNull;

import org.jspecify.annotations.Nullable;

/**
 * The stored record of a credential cannot be read by this worker. The record is left in place: it
 * is never overwritten or dropped, because it may hold the only valid refresh token.
 */
public final class UnreadableRecordException extends PermanentRefreshException {
  private static final long serialVersionUID = 1L;

  /** Why the record cannot be read. */
  public enum Problem {
    /** The record is malformed: a field is missing or has a value of the wrong form. */
    CORRUPT,
    /** A newer version of Tokenherd wrote the record, in a schema this version does not know. */
    SCHEMA_TOO_NEW,
    /**
     * The record is encrypted with a key this worker does not have, or its integrity check failed.
     */
    UNDECRYPTABLE
  }

  /** Why the record cannot be read. */
  private final Problem problem;

  /**
   * Creates the exception.
   *
   * @param key the credential
   * @param problem why the record cannot be read
   * @param detail what was wrong (a field name, a schema version), never a secret
   * @param cause the underlying failure, if any
   */
  public UnreadableRecordException(
      TokenKey key, Problem problem, String detail, @Nullable Throwable cause) {
    super(
        key,
        "stored record is unreadable ("
            + problem.name().toLowerCase(java.util.Locale.ROOT)
            + "): "
            + detail
            + "; it was left in place",
        null,
        cause);
    this.problem = requireNonNull(problem, "problem");
  }

  /**
   * Returns why the record cannot be read.
   *
   * @return the problem
   */
  public Problem problem() {
    return problem;
  }
}

package dev.tokenherd.examples.strategies;

/**
 * The authorization server answered {@code invalid_grant}: the refresh token the peer presented is
 * no longer valid (rotated away, or its family revoked after a reuse). A person must log in again.
 */
public final class CredentialRevokedException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /** Creates the exception with the cause the token endpoint reported. */
  public CredentialRevokedException(Throwable cause) {
    super("invalid_grant: the credential needs a new login", cause);
  }
}

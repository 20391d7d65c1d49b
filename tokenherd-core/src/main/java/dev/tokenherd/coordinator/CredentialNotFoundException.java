package dev.tokenherd.coordinator;

/**
 * The store holds no token set for a credential that needs one: seed it first with {@link
 * TokenCoordinator#seed(TokenSet)}. (Credentials renewed with the client_credentials grant never
 * raise this; they fetch their first token themselves.)
 */
public final class CredentialNotFoundException extends PermanentRefreshException {
  private static final long serialVersionUID = 1L;

  /**
   * Creates the exception.
   *
   * @param key the credential
   */
  public CredentialNotFoundException(TokenKey key) {
    super(key, "no token set stored; seed one first", null, null);
  }
}

package dev.tokenherd.examples.strategies;

/** Where a pod's callers get the shared credential's access token. Thread-safe. */
public interface TokenSource extends AutoCloseable {

  /**
   * Returns a usable access token, refreshing the credential the way the strategy does.
   *
   * @return the access token's value
   * @throws CredentialRevokedException if the server answered {@code invalid_grant} (the peers) or
   *     the credential requires re-authentication (Tokenherd's {@code
   *     ReauthenticationRequiredException} is reported as is)
   * @throws RuntimeException for any other failure
   */
  String accessToken();

  /** Releases the source's clients. */
  @Override
  void close();
}

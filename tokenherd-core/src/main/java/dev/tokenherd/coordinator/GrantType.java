package dev.tokenherd.coordinator;

/** The OAuth 2.0 grants Tokenherd uses to renew a credential. */
public enum GrantType {
  /** RFC 6749 sec. 6: exchange a refresh token for a new access token. */
  REFRESH_TOKEN("refresh_token"),
  /** RFC 6749 sec. 4.4: the client authenticates as itself. */
  CLIENT_CREDENTIALS("client_credentials");

  private final String wireName;

  GrantType(String wireName) {
    this.wireName = wireName;
  }

  /**
   * Returns the {@code grant_type} parameter value.
   *
   * @return the value sent on the wire, such as {@code refresh_token}
   */
  public String wireName() {
    return wireName;
  }
}

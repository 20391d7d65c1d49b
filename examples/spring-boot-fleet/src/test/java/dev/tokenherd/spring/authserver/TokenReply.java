package dev.tokenherd.spring.authserver;

import org.jspecify.annotations.Nullable;

/**
 * What a token endpoint answered to one request: the tokens on HTTP 200, else the OAuth error code.
 *
 * @param status the HTTP status
 * @param tokens the tokens, when {@code status} is 200
 * @param error the {@code error} of an error response (RFC 6749 section 5.2), or {@code null}
 */
public record TokenReply(int status, @Nullable GrantedTokens tokens, @Nullable String error) {

  /**
   * Returns the tokens, or fails naming the status and error.
   *
   * @return the tokens of a successful response
   * @throws IllegalStateException if the request failed
   */
  public GrantedTokens tokensOrThrow() {
    GrantedTokens granted = tokens;
    if (granted == null) {
      throw new IllegalStateException(
          "the token endpoint answered HTTP " + status + " with error " + error);
    }
    return granted;
  }
}

package dev.tokenherd.spring.boot;

/**
 * A {@code tokenherd.*} or {@code spring.data.redis.*} setting Tokenherd cannot start with; {@link
 * TokenherdFailureAnalyzer} shows which property and what to set instead. The message never holds a
 * secret.
 */
public class TokenherdConfigurationException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /** The property at fault, as written in application.properties. */
  private final String property;

  /** What to change. */
  private final String action;

  /**
   * Creates the exception.
   *
   * @param property the property at fault
   * @param problem what is wrong with it
   * @param action what to change
   */
  public TokenherdConfigurationException(String property, String problem, String action) {
    super(property + ": " + problem);
    this.property = property;
    this.action = action;
  }

  /**
   * Creates the exception with its cause.
   *
   * @param property the property at fault
   * @param problem what is wrong with it
   * @param action what to change
   * @param cause the underlying failure (its message must hold no secret)
   */
  public TokenherdConfigurationException(
      String property, String problem, String action, Throwable cause) {
    super(property + ": " + problem, cause);
    this.property = property;
    this.action = action;
  }

  /**
   * Returns the property at fault.
   *
   * @return its name
   */
  public String property() {
    return property;
  }

  /**
   * Returns what to change.
   *
   * @return the action
   */
  public String action() {
    return action;
  }
}

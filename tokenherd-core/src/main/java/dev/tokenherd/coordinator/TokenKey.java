package dev.tokenherd.coordinator;

import static java.util.Objects.requireNonNull;

import java.util.regex.Pattern;

/**
 * The name of one shared credential (for example {@code billing-api} or {@code tenant-42}).
 *
 * <p>Every worker that uses the same name shares the same token record, refresh lock and change
 * notifications. Names are 1 to 200 characters of letters, digits and {@code . _ - : @ /}; braces
 * are excluded because stores use them as hash tags (Redis Cluster).
 *
 * @param name the credential's name
 */
public record TokenKey(String name) {
  /** The longest name accepted. */
  public static final int MAX_LENGTH = 200;

  private static final Pattern VALID = Pattern.compile("[A-Za-z0-9._:@/-]{1," + MAX_LENGTH + "}");

  /**
   * Validates the name.
   *
   * @param name the credential's name: 1 to {@value #MAX_LENGTH} characters of letters, digits and
   *     {@code . _ - : @ /}
   * @throws IllegalArgumentException if the name is empty, too long or has other characters
   */
  public TokenKey {
    requireNonNull(name, "name");
    if (!VALID.matcher(name).matches()) {
      throw new IllegalArgumentException(
          "token key must be 1-"
              + MAX_LENGTH
              + " characters of [A-Za-z0-9._:@/-], got "
              + (name.length() > MAX_LENGTH ? name.length() + " characters" : "'" + name + "'"));
    }
  }

  /**
   * Returns the key with the given name.
   *
   * @param name the credential's name
   * @return the key
   * @throws IllegalArgumentException if the name is not valid
   */
  public static TokenKey of(String name) {
    return new TokenKey(name);
  }

  @Override
  public String toString() {
    return name;
  }
}

package dev.tokenherd.httpclient;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Reads the {@code WWW-Authenticate} challenges of a 401 (RFC 9110 sec. 11.6.1) as far as deciding
 * whether another access token may cure it needs: each challenge's scheme and parameters (a token68
 * is read as a parameter and never looked at).
 */
final class Challenges {
  private Challenges() {}

  /**
   * Returns whether the challenges blame the token: none given (many servers send none), or one of
   * the token's scheme whose {@code error} is absent or {@code invalid_token} (RFC 6750 sec. 3.1).
   * Challenges of other schemes only ({@code Basic}), or {@code insufficient_scope} or {@code
   * invalid_request}, ask for something that a new token of the same grant does not bring.
   *
   * @param headerValues the response's {@code WWW-Authenticate} values
   * @param tokenType the token's type, compared with the schemes ignoring case
   */
  static boolean blameToken(List<String> headerValues, String tokenType) {
    List<Challenge> challenges = parse(headerValues);
    if (challenges.isEmpty()) {
      return true;
    }
    for (Challenge challenge : challenges) {
      if (challenge.scheme.equalsIgnoreCase(tokenType)) {
        String error = challenge.parameters.get("error");
        return error == null || error.equals("invalid_token");
      }
    }
    return false;
  }

  private static List<Challenge> parse(List<String> headerValues) {
    List<Challenge> challenges = new ArrayList<>();
    for (String value : headerValues) {
      for (String item : items(value)) {
        int end = tokenEnd(item);
        String rest = item.substring(end).strip();
        if (rest.startsWith("=") && !challenges.isEmpty()) {
          // "name=value": a parameter of the challenge before it
          challenges.get(challenges.size() - 1).put(item.substring(0, end), rest);
        } else {
          // "scheme", or "scheme name=value" with its first parameter
          Challenge challenge = new Challenge(item.substring(0, end));
          int nameEnd = tokenEnd(rest);
          challenge.put(rest.substring(0, nameEnd), rest.substring(nameEnd).strip());
          challenges.add(challenge);
        }
      }
    }
    return challenges;
  }

  /** The end of the token that starts {@code item}: its first blank or {@code =}. */
  private static int tokenEnd(String item) {
    int i = 0;
    while (i < item.length() && item.charAt(i) != '=' && !Character.isWhitespace(item.charAt(i))) {
      i++;
    }
    return i;
  }

  /** The comma-separated items of a header value, stripped; commas inside quotes do not split. */
  private static List<String> items(String value) {
    List<String> items = new ArrayList<>();
    StringBuilder item = new StringBuilder();
    boolean quoted = false;
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      if (c == ',' && !quoted) {
        items.add(item.toString().strip());
        item.setLength(0);
        continue;
      }
      if (c == '"') {
        quoted = !quoted;
      } else if (c == '\\' && quoted && i + 1 < value.length()) {
        item.append(c);
        c = value.charAt(++i); // an escaped character, a quote perhaps
      }
      item.append(c);
    }
    items.add(item.toString().strip());
    items.removeIf(String::isEmpty);
    return items;
  }

  /** A challenge's scheme and parameters, names in lower case, values unquoted. */
  private static final class Challenge {
    final String scheme;
    final Map<String, String> parameters = new HashMap<>();

    Challenge(String scheme) {
      this.scheme = scheme;
    }

    /** Adds the parameter {@code name}, given what follows the name: "= value", or nothing. */
    void put(String name, String assignment) {
      if (name.isEmpty() || !assignment.startsWith("=")) {
        return;
      }
      String value = assignment.substring(1).strip();
      if (value.length() >= 2 && value.startsWith("\"") && value.endsWith("\"")) {
        value = value.substring(1, value.length() - 1).replaceAll("\\\\(.)", "$1");
      }
      parameters.put(name.toLowerCase(Locale.ROOT), value);
    }
  }
}

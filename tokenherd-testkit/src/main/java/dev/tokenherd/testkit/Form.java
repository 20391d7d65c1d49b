package dev.tokenherd.testkit;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * An {@code application/x-www-form-urlencoded} token request body.
 *
 * @param parameters every parameter's values, in the order they came
 * @param valid {@code false} if the body's percent-encoding was malformed (then it has none)
 */
record Form(Map<String, List<String>> parameters, boolean valid) {
  static Form parse(String body) {
    Map<String, List<String>> parameters = new LinkedHashMap<>();
    if (body.isEmpty()) {
      return new Form(parameters, true);
    }
    try {
      for (String pair : body.split("&", -1)) {
        int equals = pair.indexOf('=');
        String name = equals < 0 ? pair : pair.substring(0, equals);
        String value = equals < 0 ? "" : pair.substring(equals + 1);
        parameters
            .computeIfAbsent(
                URLDecoder.decode(name, StandardCharsets.UTF_8), n -> new ArrayList<>())
            .add(URLDecoder.decode(value, StandardCharsets.UTF_8));
      }
      return new Form(parameters, true);
    } catch (IllegalArgumentException e) {
      return new Form(Map.of(), false); // bad percent-encoding
    }
  }

  @Nullable String first(String name) {
    List<String> values = parameters.get(name);
    return values == null ? null : values.get(0);
  }

  String firstOr(String name, String otherwise) {
    String value = first(name);
    return value == null ? otherwise : value;
  }

  /** RFC 6749 sec. 3.2: parameters must not be repeated. */
  @Nullable String duplicate() {
    for (Map.Entry<String, List<String>> parameter : parameters.entrySet()) {
      if (parameter.getValue().size() > 1) {
        return parameter.getKey();
      }
    }
    return null;
  }
}

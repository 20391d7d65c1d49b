package dev.tokenherd.examples;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

/**
 * One run of the demo's main in this JVM, with what it printed: for the tests of the run against
 * the user's own server, which give it an environment of their own.
 *
 * @param status the exit status
 * @param stdout what it printed on standard output
 * @param stderr what it printed on standard error
 */
record DemoRun(int status, String stdout, String stderr) {
  private static final ObjectMapper JSON = new ObjectMapper();

  /**
   * Runs {@link FleetDemo#run} with {@code environment} as the process environment and no input.
   *
   * @param environment the variables the run sees
   * @param argv the command line
   * @return the exit status and the output
   */
  static DemoRun of(Map<String, String> environment, String... argv) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int status =
        FleetDemo.run(
            argv,
            new PrintStream(out, true, StandardCharsets.UTF_8),
            new PrintStream(err, true, StandardCharsets.UTF_8),
            new ByteArrayInputStream(new byte[0]),
            environment::get);
    return new DemoRun(
        status, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
  }

  /** Returns the last line of standard output as JSON (the {@code --json} line). */
  JsonNode lastJson() throws IOException {
    List<String> lines = stdout.lines().toList();
    return JSON.readTree(lines.get(lines.size() - 1));
  }
}

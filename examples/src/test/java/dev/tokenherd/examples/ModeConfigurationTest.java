package dev.tokenherd.examples;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * How the worker and fake-auth-server modes treat a wrong configuration: each is rejected before
 * anything connects, with an exit status and a message that never shows a secret.
 */
final class ModeConfigurationTest {
  private static final String ENV_SECRET = "env-secret-value";
  private static final String FILE_SECRET = "file-secret-value";

  @TempDir Path directory;

  private final Map<String, String> environment = new HashMap<>();
  private final ByteArrayOutputStream out = new ByteArrayOutputStream();
  private final ByteArrayOutputStream err = new ByteArrayOutputStream();

  @Test
  void worker_bothSecretVariables_exits2_namingBoth() throws IOException {
    environment.put(ClientSecret.VARIABLE, ENV_SECRET);
    environment.put(ClientSecret.FILE_VARIABLE, secretFile().toString());

    assertThat(run(worker())).isEqualTo(2);
    assertThat(err())
        .contains(
            "fleet-demo: both TOKENHERD_CLIENT_SECRET and TOKENHERD_CLIENT_SECRET_FILE are set")
        .doesNotContain(ENV_SECRET)
        .doesNotContain(FILE_SECRET);
  }

  @Test
  void fakeAuthServer_bothSecretVariables_exits2() throws IOException {
    environment.put(ClientSecret.VARIABLE, ENV_SECRET);
    environment.put(ClientSecret.FILE_VARIABLE, secretFile().toString());

    assertThat(run("fake-auth-server", "--port", "0")).isEqualTo(2);
    assertThat(err()).contains("both TOKENHERD_CLIENT_SECRET and TOKENHERD_CLIENT_SECRET_FILE");
  }

  @Test
  void worker_unreadableSecretFile_exits1_namingThePath() {
    String missing = directory.resolve("missing-secret").toString();
    environment.put(ClientSecret.FILE_VARIABLE, missing);

    assertThat(run(worker())).isEqualTo(1);
    assertThat(err())
        .isEqualTo(
            "fleet-demo: cannot read TOKENHERD_CLIENT_SECRET_FILE "
                + missing
                + ": no such file"
                + System.lineSeparator());
  }

  @Test
  void fakeAuthServer_unreadableSecretFile_exits1() {
    environment.put(ClientSecret.FILE_VARIABLE, directory.toString());

    assertThat(run("fake-auth-server", "--port", "0")).isEqualTo(1);
    assertThat(err()).contains("TOKENHERD_CLIENT_SECRET_FILE " + directory + ": it is a directory");
  }

  @Test
  void worker_noSecretAnywhere_exits2_namingAllThreeWays() {
    assertThat(run(worker())).isEqualTo(2);
    assertThat(err())
        .contains(
            "--client-secret (or TOKENHERD_CLIENT_SECRET, or TOKENHERD_CLIENT_SECRET_FILE) is"
                + " required");
  }

  @Test
  void worker_badHealthSettings_exit2() {
    environment.put(ClientSecret.VARIABLE, ENV_SECRET);
    assertThat(run(worker("--unhealthy-after", "0s"))).isEqualTo(2);
    assertThat(err()).contains("--unhealthy-after must be positive");

    err.reset();
    environment.put(HealthServer.PORT_VARIABLE, "eighty");
    assertThat(run(worker())).isEqualTo(2);
    assertThat(err()).contains("TOKENHERD_HEALTH_PORT must be a port number");
    assertThat(out.toString(StandardCharsets.UTF_8)).doesNotContain(ENV_SECRET);
  }

  @Test
  void help_namesTheVariables() {
    assertThat(run("help")).isZero();
    assertThat(out.toString(StandardCharsets.UTF_8))
        .contains(
            "TOKENHERD_CLIENT_SECRET_FILE",
            "TOKENHERD_HEALTH_PORT",
            "--health-port",
            "--unhealthy");
  }

  @Test
  void target_toString_showsNoSecret() {
    Target target =
        new Target(
            "redis://default:redis-password@redis:6379",
            URI.create("http://fake-auth-server:8080/token"),
            "client",
            ENV_SECRET,
            "fleet-demo");

    assertThat(target.toString())
        .contains("redis://(redacted)@redis:6379", "client", "fleet-demo")
        .doesNotContain(ENV_SECRET)
        .doesNotContain("redis-password");
  }

  private static String[] worker(String... more) {
    List<String> arguments =
        new java.util.ArrayList<>(
            List.of(
                "worker",
                "--redis",
                "redis://127.0.0.1:1",
                "--token-endpoint",
                "http://127.0.0.1:1/token"));
    arguments.addAll(List.of(more));
    return arguments.toArray(String[]::new);
  }

  private int run(String... argv) {
    return FleetDemo.run(
        argv,
        new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8),
        new ByteArrayInputStream(new byte[0]),
        environment::get);
  }

  private String err() {
    return err.toString(StandardCharsets.UTF_8);
  }

  private Path secretFile() throws IOException {
    Path file = directory.resolve("client-secret");
    Files.writeString(file, FILE_SECRET + "\n");
    return file;
  }
}

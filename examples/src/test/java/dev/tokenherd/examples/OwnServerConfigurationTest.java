package dev.tokenherd.examples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tokenherd.coordinator.RefreshPolicy;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * How the run against the user's own server ({@code --issuer}, {@code --token-uri}) treats a
 * command line it must not run: each is refused before anything connects, with the reason, and no
 * secret in the output. The runs themselves are in {@link OwnServerIT}.
 */
final class OwnServerConfigurationTest {
  private static final String ISSUER = "https://idp.example.com";
  private static final String REFRESH_TOKEN = "refresh-token-value";

  @TempDir Path directory;

  private final Map<String, String> environment = new HashMap<>();
  private DemoRun last = new DemoRun(0, "", "");

  @Test
  void compareOrAnotherStrategy_exit2_sayingThePeersWouldGetTheFamilyRevoked() {
    assertThat(run(own("--compare"))).isEqualTo(2);
    assertThat(err()).contains("--compare runs the naive", "revoke the token family");

    assertThat(run(own("--strategy", "naive"))).isEqualTo(2);
    assertThat(err()).contains("--strategy naive runs the naive", "only Tokenherd runs");
  }

  @Test
  void strategyTokenherd_isAccepted() {
    OwnServerOptions options = OwnServerOptions.parse(List.of(own("--strategy", "tokenherd")));
    assertThat(options.issuer()).isEqualTo(URI.create(ISSUER));
  }

  @Test
  void optionsOfTheFakeServerOrOfProcesses_exit2_withTheReason() {
    assertThat(run(own("--ttl", "3s"))).isEqualTo(2);
    assertThat(err()).contains("your server decides how long its tokens live", "--refresh-ahead");

    assertThat(run(own("--processes"))).isEqualTo(2);
    assertThat(err()).contains("--processes is not available with --issuer");
  }

  @Test
  void clientSecretOnTheCommandLine_exit2_withoutEchoingIt() {
    assertThat(run(own("--client-secret", "s3cr3t-value"))).isEqualTo(2);
    assertThat(err())
        .contains("--client-secret would show the secret", "--client-secret-file")
        .doesNotContain("s3cr3t-value");
  }

  @Test
  void badServerOptions_exit2() {
    assertUsageError(
        "give --issuer or --token-uri, not both", own("--token-uri", ISSUER + "/token"));
    assertUsageError(
        "--token-uri must use https",
        "--token-uri",
        "http://idp.example.com/token",
        "--client-id",
        "c",
        "--refresh-token-file",
        "f");
    assertUsageError(
        "--issuer must use https",
        "--issuer",
        "http://idp.example.com",
        "--client-id",
        "c",
        "--refresh-token-file",
        "f");
    assertUsageError(
        "--issuer must be an absolute https URI",
        "--issuer",
        "idp.example.com",
        "--client-id",
        "c",
        "--refresh-token-file",
        "f");
    assertUsageError(
        "--issuer must have no user info",
        "--issuer",
        "https://user:pw@idp.example.com",
        "--client-id",
        "c",
        "--refresh-token-file",
        "f");
    assertThat(err()).doesNotContain("pw@");
  }

  @Test
  void missingOrBadValues_exit2() {
    assertUsageError("--client-id is required", "--issuer", ISSUER, "--refresh-token-file", "f");
    assertUsageError("--refresh-token-file is required", "--issuer", ISSUER, "--client-id", "c");
    assertUsageError("--refresh-ahead must be between 0 and 1", own("--refresh-ahead", "1"));
    assertUsageError("--refresh-ahead must be between 0 and 1", own("--refresh-ahead", "0"));
    assertUsageError("--refresh-ahead must be a fraction", own("--refresh-ahead", "half"));
    assertUsageError("--scope must name at least one scope", own("--scope", " "));
    assertUsageError("--duration must be positive", own("--duration", "0s"));
    assertUsageError(
        "--public-client has no secret", own("--public-client", "--client-secret-file", "f"));
  }

  @Test
  void noClientSecretAnywhere_exit2_namingEveryWay() throws IOException {
    Path tokens = tokenFile(REFRESH_TOKEN + "\n");
    assertThat(
            run("--issuer", ISSUER, "--client-id", "c", "--refresh-token-file", tokens.toString()))
        .isEqualTo(2);
    assertThat(err())
        .contains(
            "the client secret is required: --client-secret-file F, or"
                + " TOKENHERD_CLIENT_SECRET_FILE or TOKENHERD_CLIENT_SECRET",
            "--public-client");
  }

  @Test
  void emptyMissingOrMalformedRefreshTokenFile_exit1_beforeAnyRequest() throws IOException {
    environment.put(ClientSecret.VARIABLE, "client-secret-value");
    Path empty = tokenFile("\n");
    assertThat(run(ownWith(empty))).isEqualTo(1);
    assertThat(err()).contains("cannot read --refresh-token-file " + empty + ": it is empty");

    Path missing = directory.resolve("missing");
    assertThat(run(ownWith(missing))).isEqualTo(1);
    assertThat(err()).contains("cannot read --refresh-token-file " + missing + ": no such file");

    Path json = tokenFile("{\"refresh_token\": \"" + REFRESH_TOKEN + "\"}");
    assertThat(run(ownWith(json))).isEqualTo(1);
    assertThat(err())
        .contains("must hold one refresh token on one line")
        .doesNotContain(REFRESH_TOKEN)
        .doesNotContain("client-secret-value");
  }

  @Test
  void clientSecretFile_unreadable_exit1_namingTheOption() {
    Path missing = directory.resolve("no-secret");
    assertThat(run(own("--client-secret-file", missing.toString()))).isEqualTo(1);
    assertThat(err()).contains("cannot read --client-secret-file " + missing + ": no such file");
  }

  @Test
  void parse_defaultsAndInsecureOptIn() {
    OwnServerOptions options =
        OwnServerOptions.parse(
            List.of(
                "--token-uri",
                "http://idp.internal/token",
                "--allow-insecure-http",
                "--client-id",
                "c",
                "--refresh-token-file",
                "f",
                "--scope",
                "read  write"));
    assertThat(options.tokenUri()).isEqualTo(URI.create("http://idp.internal/token"));
    assertThat(options.server()).isEqualTo(options.tokenUri());
    assertThat(options.scopes()).containsExactlyInAnyOrder("read", "write");
    assertThat(options.pods()).isEqualTo(4);
    assertThat(options.threads()).isEqualTo(16);
    assertThat(options.duration()).isEqualTo(Duration.ofSeconds(20));
    assertThat(options.refreshAhead()).isEqualTo(RefreshPolicy.DEFAULT_REFRESH_AHEAD_FRACTION);
    assertThat(options.policy().refreshJitter()).isEqualTo(RefreshPolicy.DEFAULT_REFRESH_JITTER);
  }

  @Test
  void policy_smallRefreshAhead_keepsTheJitterBelowIt() {
    OwnServerOptions options = OwnServerOptions.parse(List.of(own("--refresh-ahead", "0.02")));
    assertThat(options.policy().refreshAheadFraction()).isEqualTo(0.02);
    assertThat(options.policy().refreshJitter()).isEqualTo(0.01);
  }

  @Test
  void secure_httpsOrLoopbackLiteralsOnly() {
    assertThat(OwnServerOptions.secure(URI.create("https://idp.example.com"))).isTrue();
    assertThat(OwnServerOptions.secure(URI.create("http://localhost:8080"))).isTrue();
    assertThat(OwnServerOptions.secure(URI.create("http://127.0.0.1:8080/token"))).isTrue();
    assertThat(OwnServerOptions.secure(URI.create("http://[::1]:8080/token"))).isTrue();
    assertThat(OwnServerOptions.secure(URI.create("http://127.example.com/token"))).isFalse();
    assertThat(OwnServerOptions.secure(URI.create("http://idp.example.com"))).isFalse();
  }

  @Test
  void isRequested_byEitherOptionInEitherForm() {
    assertThat(OwnServerOptions.isRequested(List.of("--issuer", ISSUER))).isTrue();
    assertThat(OwnServerOptions.isRequested(List.of("--token-uri=" + ISSUER))).isTrue();
    assertThat(OwnServerOptions.isRequested(List.of("--pods", "2", "--compare"))).isFalse();
  }

  @Test
  void report_suggestedFraction_fourRefreshesPerRun_butNotMoreOftenThanEveryFiveSeconds() {
    // 20 s run, 1 h tokens: every 5 s (not 5 s / 4), 5 / 3600 = 0.00139
    assertThat(OwnServerReport.suggestedFraction(Duration.ofHours(1), Duration.ofSeconds(20)))
        .isEqualTo("0.0014");
    // 2 min run, 5 min tokens: every 30 s
    assertThat(OwnServerReport.suggestedFraction(Duration.ofMinutes(5), Duration.ofMinutes(2)))
        .isEqualTo("0.1");
    // never more than half the lifetime
    assertThat(OwnServerReport.suggestedFraction(Duration.ofSeconds(10), Duration.ofHours(1)))
        .isEqualTo("0.5");
  }

  @Test
  void report_human_durations() {
    assertThat(OwnServerReport.human(Duration.ofMillis(850))).isEqualTo("850ms");
    assertThat(OwnServerReport.human(Duration.ofSeconds(45))).isEqualTo("45s");
    assertThat(OwnServerReport.human(Duration.ofSeconds(330))).isEqualTo("5m30s");
    assertThat(OwnServerReport.human(Duration.ofHours(1))).isEqualTo("1h0m");
    assertThat(OwnServerReport.human(Duration.ofMinutes(150))).isEqualTo("2h30m");
  }

  @Test
  void help_showsTheOwnServerOptions() {
    assertThat(run("--help")).isZero();
    assertThat(last.stdout())
        .contains(
            "--issuer URL|--token-uri URL", "--refresh-token-file F", "--refresh-ahead FRACTION");
  }

  @Test
  void parse_unknownOption_isAUsageError() {
    assertThatThrownBy(() -> OwnServerOptions.parse(List.of(own("--bogus"))))
        .isInstanceOf(UsageException.class)
        .hasMessage("unknown option: --bogus");
  }

  private void assertUsageError(String message, String... argv) {
    assertThat(run(argv)).as(String.join(" ", argv)).isEqualTo(2);
    assertThat(err()).contains("fleet-demo: " + message, "usage:");
  }

  /** A valid command line for the issuer, then {@code more}. */
  private static String[] own(String... more) {
    List<String> argv =
        new ArrayList<>(
            List.of("--issuer", ISSUER, "--client-id", "c", "--refresh-token-file", "f"));
    argv.addAll(List.of(more));
    return argv.toArray(String[]::new);
  }

  private static String[] ownWith(Path tokens) {
    return new String[] {
      "--issuer", ISSUER, "--client-id", "c", "--refresh-token-file", tokens.toString()
    };
  }

  private Path tokenFile(String content) throws IOException {
    Path file = Files.createTempFile(directory, "refresh-token", "");
    Files.writeString(file, content);
    return file;
  }

  private int run(String... argv) {
    last = DemoRun.of(environment, argv);
    return last.status();
  }

  private String err() {
    return last.stderr();
  }
}

package dev.tokenherd.examples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.HashMap;
import java.util.Map;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

final class ClientSecretTest {
  private static final String SECRET = "s3cr3t-from-a-file";

  @TempDir Path directory;

  private final Map<String, String> variables = new HashMap<>();
  private final Function<String, String> environment = variables::get;

  @Test
  void nothingGiven_isNull() {
    assertThat(ClientSecret.resolve(null, environment)).isNull();
  }

  @Test
  void theVariable_isTheSecret() {
    variables.put(ClientSecret.VARIABLE, "from-the-environment");

    assertThat(ClientSecret.resolve(null, environment)).isEqualTo("from-the-environment");
  }

  @Test
  void theFileVariable_readsTheFile_withoutItsTrailingNewline() throws IOException {
    variables.put(ClientSecret.FILE_VARIABLE, write("secret", SECRET + "\n").toString());

    assertThat(ClientSecret.resolve(null, environment)).isEqualTo(SECRET);
  }

  @Test
  void theFlag_winsOverEitherVariable() throws IOException {
    variables.put(ClientSecret.FILE_VARIABLE, write("secret", SECRET).toString());
    assertThat(ClientSecret.resolve("from-the-flag", environment)).isEqualTo("from-the-flag");

    variables.clear();
    variables.put(ClientSecret.VARIABLE, "from-the-environment");
    assertThat(ClientSecret.resolve("from-the-flag", environment)).isEqualTo("from-the-flag");
  }

  @Test
  void emptyVariables_countAsUnset() throws IOException {
    variables.put(ClientSecret.VARIABLE, "");
    variables.put(ClientSecret.FILE_VARIABLE, write("secret", SECRET).toString());
    assertThat(ClientSecret.resolve(null, environment)).isEqualTo(SECRET);

    variables.put(ClientSecret.VARIABLE, "from-the-environment");
    variables.put(ClientSecret.FILE_VARIABLE, "");
    assertThat(ClientSecret.resolve(null, environment)).isEqualTo("from-the-environment");
  }

  @Test
  void bothVariables_isAConfigurationError_namingBoth_showingNeither() throws IOException {
    variables.put(ClientSecret.VARIABLE, "from-the-environment");
    variables.put(ClientSecret.FILE_VARIABLE, write("secret", SECRET).toString());

    assertThatThrownBy(() -> ClientSecret.resolve(null, environment))
        .isInstanceOf(UsageException.class)
        .hasMessageContaining("TOKENHERD_CLIENT_SECRET and TOKENHERD_CLIENT_SECRET_FILE")
        .message()
        .doesNotContain("from-the-environment")
        .doesNotContain(SECRET);
    // even with the flag: one of the two is stale, and that should not go unnoticed
    assertThatThrownBy(() -> ClientSecret.resolve("from-the-flag", environment))
        .isInstanceOf(UsageException.class);
  }

  @Test
  void read_trimsTrailingLineBreaksOnly() throws IOException {
    assertThat(ClientSecret.read(write("crlf", SECRET + "\r\n").toString())).isEqualTo(SECRET);
    assertThat(ClientSecret.read(write("two", SECRET + "\n\n").toString())).isEqualTo(SECRET);
    assertThat(ClientSecret.read(write("none", SECRET).toString())).isEqualTo(SECRET);
    assertThat(ClientSecret.read(write("inner", " a b\nc \n").toString())).isEqualTo(" a b\nc ");
    assertThat(ClientSecret.read(write("utf8", "pässwörd\n").toString())).isEqualTo("pässwörd");
  }

  @Test
  void read_missingFile_namesThePath() {
    String missing = directory.resolve("no-such-secret").toString();

    assertThatThrownBy(() -> ClientSecret.read(missing))
        .isInstanceOf(DemoException.class)
        .hasMessage("cannot read TOKENHERD_CLIENT_SECRET_FILE " + missing + ": no such file");
  }

  @Test
  void read_directory_namesThePath() {
    assertThatThrownBy(() -> ClientSecret.read(directory.toString()))
        .isInstanceOf(DemoException.class)
        .hasMessage(
            "cannot read TOKENHERD_CLIENT_SECRET_FILE " + directory + ": it is a directory");
  }

  @Test
  void read_emptyFile_orOnlyANewline_isAnError() throws IOException {
    for (String content : new String[] {"", "\n", "\r\n"}) {
      Path file = write("empty", content);
      assertThatThrownBy(() -> ClientSecret.read(file.toString()))
          .isInstanceOf(DemoException.class)
          .hasMessageEndingWith(file + ": it is empty");
    }
  }

  @Test
  void read_notUtf8_isAnError_withoutTheBytes() throws IOException {
    Path file = directory.resolve("latin1");
    Files.write(file, "caf\u00e9-secret".getBytes(StandardCharsets.ISO_8859_1));

    assertThatThrownBy(() -> ClientSecret.read(file.toString()))
        .isInstanceOf(DemoException.class)
        .hasMessageEndingWith(file + ": not UTF-8 text")
        .message()
        .doesNotContain("-secret");
  }

  @Test
  void read_pathThroughAFile_givesTheSystemsReason() throws IOException {
    String location = write("plain", SECRET).resolve("secret").toString();

    assertThatThrownBy(() -> ClientSecret.read(location))
        .isInstanceOf(DemoException.class)
        .hasMessage("cannot read TOKENHERD_CLIENT_SECRET_FILE " + location + ": Not a directory");
  }

  @Test
  void read_unreadableFile_saysWhoMustReadIt() throws IOException {
    Path file = write("private", SECRET);
    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("---------"));
    // root reads every file: this one runs only where the tests do not run as root
    assumeFalse(Files.isReadable(file), "running as root");

    assertThatThrownBy(() -> ClientSecret.read(file.toString()))
        .isInstanceOf(DemoException.class)
        .hasMessageContaining(file + ": permission denied")
        .message()
        .doesNotContain(SECRET);
  }

  @Test
  void read_tooLarge_isAnError() throws IOException {
    Path file = directory.resolve("large");
    Files.write(file, new byte[ClientSecret.MAX_FILE_BYTES + 1]);

    assertThatThrownBy(() -> ClientSecret.read(file.toString()))
        .isInstanceOf(DemoException.class)
        .hasMessageEndingWith(file + ": larger than 65536 bytes");
  }

  @Test
  void read_exactlyTheLimit_isRead() throws IOException {
    Path file = directory.resolve("limit");
    Files.writeString(file, "x".repeat(ClientSecret.MAX_FILE_BYTES));

    assertThat(ClientSecret.read(file.toString())).hasSize(ClientSecret.MAX_FILE_BYTES);
  }

  @Test
  void read_invalidPath_isAnError() {
    assertThatThrownBy(() -> ClientSecret.read("bad\u0000path"))
        .isInstanceOf(DemoException.class)
        .hasMessageStartingWith("TOKENHERD_CLIENT_SECRET_FILE is not a valid path");
  }

  private Path write(String name, String content) throws IOException {
    Path file = Files.createTempFile(directory, name, ".txt");
    Files.writeString(file, content, StandardCharsets.UTF_8);
    return file;
  }
}

package dev.tokenherd.examples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The write-back of a rotated refresh token, on real files: a new file moved over the old one
 * (never a half-written file), the user's permissions and line break kept, a symbolic link kept, a
 * file changed meanwhile left alone, and failures that name the path, never the token.
 */
final class RefreshTokenFileTest {
  private static final String OLD = "old-refresh-token";
  private static final String NEW = "new-refresh-token";

  @TempDir Path directory;

  @Test
  void save_rotated_movesANewFileOverTheOld_keepingOwnerOnlyPermissionsAndTheLineBreak()
      throws Exception {
    Path path = file("refresh-token", OLD + "\n", "rw-------");
    Object before = fileKey(path);
    RefreshTokenFile file = RefreshTokenFile.read(path.toString());

    assertThat(file.save(NEW)).isEqualTo(path.toRealPath());

    assertThat(Files.readString(path)).isEqualTo(NEW + "\n");
    assertThat(permissions(path)).isEqualTo("rw-------");
    // another inode: the content arrived by rename, not by rewriting the user's file in place
    assertThat(fileKey(path)).isNotEqualTo(before);
    assertThat(filesIn(directory)).containsExactly("refresh-token");
  }

  @Test
  void save_groupReadableFile_keepsItsPermissions_andNoLineBreakIfThereWasNone() throws Exception {
    Path path = file("token.txt", OLD, "rw-r-----");
    RefreshTokenFile file = RefreshTokenFile.read(path.toString());

    var unused = file.save(NEW);

    assertThat(Files.readString(path)).isEqualTo(NEW);
    assertThat(permissions(path)).isEqualTo("rw-r-----");
  }

  @Test
  void save_sameTokenAgainOrNotRotated_writesNothing() throws Exception {
    Path path = file("refresh-token", OLD + "\n", "rw-------");
    RefreshTokenFile file = RefreshTokenFile.read(path.toString());
    assertThat(file.save(OLD)).isNull();

    var unused = file.save(NEW);
    Object written = fileKey(path);
    assertThat(file.save(NEW)).isNull();
    assertThat(fileKey(path)).isEqualTo(written);
  }

  @Test
  void save_throughASymbolicLink_replacesTheTargetAndKeepsTheLink() throws Exception {
    Path target = file("real-token", OLD + "\n", "rw-------");
    Path link = Files.createSymbolicLink(directory.resolve("link"), target);
    RefreshTokenFile file = RefreshTokenFile.read(link.toString());

    var unused = file.save(NEW);

    assertThat(Files.isSymbolicLink(link)).isTrue();
    assertThat(Files.readString(target)).isEqualTo(NEW + "\n");
  }

  @Test
  void save_fileChangedDuringTheRun_leavesItAndWritesBesideIt() throws Exception {
    Path path = file("refresh-token", OLD + "\n", "rw-------");
    RefreshTokenFile file = RefreshTokenFile.read(path.toString());
    Files.writeString(path, "token-of-a-new-login\n");

    Path where = file.save(NEW);

    assertThat(Files.readString(path)).isEqualTo("token-of-a-new-login\n");
    assertThat(where)
        .isEqualTo(directory.resolve("refresh-token" + RefreshTokenFile.SIBLING_SUFFIX));
    assertThat(RefreshTokenFile.isSibling(where)).isTrue();
    assertThat(Files.readString(where)).isEqualTo(NEW + "\n");
    assertThat(permissions(where)).isEqualTo("rw-------");
  }

  @Test
  void save_directoryGone_failsNamingThePathNotTheToken() throws Exception {
    Path gone = Files.createDirectory(directory.resolve("gone"));
    Path path = file("gone/refresh-token", OLD + "\n", "rw-------");
    RefreshTokenFile file = RefreshTokenFile.read(path.toString());
    Files.delete(path);
    Files.delete(gone);

    assertThatThrownBy(() -> file.save(NEW))
        .isInstanceOf(RefreshTokenFile.WriteBackException.class)
        .hasMessageContaining(path.toString())
        .hasMessageContaining("no such file or directory")
        .satisfies(e -> assertThat(e.getMessage()).doesNotContain(NEW).doesNotContain(OLD));
  }

  @Test
  void rescue_writesAnOwnerOnlyFile() throws Exception {
    Path path = file("refresh-token", OLD + "\n", "rw-r--r--");
    RefreshTokenFile file = RefreshTokenFile.read(path.toString());
    Path home = Files.createDirectory(directory.resolve("home"));

    Path rescued = file.rescue(home, NEW);

    assertThat(rescued.getParent()).isEqualTo(home);
    assertThat(Files.readString(rescued)).isEqualTo(NEW + "\n");
    assertThat(permissions(rescued)).isEqualTo("rw-------");
  }

  @Test
  void read_moreThanOneToken_isRefusedWithoutShowingIt() throws Exception {
    Path path = file("tokens", OLD + " " + NEW, "rw-------");
    assertThatThrownBy(() -> RefreshTokenFile.read(path.toString()))
        .isInstanceOf(DemoException.class)
        .hasMessageContaining("--refresh-token-file " + path)
        .satisfies(e -> assertThat(e.getMessage()).doesNotContain(OLD));
  }

  private Path file(String name, String content, String permissions) throws IOException {
    Path path = directory.resolve(name);
    Files.writeString(path, content);
    Files.setPosixFilePermissions(path, PosixFilePermissions.fromString(permissions));
    return path;
  }

  private static String permissions(Path path) throws IOException {
    return PosixFilePermissions.toString(Files.getPosixFilePermissions(path));
  }

  private static Object fileKey(Path path) throws IOException {
    return Files.readAttributes(path, BasicFileAttributes.class).fileKey();
  }

  private static java.util.List<String> filesIn(Path directory) throws IOException {
    try (Stream<Path> files = Files.list(directory)) {
      return files.map(p -> p.getFileName().toString()).toList();
    }
  }
}

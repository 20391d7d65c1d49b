package dev.tokenherd.examples;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipal;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * The user's refresh-token file ({@code --refresh-token-file}): read once at the start, and written
 * back whenever the server has rotated the token, because after a rotation the token in the file is
 * dead and the current one would otherwise exist only in the demo's memory and Redis.
 *
 * <p>A write never leaves a half-written or missing file: the token goes to a temporary file in the
 * same directory (created owner-only, so the token is never readable by others on the way), which
 * is flushed to disk, given the original's POSIX permissions (and owner, where this process may set
 * it), and moved over the original with {@code ATOMIC_MOVE}: a reader sees the old token or the new
 * one. A symbolic link is followed: the file it points to is replaced, the link stays.
 *
 * <p>If the file's content changed during the run (a new login wrote it), it is not overwritten:
 * the token goes to a sibling file instead. Messages name paths and reasons, never the token.
 */
final class RefreshTokenFile {
  /** The option that names the file, for messages. */
  static final String OPTION = "--refresh-token-file";

  /** The sibling file's suffix, used when the file changed underneath the run. */
  static final String SIBLING_SUFFIX = ".tokenherd-current";

  private static final Set<PosixFilePermission> OWNER_ONLY =
      Set.of(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE);

  private final Path path;
  private final String initial;
  private final String lineEnd;
  private @Nullable String written;

  private RefreshTokenFile(Path path, String initial, String lineEnd) {
    this.path = path;
    this.initial = initial;
    this.lineEnd = lineEnd;
  }

  /**
   * Reads the refresh token from the file at {@code location}, with the rules of a secret file:
   * UTF-8, at most {@value ClientSecret#MAX_FILE_BYTES} bytes, trailing line breaks not part of it.
   *
   * @param location the path the user gave
   * @return the file, holding its token
   * @throws DemoException naming the path and the reason (empty, missing, unreadable)
   */
  static RefreshTokenFile read(String location) {
    String token = ClientSecret.read(OPTION, location);
    if (token.isBlank() || token.chars().anyMatch(Character::isWhitespace)) {
      throw new DemoException(
          OPTION
              + " "
              + location
              + " must hold one refresh token on one line, without spaces: not a JSON document"
              + " or a list");
    }
    Path path = Path.of(location);
    String lineEnd = "";
    try {
      // keep the line break the user's editor or `echo` wrote, as tools that read the file expect
      String raw = Files.readString(path, StandardCharsets.UTF_8);
      lineEnd = raw.startsWith(token) ? raw.substring(token.length()) : "";
    } catch (IOException e) {
      // read a moment ago; without a line break the token is still the same token
    }
    return new RefreshTokenFile(path, token, lineEnd);
  }

  /** Returns the path the user gave. */
  Path path() {
    return path;
  }

  /** Returns the refresh token the file held at the start. */
  String initial() {
    return initial;
  }

  /**
   * Writes {@code token} back, unless it is already there (the server did not rotate, or this token
   * was written before).
   *
   * @param token the server's current refresh token
   * @return where it was written, or {@code null} if nothing needed writing
   * @throws WriteBackException if it could not be written; the message names the path, the step and
   *     the reason, never the token
   */
  synchronized @Nullable Path save(String token) throws WriteBackException {
    if (token.equals(written) || (written == null && token.equals(initial))) {
      return null;
    }
    Path target;
    try {
      target = path.toRealPath();
    } catch (IOException e) {
      throw new WriteBackException(path, "cannot resolve the file", e);
    }
    Path destination = target;
    String onDisk = currentContent(target);
    String expected = written != null ? written : initial;
    if (onDisk != null && !onDisk.equals(expected) && !onDisk.equals(token)) {
      // someone put another token there meanwhile (a new login): theirs stays, ours goes beside it
      destination = target.resolveSibling(target.getFileName() + SIBLING_SUFFIX);
    }
    replace(destination, target, token + lineEnd);
    if (destination.equals(target)) {
      written = token;
    }
    return destination;
  }

  /** Returns whether {@link #save} put the token beside the user's file instead of in it. */
  static boolean isSibling(Path where) {
    return String.valueOf(where.getFileName()).endsWith(SIBLING_SUFFIX);
  }

  /** Returns the token the file holds now, or {@code null} if it cannot be read as one. */
  private static @Nullable String currentContent(Path target) {
    try {
      String raw = Files.readString(target, StandardCharsets.UTF_8);
      return raw.strip();
    } catch (IOException e) {
      return null;
    }
  }

  /**
   * Atomically replaces {@code destination} with {@code content}, taking permissions and owner from
   * {@code model} (the user's file) when it exists.
   */
  private static void replace(Path destination, Path model, String content)
      throws WriteBackException {
    Path directory = requireNonNull(destination.getParent(), "parent");
    PosixFileAttributeView posix = Files.getFileAttributeView(model, PosixFileAttributeView.class);
    Set<PosixFilePermission> permissions = null;
    UserPrincipal owner = null;
    if (posix != null) {
      try {
        permissions = Files.getPosixFilePermissions(model);
        owner = Files.getOwner(model);
      } catch (IOException e) {
        throw new WriteBackException(model, "cannot read the file's permissions", e);
      }
    }
    Path temporary =
        writeOwnerOnly(directory, "." + destination.getFileName() + ".", ".tmp", content);
    try {
      if (permissions != null) {
        try {
          Files.setPosixFilePermissions(temporary, permissions);
        } catch (IOException e) {
          throw new WriteBackException(temporary, "cannot set the file's permissions", e);
        }
      }
      keepOwner(temporary, owner);
      try {
        Files.move(temporary, destination, StandardCopyOption.ATOMIC_MOVE);
      } catch (IOException e) {
        throw new WriteBackException(destination, "cannot move the new file over it", e);
      }
    } finally {
      try {
        Files.deleteIfExists(temporary);
      } catch (IOException e) {
        // moved, or not removable: it holds the token with owner-only permissions either way
      }
    }
    syncDirectory(directory);
  }

  /**
   * Writes {@code token} to a new owner-only file in {@code directory} (the user's home directory):
   * the last resort when the user's file cannot be written, so that the current refresh token
   * outlives the demo.
   *
   * @param directory where to create the file
   * @param token the server's current refresh token
   * @return the new file
   * @throws WriteBackException if that fails too
   */
  Path rescue(Path directory, String token) throws WriteBackException {
    return writeOwnerOnly(directory, "tokenherd-refresh-token-", ".txt", token + lineEnd);
  }

  /**
   * Creates a file in {@code directory} that only its owner may read, with {@code content} on disk
   * (flushed before this returns, so that a rename of it cannot leave the new name on an empty
   * file).
   */
  private static Path writeOwnerOnly(Path directory, String prefix, String suffix, String content)
      throws WriteBackException {
    boolean posix = Files.getFileAttributeView(directory, PosixFileAttributeView.class) != null;
    FileAttribute<?>[] ownerOnly =
        posix
            ? new FileAttribute<?>[] {PosixFilePermissions.asFileAttribute(OWNER_ONLY)}
            : new FileAttribute<?>[0];
    Path file;
    try {
      file = Files.createTempFile(directory, prefix, suffix, ownerOnly);
    } catch (IOException e) {
      throw new WriteBackException(directory, "cannot create a file in the directory", e);
    }
    try (FileChannel channel =
        FileChannel.open(file, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
      ByteBuffer bytes = ByteBuffer.wrap(content.getBytes(StandardCharsets.UTF_8));
      while (bytes.hasRemaining()) {
        channel.write(bytes);
      }
      channel.force(true);
    } catch (IOException e) {
      try {
        Files.deleteIfExists(file);
      } catch (IOException suppressed) {
        // owner-only: it can stay
      }
      throw new WriteBackException(file, "cannot write the file", e);
    }
    return file;
  }

  /**
   * Gives the new file the original's owner where it differs: only a privileged process may, and
   * for the usual case (the user's own file) the owner is already right.
   */
  private static void keepOwner(Path temporary, @Nullable UserPrincipal owner) {
    if (owner == null) {
      return;
    }
    try {
      if (!owner.equals(Files.getOwner(temporary))) {
        Files.setOwner(temporary, owner);
      }
    } catch (IOException e) {
      // the file is then this user's, with the original's permissions: still readable by them
    }
  }

  /** Makes the rename itself durable; not every platform can open a directory, so best effort. */
  private static void syncDirectory(Path directory) {
    try (FileChannel channel = FileChannel.open(directory, StandardOpenOption.READ)) {
      channel.force(true);
    } catch (IOException e) {
      // the rename is done; only its durability across a power cut is left to the file system
    }
  }

  /** The refresh token could not be written back. The message never contains the token. */
  static final class WriteBackException extends Exception {
    private static final long serialVersionUID = 1L;

    /**
     * Describes a failed step. The cause is not chained: only its reason (the operating system's)
     * or class is kept, as an I/O message may quote what was being written.
     *
     * @param where the file or directory the step was working on
     * @param step what was being done
     * @param cause what went wrong
     */
    WriteBackException(Path where, String step, IOException cause) {
      super(step + ": " + where + ": " + reason(cause));
    }

    private static String reason(IOException e) {
      if (e instanceof AccessDeniedException) {
        return "permission denied";
      }
      if (e instanceof NoSuchFileException) {
        return "no such file or directory";
      }
      if (e instanceof FileSystemException f && f.getReason() != null) {
        return f.getReason();
      }
      // the class only: an I/O message may quote what was being written
      return e.getClass().getSimpleName();
    }
  }
}

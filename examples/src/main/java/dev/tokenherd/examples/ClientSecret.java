package dev.tokenherd.examples;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;

/**
 * Where the {@code worker} and {@code fake-auth-server} modes take the client secret from: {@code
 * --client-secret}, else the environment, as the value itself ({@value #VARIABLE}) or as the path
 * of a file that holds it ({@value #FILE_VARIABLE}: a Docker or Kubernetes secret, mounted under
 * {@code /run/secrets/}).
 *
 * <p>A variable set to the empty string counts as not set. Both variables set is a configuration
 * error, whatever the command line says: one of them is stale, and guessing which would hide it.
 * The file's trailing line breaks are not part of the secret ({@code echo secret > file} writes
 * one). Errors name the variable and the path, never the content.
 */
final class ClientSecret {
  /** The environment variable that holds the client secret itself. */
  static final String VARIABLE = "TOKENHERD_CLIENT_SECRET";

  /** The environment variable that holds the path of a file with the client secret. */
  static final String FILE_VARIABLE = VARIABLE + "_FILE";

  /** Secrets are short; a larger file is a wrong path (Docker's own limit is 500 KB). */
  static final int MAX_FILE_BYTES = 64 * 1024;

  private ClientSecret() {}

  /**
   * Returns the client secret, or null if neither the flag nor either variable gives one.
   *
   * @param flag the value of {@code --client-secret}, if given
   * @param environment the process environment ({@code System::getenv})
   * @throws UsageException if both variables are set
   * @throws DemoException if the file named by {@value #FILE_VARIABLE} cannot be read or is empty
   */
  static @Nullable String resolve(
      @Nullable String flag, Function<String, @Nullable String> environment) {
    String value = nonEmpty(environment.apply(VARIABLE));
    String file = nonEmpty(environment.apply(FILE_VARIABLE));
    if (value != null && file != null) {
      throw new UsageException(
          "both " + VARIABLE + " and " + FILE_VARIABLE + " are set; set only one of them");
    }
    if (flag != null) {
      return flag;
    }
    return file != null ? read(file) : value;
  }

  /**
   * Reads a secret from the file at {@code location}: UTF-8, trailing line breaks removed.
   *
   * @throws DemoException naming {@value #FILE_VARIABLE} and the path if the file cannot be read,
   *     is not UTF-8, is larger than {@value #MAX_FILE_BYTES} bytes, or holds no secret
   */
  static String read(String location) {
    Path path;
    try {
      path = Path.of(location);
    } catch (InvalidPathException e) {
      throw new DemoException(FILE_VARIABLE + " is not a valid path: " + location);
    }
    if (Files.isDirectory(path)) {
      throw unreadable(location, "it is a directory");
    }
    byte[] bytes;
    try (InputStream in = Files.newInputStream(path)) {
      bytes = in.readNBytes(MAX_FILE_BYTES + 1);
    } catch (NoSuchFileException e) {
      throw unreadable(location, "no such file");
    } catch (AccessDeniedException e) {
      throw unreadable(
          location, "permission denied (the file must be readable by the user this runs as)");
    } catch (FileSystemException e) {
      // the reason is the operating system's (its message would repeat the path)
      throw unreadable(location, String.valueOf(e.getReason()));
    } catch (IOException e) {
      // the class only: nothing read from the file may reach a message
      throw unreadable(location, e.getClass().getSimpleName());
    }
    if (bytes.length > MAX_FILE_BYTES) {
      throw unreadable(location, "larger than " + MAX_FILE_BYTES + " bytes");
    }
    String text;
    try {
      text =
          StandardCharsets.UTF_8
              .newDecoder()
              .onMalformedInput(CodingErrorAction.REPORT)
              .onUnmappableCharacter(CodingErrorAction.REPORT)
              .decode(ByteBuffer.wrap(bytes))
              .toString();
    } catch (CharacterCodingException e) {
      throw unreadable(location, "not UTF-8 text");
    }
    int end = text.length();
    while (end > 0 && (text.charAt(end - 1) == '\n' || text.charAt(end - 1) == '\r')) {
      end--;
    }
    if (end == 0) {
      throw unreadable(location, "it is empty");
    }
    return text.substring(0, end);
  }

  private static DemoException unreadable(String location, String reason) {
    return new DemoException("cannot read " + FILE_VARIABLE + " " + location + ": " + reason);
  }

  private static @Nullable String nonEmpty(@Nullable String value) {
    return value == null || value.isEmpty() ? null : value;
  }
}

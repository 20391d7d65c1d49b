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
    return read(FILE_VARIABLE, location);
  }

  /**
   * Reads a secret from the file at {@code location} as {@link #read(String)} does, with errors
   * that name {@code source} (an option such as {@code --refresh-token-file}) instead of {@value
   * #FILE_VARIABLE}: the same rules serve every secret the demo reads from a file.
   *
   * @param source where the path came from, for the messages
   * @param location the path
   * @throws DemoException naming {@code source} and the path, never the content
   */
  static String read(String source, String location) {
    Path path;
    try {
      path = Path.of(location);
    } catch (InvalidPathException e) {
      throw new DemoException(source + " is not a valid path: " + location);
    }
    if (Files.isDirectory(path)) {
      throw unreadable(source, location, "it is a directory");
    }
    byte[] bytes;
    try (InputStream in = Files.newInputStream(path)) {
      bytes = in.readNBytes(MAX_FILE_BYTES + 1);
    } catch (NoSuchFileException e) {
      throw unreadable(source, location, "no such file");
    } catch (AccessDeniedException e) {
      throw unreadable(
          source,
          location,
          "permission denied (the file must be readable by the user this runs as)");
    } catch (FileSystemException e) {
      // the reason is the operating system's (its message would repeat the path)
      throw unreadable(source, location, String.valueOf(e.getReason()));
    } catch (IOException e) {
      // the class only: nothing read from the file may reach a message
      throw unreadable(source, location, e.getClass().getSimpleName());
    }
    if (bytes.length > MAX_FILE_BYTES) {
      throw unreadable(source, location, "larger than " + MAX_FILE_BYTES + " bytes");
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
      throw unreadable(source, location, "not UTF-8 text");
    }
    int end = text.length();
    while (end > 0 && (text.charAt(end - 1) == '\n' || text.charAt(end - 1) == '\r')) {
      end--;
    }
    if (end == 0) {
      throw unreadable(source, location, "it is empty");
    }
    return text.substring(0, end);
  }

  private static DemoException unreadable(String source, String location, String reason) {
    return new DemoException("cannot read " + source + " " + location + ": " + reason);
  }

  private static @Nullable String nonEmpty(@Nullable String value) {
    return value == null || value.isEmpty() ? null : value;
  }
}

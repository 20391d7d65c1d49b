package dev.tokenherd.testkit;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * The {@code redis-server} executable that {@link RedisServerProcess} runs, and where it came from.
 *
 * <p>{@link #resolve()} looks in this order, so a test needs nothing installed beyond a JDK:
 *
 * <ol>
 *   <li>the path in the system property {@value #EXECUTABLE_PROPERTY}, if set;
 *   <li>{@code redis-server} on the {@code PATH} (CI installs Debian's Redis 7.0 there);
 *   <li>the Redis {@value #BUNDLED_VERSION} binary that the Maven Central artifact {@value
 *       #BUNDLED_ARTIFACT} ships for Linux and macOS (x86-64 and arm64). It is copied once to the
 *       temporary directory and checked against the SHA-256 recorded here before it is ever run.
 *       That artifact is an <em>optional</em> dependency of the testkit: add it to your test
 *       classpath to get this fallback. <b>Note:</b> Redis 7.4 is licensed RSALv2/SSPLv1, not BSD;
 *       it runs only as a local test process here.
 * </ol>
 *
 * <p>The choice is made once per JVM and printed once to standard error, so a test run says which
 * Redis it used. Tests that need a feature newer than the binary found call {@link #atLeast(int,
 * int)} and skip with that reason.
 */
public final class RedisBinary {
  /** The system property that names a {@code redis-server} executable to use instead. */
  public static final String EXECUTABLE_PROPERTY = "tokenherd.redis.executable";

  /** The Maven Central artifact whose binaries are the fallback. */
  public static final String BUNDLED_ARTIFACT = "cn.ponfee:embedded-redis:1.6";

  /** The Redis version those binaries are. */
  public static final String BUNDLED_VERSION = "7.4.1";

  private static final Pattern VERSION = Pattern.compile("v=(\\d+)\\.(\\d+)\\.(\\d+)");
  private static final Object LOCK = new Object();
  private static @Nullable RedisBinary resolved;

  private final Path executable;
  private final String version;
  private final String origin;

  private RedisBinary(Path executable, String version, String origin) {
    this.executable = executable;
    this.version = version;
    this.origin = origin;
  }

  /**
   * Returns the {@code redis-server} to run here, found as the class documentation describes; the
   * first call decides for the whole JVM and prints the choice to standard error.
   *
   * @return the executable, its version and its origin
   * @throws IllegalStateException if none of the three is available, with what to install
   */
  public static RedisBinary resolve() {
    synchronized (LOCK) {
      RedisBinary binary = resolved;
      if (binary == null) {
        binary = find();
        resolved = binary;
        System.err.println("tokenherd-testkit: " + binary);
      }
      return binary;
    }
  }

  /**
   * Returns whether a {@code redis-server} can be found or unpacked here, without starting one.
   *
   * @return {@code true} if {@link #resolve()} would succeed
   */
  public static boolean isAvailable() {
    try {
      resolve();
      return true;
    } catch (IllegalStateException e) {
      return false;
    }
  }

  private static RedisBinary find() {
    String explicit = System.getProperty(EXECUTABLE_PROPERTY, "");
    if (!explicit.isEmpty()) {
      Path path = Path.of(explicit);
      if (!Files.isExecutable(path)) {
        throw new IllegalStateException(
            "-D" + EXECUTABLE_PROPERTY + "=" + explicit + " is not an executable file");
      }
      return new RedisBinary(path, versionOf(path), "-D" + EXECUTABLE_PROPERTY);
    }
    Path onPath = findOnPath("redis-server");
    if (onPath != null) {
      return new RedisBinary(onPath, versionOf(onPath), "redis-server on the PATH");
    }
    return bundled("as no redis-server is on the PATH");
  }

  /**
   * Returns the bundled Redis {@value #BUNDLED_VERSION} for this platform, unpacked and verified,
   * whatever is on the {@code PATH}: for tests of the fallback itself, and for a demo that must not
   * depend on what is installed.
   *
   * @return the bundled executable
   * @throws IllegalStateException if the artifact ships no binary for this platform, is not on the
   *     classpath, or its binary does not have the recorded SHA-256
   */
  public static RedisBinary bundled() {
    return bundled("asked for");
  }

  private static RedisBinary bundled(String why) {
    String os = System.getProperty("os.name", "");
    String arch = System.getProperty("os.arch", "");
    Bundled bundled = Bundled.forPlatform(os, arch);
    if (bundled == null) {
      throw new IllegalStateException(
          "no redis-server on the PATH, and "
              + BUNDLED_ARTIFACT
              + " ships none for "
              + os
              + "/"
              + arch
              + ": install Redis (Debian/Ubuntu: apt-get install redis-server; macOS: brew install"
              + " redis) or set -D"
              + EXECUTABLE_PROPERTY);
    }
    Path unpacked = bundled.unpack();
    return new RedisBinary(unpacked, versionOf(unpacked), BUNDLED_ARTIFACT + ", " + why);
  }

  static @Nullable Path findOnPath(String name) {
    String path = System.getenv("PATH");
    if (path == null) {
      return null;
    }
    for (String dir : path.split(Pattern.quote(File.pathSeparator), -1)) {
      if (dir.isEmpty()) {
        continue;
      }
      Path candidate = Path.of(dir, name);
      if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
        return candidate;
      }
    }
    return null;
  }

  /** Runs {@code redis-server --version} and returns the {@code x.y.z} it prints. */
  private static String versionOf(Path executable) {
    try {
      Process process =
          new ProcessBuilder(executable.toString(), "--version").redirectErrorStream(true).start();
      String output;
      try (InputStream in = process.getInputStream()) {
        output = new String(in.readAllBytes(), StandardCharsets.UTF_8).trim();
      }
      if (!process.waitFor(60, TimeUnit.SECONDS)) {
        process.destroyForcibly();
        throw new IllegalStateException(executable + " --version did not exit within 60 s");
      }
      Matcher matcher = VERSION.matcher(output);
      if (!matcher.find()) {
        throw new IllegalStateException(
            executable
                + " --version printed no version (exit "
                + process.exitValue()
                + "): "
                + output);
      }
      return matcher.group(1) + "." + matcher.group(2) + "." + matcher.group(3);
    } catch (IOException e) {
      throw new IllegalStateException("cannot run " + executable + " --version", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while asking " + executable + " its version", e);
    }
  }

  /**
   * Returns the executable's path.
   *
   * @return an executable file
   */
  public Path executable() {
    return executable;
  }

  /**
   * Returns the Redis version the executable reports, for example {@code 7.0.15}.
   *
   * @return {@code major.minor.patch}
   */
  public String version() {
    return version;
  }

  /**
   * Returns where the executable came from: the system property, the {@code PATH}, or the bundled
   * artifact.
   *
   * @return a short description for test output
   */
  public String origin() {
    return origin;
  }

  /**
   * Returns whether this Redis is at least {@code major.minor}, for tests that need a newer
   * feature: they skip, naming the version found, when it is older.
   *
   * @param major the major version needed
   * @param minor the minor version needed
   * @return whether this binary's version is that or newer
   */
  public boolean atLeast(int major, int minor) {
    String[] parts = version.split("\\.", -1);
    int foundMajor = Integer.parseInt(parts[0]);
    int foundMinor = Integer.parseInt(parts[1]);
    return foundMajor > major || (foundMajor == major && foundMinor >= minor);
  }

  /**
   * Returns the version, the origin and the path, for example {@code Redis 7.0.15 (redis-server on
   * the PATH): /usr/bin/redis-server}.
   */
  @Override
  public String toString() {
    return "Redis " + version + " (" + origin + "): " + executable;
  }

  /** A binary inside the bundled artifact: its resource name and the SHA-256 it must have. */
  record Bundled(String resource, String sha256) {
    static @Nullable Bundled forPlatform(String osName, String osArch) {
      String os = osName.toLowerCase(Locale.ROOT);
      String arch = osArch.toLowerCase(Locale.ROOT);
      boolean x64 = arch.equals("amd64") || arch.equals("x86_64");
      boolean arm64 = arch.equals("aarch64") || arch.equals("arm64");
      String platform;
      String sha256;
      if (os.contains("linux") && x64) {
        platform = "linux-amd64";
        sha256 = "ff1628a3c48e4e4e409fac6a72395d1cf181d9c07566f15daf807d7e270259a4";
      } else if (os.contains("linux") && arm64) {
        platform = "linux-arm64";
        sha256 = "86d14ebaf58d55c2c4513de2617f90b844ddf40c561fd7f350b98648dfa6ebef";
      } else if (os.contains("mac") && x64) {
        platform = "darwin-amd64";
        sha256 = "16b7d11ff9ddd2d7c7f5cf3cb25121c50eb2ccab2a3c1be2ba3fcbabdfc3bd65";
      } else if (os.contains("mac") && arm64) {
        platform = "darwin-arm64";
        sha256 = "7627b5d606c51e8d57dc7ddad92265868b0fb1293c02f339dfb53f125d3cc471";
      } else {
        return null;
      }
      return new Bundled("redis-server-" + BUNDLED_VERSION + "-" + platform, sha256);
    }

    /**
     * Copies the binary out of the jar into the temporary directory, once per machine: a file
     * already there is reused when its digest matches. Concurrent JVMs each write a file of their
     * own and move it into place atomically, so none ever runs a half-written binary.
     */
    Path unpack() {
      return unpack(
          Path.of(
              System.getProperty("java.io.tmpdir"),
              "tokenherd-" + resource + "-" + sha256.substring(0, 12)));
    }

    /** Unpacks into {@code directory} (created if missing), reusing a verified copy there. */
    Path unpack(Path directory) {
      Path target = directory.resolve("redis-server");
      try {
        if (Files.isExecutable(target) && sha256.equals(digest(target))) {
          return target;
        }
        Files.createDirectories(directory);
        Path partial = Files.createTempFile(directory, "redis-server-", ".partial");
        try {
          // The class loader, not the class: the binary is in another jar, and a class of a named
          // module finds resources only in its own module.
          try (InputStream in = RedisBinary.class.getClassLoader().getResourceAsStream(resource)) {
            if (in == null) {
              throw new IllegalStateException(
                  "no redis-server on the PATH and "
                      + BUNDLED_ARTIFACT
                      + " is not on the classpath: install Redis (apt-get install redis-server)"
                      + " or add that artifact as a test dependency");
            }
            Files.copy(in, partial, StandardCopyOption.REPLACE_EXISTING);
          }
          String actual = digest(partial);
          if (!sha256.equals(actual)) {
            throw new IllegalStateException(
                resource
                    + " from "
                    + BUNDLED_ARTIFACT
                    + " has SHA-256 "
                    + actual
                    + ", expected "
                    + sha256
                    + ": refusing to run it");
          }
          if (!partial.toFile().setExecutable(true, false)) {
            throw new IllegalStateException("cannot make " + partial + " executable");
          }
          try {
            Files.move(
                partial,
                target,
                StandardCopyOption.ATOMIC_MOVE,
                StandardCopyOption.REPLACE_EXISTING);
          } catch (AtomicMoveNotSupportedException e) {
            Files.move(partial, target, StandardCopyOption.REPLACE_EXISTING);
          }
          return target;
        } finally {
          Files.deleteIfExists(partial);
        }
      } catch (IOException e) {
        throw new UncheckedIOException("cannot unpack " + resource + " to " + target, e);
      }
    }

    private static String digest(Path file) throws IOException {
      MessageDigest sha256;
      try {
        sha256 = MessageDigest.getInstance("SHA-256");
      } catch (NoSuchAlgorithmException e) {
        throw new IllegalStateException("SHA-256 is required of every JDK", e);
      }
      try (InputStream in = new DigestInputStream(Files.newInputStream(file), sha256)) {
        in.transferTo(OutputStream.nullOutputStream());
      }
      return HexFormat.of().formatHex(sha256.digest());
    }
  }
}

package dev.tokenherd.coordinator.redis.internal;

import static java.util.Objects.requireNonNull;

import io.lettuce.core.RedisNoScriptException;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.api.async.RedisScriptingAsyncCommands;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;

/**
 * A Lua script run by its SHA-1 ({@code EVALSHA}); when the server does not know it ({@code
 * NOSCRIPT}, for example after a restart or {@code SCRIPT FLUSH}) it is sent in full once with
 * {@code EVAL}, which also caches it on the server for the next call. Retrying is safe because a
 * {@code NOSCRIPT} reply means that nothing ran.
 */
public final class LuaScript {
  private final String name;
  private final String source;
  private final String sha;

  private LuaScript(String name, String source) {
    this.name = name;
    this.source = source;
    this.sha = sha1(source);
  }

  /**
   * Loads a script from this package's resources.
   *
   * @param resource the file name, such as {@code compare-and-set.lua}
   * @return the script
   */
  public static LuaScript load(String resource) {
    try (InputStream in = LuaScript.class.getResourceAsStream(resource)) {
      if (in == null) {
        throw new IllegalStateException("missing script resource " + resource);
      }
      return new LuaScript(resource, new String(in.readAllBytes(), StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read script resource " + resource, e);
    }
  }

  /** Returns the script's SHA-1, as {@code SCRIPT LOAD} would. */
  public String sha() {
    return sha;
  }

  /**
   * Runs the script and returns its multi-bulk reply.
   *
   * @param commands where to run it
   * @param keys the script's KEYS
   * @param args the script's ARGV
   * @return the reply
   */
  public CompletionStage<List<Object>> run(
      RedisScriptingAsyncCommands<String, String> commands, String[] keys, String... args) {
    CompletionStage<List<Object>> bySha =
        commands.<List<Object>>evalsha(sha, ScriptOutputType.MULTI, keys, args);
    return bySha
        .handle(
            (reply, error) -> {
              if (error == null) {
                return CompletableFuture.completedFuture(requireNonNull(reply));
              }
              if (isNoScript(error)) {
                return commands.<List<Object>>eval(source, ScriptOutputType.MULTI, keys, args);
              }
              return CompletableFuture.<List<Object>>failedFuture(error);
            })
        .thenCompose(stage -> stage);
  }

  private static boolean isNoScript(Throwable error) {
    Throwable cause =
        error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
    return cause instanceof RedisNoScriptException
        || (cause.getMessage() != null && cause.getMessage().startsWith("NOSCRIPT"));
  }

  private static String sha1(String source) {
    try {
      return HexFormat.of()
          .formatHex(
              MessageDigest.getInstance("SHA-1").digest(source.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new AssertionError("SHA-1 is missing", e);
    }
  }

  @Override
  public String toString() {
    return "LuaScript[" + name + ", sha=" + sha + "]";
  }
}

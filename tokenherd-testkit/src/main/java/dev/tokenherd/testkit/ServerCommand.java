package dev.tokenherd.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;

/** The command line {@link RedisServerProcess} starts a data node or a Sentinel with. */
final class ServerCommand {
  private ServerCommand() {}

  /**
   * Returns the command; for a Sentinel ({@code sentinel} not {@code null}) also writes its
   * configuration file at the first start.
   */
  static List<String> of(
      String executable,
      int port,
      Path dataDirectory,
      boolean appendOnly,
      @Nullable String password,
      @Nullable List<String> sentinel,
      List<String> extraArguments) {
    List<String> command = new ArrayList<>();
    command.add(executable);
    if (sentinel != null) {
      // Sentinel rewrites its configuration file (what it learns, its own id): the file is written
      // once and kept across restarts, like a data node's AOF.
      Path file = dataDirectory.resolve("sentinel.conf");
      if (!Files.exists(file)) {
        List<String> lines = new ArrayList<>();
        lines.add("port " + port);
        lines.addAll(sentinel);
        try {
          Files.write(file, lines);
        } catch (IOException e) {
          throw new UncheckedIOException("cannot write " + file, e);
        }
      }
      command.addAll(List.of(file.toString(), "--sentinel"));
    }
    command.addAll(
        List.of(
            "--port",
            Integer.toString(port),
            "--bind",
            "127.0.0.1",
            "--dir",
            dataDirectory.toString()));
    if (sentinel == null) {
      // Options of a data node only (Sentinel 7.x accepts them too, but has no data to keep).
      command.addAll(
          List.of(
              "--save", "", "--appendonly", appendOnly ? "yes" : "no", "--appendfsync", "always"));
    }
    command.addAll(
        List.of("--daemonize", "no", "--logfile", dataDirectory.resolve("redis.log").toString()));
    if (password != null) {
      command.addAll(List.of("--requirepass", password));
    }
    command.addAll(extraArguments);
    return command;
  }
}

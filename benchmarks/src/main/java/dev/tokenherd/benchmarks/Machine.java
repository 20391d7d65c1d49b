package dev.tokenherd.benchmarks;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * What a result was measured on: JVM, OS, CPU model, processor count and load average, so that
 * numbers committed to the repository can be read against their machine.
 *
 * @param jvm the JVM's name, vendor and version
 * @param os the OS name, version and architecture
 * @param cpu the CPU model from {@code /proc/cpuinfo}, or {@code unknown}
 * @param processors the processors available to the JVM ({@code nproc})
 * @param loadAverage {@code /proc/loadavg}'s 1, 5 and 15 minute averages, or {@code unknown}
 */
record Machine(String jvm, String os, String cpu, int processors, String loadAverage) {

  /** Describes this machine now. */
  static Machine current() {
    return new Machine(
        System.getProperty("java.vm.name")
            + " "
            + System.getProperty("java.vm.version")
            + " ("
            + System.getProperty("java.vm.vendor")
            + ")",
        System.getProperty("os.name")
            + " "
            + System.getProperty("os.version")
            + " "
            + System.getProperty("os.arch"),
        cpuModel(),
        Runtime.getRuntime().availableProcessors(),
        currentLoadAverage());
  }

  /**
   * Appends the Markdown list items for the JVM, the OS, the CPU and the processors, then Redis
   * (loopback, no persistence), as the fleet and storm reports show them.
   */
  void appendMarkdown(StringBuilder out, String redisVersion) {
    out.append("- JVM: ").append(jvm).append('\n');
    out.append("- OS: ").append(os).append('\n');
    out.append("- CPU: ").append(cpu).append(", ").append(processors).append(" processors\n");
    out.append("- Redis: ").append(redisVersion).append(" (loopback, no persistence)\n");
  }

  /** Returns {@code /proc/loadavg}'s first three fields, or {@code unknown}. */
  static String currentLoadAverage() {
    List<String> lines = readLines(Path.of("/proc/loadavg"));
    if (lines.isEmpty()) {
      return "unknown";
    }
    String[] fields = lines.get(0).trim().split("\\s+", -1);
    return fields.length < 3 ? "unknown" : fields[0] + " " + fields[1] + " " + fields[2];
  }

  private static String cpuModel() {
    for (String line : readLines(Path.of("/proc/cpuinfo"))) {
      if (line.startsWith("model name")) {
        return line.substring(line.indexOf(':') + 1).trim();
      }
    }
    return "unknown";
  }

  private static List<String> readLines(Path file) {
    try {
      return Files.readAllLines(file, StandardCharsets.UTF_8);
    } catch (IOException | SecurityException e) {
      return List.of(); // not Linux, or not readable: the report says "unknown"
    }
  }
}

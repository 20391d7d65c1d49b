package dev.tokenherd.testkit;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.spi.ToolProvider;
import java.util.stream.Stream;

/**
 * Which package of a build's classes uses which, as the JDK's {@code jdeps} reads the compiled
 * classes: for tests that hold a layering (the API depends on nothing, the engine is named only by
 * the entry point) and forbid package cycles.
 *
 * <pre>{@code
 * PackageGraph graph = PackageGraph.of(Path.of("target/classes"), "dev.tokenherd");
 * assertThat(graph.cycles()).isEmpty();
 * assertThat(graph.dependencies("dev.tokenherd.coordinator")).isEmpty();
 * }</pre>
 */
public final class PackageGraph {
  private static final Pattern EDGE = Pattern.compile("^\\s+(\\S+)\\s+->\\s+(\\S+)\\s");

  private final Map<String, Set<String>> edges;

  private PackageGraph(Map<String, Set<String>> edges) {
    this.edges = edges;
  }

  /**
   * Reads the package dependencies of compiled classes.
   *
   * @param classes a classes directory ({@code target/classes}); its {@code module-info.class} is
   *     left out, so that {@code jdeps} needs none of the module's dependencies
   * @param prefix the packages to keep, as a package-name prefix ({@code dev.tokenherd}); edges to
   *     other packages (the JDK, libraries) are dropped
   * @return the graph
   * @throws IllegalStateException if the JDK has no {@code jdeps} or it fails, with what it said
   */
  public static PackageGraph of(Path classes, String prefix) {
    requireNonNull(prefix, "prefix");
    ToolProvider jdeps =
        ToolProvider.findFirst("jdeps")
            .orElseThrow(() -> new IllegalStateException("this JDK has no jdeps tool"));
    Path copy = copyWithoutModuleInfo(classes);
    StringWriter out = new StringWriter();
    int status =
        jdeps.run(
            new PrintWriter(out),
            new PrintWriter(out),
            "-verbose:package",
            "--ignore-missing-deps",
            copy.toString());
    if (status != 0) {
      throw new IllegalStateException("jdeps failed (" + status + "): " + out);
    }
    Map<String, Set<String>> edges = new TreeMap<>();
    for (String line : out.toString().split("\n", -1)) {
      Matcher edge = EDGE.matcher(line);
      if (edge.find() && edge.group(1).startsWith(prefix) && edge.group(2).startsWith(prefix)) {
        edges.computeIfAbsent(edge.group(1), p -> new TreeSet<>()).add(edge.group(2));
      }
    }
    return new PackageGraph(edges);
  }

  /**
   * A graph from given edges, for testing the checks themselves.
   *
   * @param edges each package and the packages it uses
   * @return the graph
   */
  public static PackageGraph ofEdges(Map<String, Set<String>> edges) {
    Map<String, Set<String>> copy = new TreeMap<>();
    edges.forEach((from, to) -> copy.put(from, new TreeSet<>(to)));
    return new PackageGraph(copy);
  }

  /**
   * Returns the packages that {@code pkg} uses, itself not included.
   *
   * @param pkg a package name
   * @return its dependencies, sorted; empty if it uses none of the kept packages
   */
  public Set<String> dependencies(String pkg) {
    Set<String> used = new TreeSet<>(edges.getOrDefault(pkg, Set.of()));
    used.remove(pkg);
    return used;
  }

  /**
   * Returns the packages that use {@code pkg}.
   *
   * @param pkg a package name
   * @return the packages that depend on it, sorted
   */
  public Set<String> dependents(String pkg) {
    Set<String> users = new TreeSet<>();
    edges.forEach(
        (from, to) -> {
          if (!from.equals(pkg) && to.contains(pkg)) {
            users.add(from);
          }
        });
    return users;
  }

  /**
   * Returns every package cycle: each group of packages that reach one another (a strongly
   * connected component of more than one package), sorted.
   *
   * @return the cycles; empty when the packages are layered
   */
  public List<Set<String>> cycles() {
    return new Tarjan().components().stream().filter(c -> c.size() > 1).toList();
  }

  @Override
  public String toString() {
    return "PackageGraph" + edges;
  }

  private static Path copyWithoutModuleInfo(Path classes) {
    try {
      Path copy = Files.createTempDirectory("package-graph-");
      try (Stream<Path> files = Files.walk(classes)) {
        for (Path file : (Iterable<Path>) files::iterator) {
          Path target = copy.resolve(classes.relativize(file).toString());
          if (Files.isDirectory(file)) {
            Files.createDirectories(target);
          } else if (!file.getFileName().toString().equals("module-info.class")) {
            Files.copy(file, target);
          }
        }
      }
      return copy;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot copy " + classes + " for jdeps", e);
    }
  }

  /** Tarjan's strongly connected components over {@link #edges}. */
  private final class Tarjan {
    private final Map<String, Integer> index = new HashMap<>();
    private final Map<String, Integer> lowLink = new HashMap<>();
    private final Deque<String> stack = new ArrayDeque<>();
    private final Set<String> onStack = new TreeSet<>();
    private final List<Set<String>> found = new ArrayList<>();

    List<Set<String>> components() {
      Set<String> nodes = new TreeSet<>(edges.keySet());
      edges.values().forEach(nodes::addAll);
      for (String node : nodes) {
        if (!index.containsKey(node)) {
          visit(node);
        }
      }
      return found;
    }

    private void visit(String node) {
      int own = index.size();
      index.put(node, own);
      lowLink.put(node, own);
      stack.push(node);
      onStack.add(node);
      for (String next : edges.getOrDefault(node, Set.of())) {
        Integer seen = index.get(next);
        if (seen == null) {
          visit(next);
          lowLink.merge(node, requireNonNull(lowLink.get(next)), Math::min);
        } else if (onStack.contains(next)) {
          lowLink.merge(node, seen, Math::min);
        }
      }
      if (requireNonNull(lowLink.get(node)) == own) {
        Set<String> component = new TreeSet<>();
        String member;
        do {
          member = stack.pop();
          onStack.remove(member);
          component.add(member);
        } while (!member.equals(node));
        found.add(component);
      }
    }
  }
}

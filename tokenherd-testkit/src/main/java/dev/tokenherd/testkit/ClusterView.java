package dev.tokenherd.testkit;

import java.io.IOException;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * One node's {@code CLUSTER NODES}, parsed: who it knows, their flags, masters and slots.
 *
 * <p>A line is {@code <id> <ip:port@busport[,hostname]> <flags> <master> <ping-sent> <pong-recv>
 * <config-epoch> <link-state> <slot>...}, a slot being {@code 5}, {@code 0-5460}, or (on the node's
 * own line only) {@code [5->-id]} / {@code [5-<-id]} while it migrates or imports.
 */
final class ClusterView {
  /** The number of hash slots of a Redis Cluster. */
  static final int SLOTS = 16384;

  /** A node as the viewing node sees it. */
  record Node(
      String id,
      int port,
      Set<String> flags,
      @Nullable String masterId,
      boolean connected,
      BitSet slots) {
    boolean myself() {
      return flags.contains("myself");
    }

    boolean master() {
      return flags.contains("master");
    }

    /** Whether the viewer suspects ({@code fail?}) or agreed ({@code fail}) that it is down. */
    boolean failing() {
      return flags.contains("fail") || flags.contains("fail?");
    }
  }

  private final List<Node> nodes;
  private final boolean openSlots;
  private final String text;

  private ClusterView(List<Node> nodes, boolean openSlots, String text) {
    this.nodes = List.copyOf(nodes);
    this.openSlots = openSlots;
    this.text = text;
  }

  /** Asks {@code node} for its view. */
  static ClusterView of(RedisServerProcess node) throws IOException {
    return parse(Replies.string(node, "CLUSTER", "NODES"));
  }

  static ClusterView parse(String text) {
    List<Node> nodes = new ArrayList<>();
    boolean open = false;
    for (String line : text.split("\r?\n", -1)) {
      String[] f = line.trim().split(" ", -1);
      if (f.length < 8) {
        continue;
      }
      String hostPort = f[1].split("[@,]", -1)[0];
      int port = Integer.parseInt(hostPort.substring(hostPort.lastIndexOf(':') + 1));
      BitSet slots = new BitSet(SLOTS);
      for (int i = 8; i < f.length; i++) {
        String slot = f[i];
        if (slot.startsWith("[")) {
          open = true;
        } else if (!slot.isEmpty()) {
          int dash = slot.indexOf('-');
          int from = Integer.parseInt(dash < 0 ? slot : slot.substring(0, dash));
          int to = dash < 0 ? from : Integer.parseInt(slot.substring(dash + 1));
          slots.set(from, to + 1);
        }
      }
      nodes.add(
          new Node(
              f[0],
              port,
              Set.of(f[2].split(",", -1)),
              f[3].equals("-") ? null : f[3],
              f[7].equals("connected"),
              slots));
    }
    return new ClusterView(nodes, open, text);
  }

  List<Node> nodes() {
    return nodes;
  }

  /** The viewing node itself. */
  Node myself() {
    return nodes.stream()
        .filter(Node::myself)
        .findFirst()
        .orElseThrow(() -> new IllegalStateException("no myself line in " + text));
  }

  @Nullable Node byId(String id) {
    return nodes.stream().filter(n -> n.id().equals(id)).findFirst().orElse(null);
  }

  @Nullable Node byPort(int port) {
    return nodes.stream().filter(n -> n.port() == port).findFirst().orElse(null);
  }

  /** The id of the node that owns {@code slot} in this view, or {@code null}. */
  @Nullable String ownerOf(int slot) {
    for (Node node : nodes) {
      if (node.slots().get(slot)) {
        return node.id();
      }
    }
    return null;
  }

  /** Slot owners as {@code from-to:id} ranges, for comparing views and for messages. */
  String owners() {
    String[] owner = new String[SLOTS];
    for (Node node : nodes) {
      node.slots().stream().forEach(slot -> owner[slot] = node.id());
    }
    StringBuilder b = new StringBuilder();
    int from = 0;
    for (int slot = 1; slot <= SLOTS; slot++) {
      if (slot == SLOTS || !Objects.equals(owner[from], owner[slot])) {
        b.append(from).append('-').append(slot - 1).append(':').append(owner[from]).append(' ');
        from = slot;
      }
    }
    return b.toString().trim();
  }

  /**
   * Who replicates whom among the nodes on {@code ports}, as {@code port:master} or {@code
   * port:replica-of-id} in port order, for comparing views.
   */
  String roles(Collection<Integer> ports) {
    return nodes.stream()
        .filter(n -> ports.contains(n.port()))
        .sorted(Comparator.comparingInt(Node::port))
        .map(n -> n.port() + ":" + (n.master() ? "master" : "replica-of-" + n.masterId()))
        .toList()
        .toString();
  }

  /** Whether the viewing node is migrating or importing a slot. */
  boolean hasOpenSlots() {
    return openSlots;
  }

  @Override
  public String toString() {
    return text.trim();
  }
}

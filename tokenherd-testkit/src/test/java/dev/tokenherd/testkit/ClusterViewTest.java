package dev.tokenherd.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

final class ClusterViewTest {
  private static final String A = "a".repeat(40);
  private static final String B = "b".repeat(40);
  private static final String C = "c".repeat(40);

  private static final String NODES =
      A
          + " 127.0.0.1:7001@17001 myself,master - 0 0 1 connected 0-5000 [5001->-"
          + B
          + "]\n"
          + B
          + " 127.0.0.1:7002@17002,host-b master - 0 1 2 connected 5001-16383\n"
          + C
          + " 127.0.0.1:7003@17003 slave,fail "
          + A
          + " 0 1 1 disconnected\n";

  @Test
  void parse_readsIdsPortsFlagsMastersAndSlots() {
    ClusterView view = ClusterView.parse(NODES);

    assertThat(view.nodes()).hasSize(3);
    ClusterView.Node me = view.myself();
    assertThat(me.id()).isEqualTo(A);
    assertThat(me.port()).isEqualTo(7001);
    assertThat(me.master()).isTrue();
    assertThat(me.slots().cardinality()).isEqualTo(5001);
    assertThat(view.hasOpenSlots()).isTrue();
    assertThat(view.byPort(7002)).extracting(ClusterView.Node::id).isEqualTo(B);
    ClusterView.Node c = view.byId(C);
    assertThat(c).isNotNull();
    assertThat(c.failing()).isTrue();
    assertThat(c.connected()).isFalse();
    assertThat(c.masterId()).isEqualTo(A);
    assertThat(view.byPort(1)).isNull();
    assertThat(view.ownerOf(5001)).isEqualTo(B);
    assertThat(view.owners()).isEqualTo("0-5000:" + A + " 5001-16383:" + B);
    assertThat(view.roles(List.of(7001, 7003)))
        .isEqualTo("[7001:master, 7003:replica-of-" + A + "]");
    assertThat(view.toString()).startsWith(A);
  }

  @Test
  void parse_withoutSlotsOrMyself() {
    ClusterView view = ClusterView.parse(B + " 127.0.0.1:7002@17002 master - 0 1 2 connected\n\n");

    assertThat(view.owners()).isEqualTo("0-16383:null");
    assertThat(view.hasOpenSlots()).isFalse();
    assertThatThrownBy(view::myself).isInstanceOf(IllegalStateException.class);
  }
}

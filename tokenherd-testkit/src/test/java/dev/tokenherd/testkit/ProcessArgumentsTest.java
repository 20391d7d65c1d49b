package dev.tokenherd.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

final class ProcessArgumentsTest {

  @Test
  void parse_nameValuePairs_givesEachValueByName() {
    ProcessArguments options =
        ProcessArguments.parse("redis=redis://127.0.0.1:6379", "query=a=b", "threads=3");

    assertThat(options.required("redis")).isEqualTo("redis://127.0.0.1:6379");
    assertThat(options.get("query")).isEqualTo("a=b");
    assertThat(options.get("threads", "32")).isEqualTo("3");
    assertThat(options.get("workerId", "worker")).isEqualTo("worker");
    assertThat(options.get("break")).isNull();
  }

  @Test
  void parse_argumentWithoutName_isRefused() {
    assertThatThrownBy(() -> ProcessArguments.parse("=x"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("expected name=value, got =x");
    assertThatThrownBy(() -> ProcessArguments.parse("verbose"))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void required_missing_namesTheArgument() {
    assertThatThrownBy(() -> ProcessArguments.parse().required("tokenUri"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("missing argument tokenUri=...");
  }

  @Test
  void toString_showsNamesNotValues() {
    assertThat(ProcessArguments.parse("clientSecret=s3cret").toString())
        .contains("clientSecret")
        .doesNotContain("s3cret");
  }
}
